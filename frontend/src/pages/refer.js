// The public self-referral page: what is typed is sealed in this browser to the hub's intake
// key before it leaves, with a proof of work the server asks of every self-referral
// (docs/intake.md). No field has a name, so nothing can be sent as a plain form.

import * as crypto from "../crypto/index.js";
import { get, post } from "../api.js";
import { t } from "../i18n/messages.js";
import { $, announce, busy, nextStep } from "../ui.js";

const value = (id) => $(id).value.trim();
const checked = (ids) => ids.filter((id) => $(id).checked).map((id) => $(id).value);

// Radio buttons without names: one of a group at a time.
export function radioGroup(ids) {
  for (const id of ids) {
    $(id).addEventListener("change", () => {
      for (const other of ids) if (other !== id) $(other).checked = false;
    });
  }
  return () => checked(ids)[0];
}

export async function sealAndSend(url, payload, extra, { proof = false } = {}) {
  await crypto.ready();
  const { intake_key: intakeKey } = await get("/api/hub");
  if (!intakeKey) throw new Error(t("The hub cannot take referrals here yet. Please contact the hub directly."));
  const sealed = crypto.sealReferral({ intakePublicKey: crypto.unb64(intakeKey.public_key), payload });
  const body = { sealed, ...extra };
  if (proof) {
    const challenge = await post("/api/referrals/challenge");
    const nonce = await crypto.solveProof(challenge.challenge, challenge.difficulty);
    body.proof = { challenge: challenge.challenge, nonce };
  }
  return post(url, body);
}

export async function referPage() {
  const form = $("refer-form");
  const side = radioGroup(["side-harmed", "side-responsible"]);
  const police = radioGroup(["police-yes", "police-no", "police-unsure"]);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("refer-send"), async () => {
      if (!value("what-happened")) {
        $("what-happened").focus();
        throw new Error(t("Please tell us a little about what happened."));
      }
      $("refer-working").hidden = false;
      try {
        const payload = {
          v: 1,
          what_happened: value("what-happened"),
          when: value("when"),
          reported_to_police: police(),
          contact: {
            name: value("contact-name"),
            methods: checked(["by-phone", "by-email", "by-letter"]),
            phone: value("contact-phone"),
            email: value("contact-email"),
            post: value("contact-post"),
            safe_times: value("safe-times"),
          },
          support_needs: value("support-needs"),
        };
        const done = await sealAndSend("/api/referrals/self", payload, { side: side() }, { proof: true });
        form.reset();
        $("refer-reference").textContent = done.reference;
        $("refer-check-code").textContent = done.check_code;
        nextStep("refer-form", "refer-done", "refer-done-heading");
        announce(t("Sent."));
      } finally {
        $("refer-working").hidden = true;
      }
    });
  });
}
