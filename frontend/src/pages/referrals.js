// A professional referrer's page: refer someone with their consent (sealed here to the
// hub's intake key), and see what was decided on their own referrals.

import { get } from "../api.js";
import { installSignOut, signedInDevice } from "../session.js";
import { $, announce, busy, el, nextStep } from "../ui.js";
import { radioGroup, sealAndSend } from "./refer.js";

const value = (id) => $(id).value.trim();

async function showMine() {
  const { referrals } = await get("/api/referrals/mine");
  $("mine-empty").hidden = referrals.length > 0;
  $("mine-list").replaceChildren(
    ...referrals.map((r) =>
      el(
        "li",
        { class: "message" },
        el("h3", { text: r.reference }),
        el("p", { text: `Received ${r.received_on}: ${r.state}${r.decided_on ? ` on ${r.decided_on}` : ""}.` }),
        r.reason ? el("p", { text: r.reason.text }) : null,
        r.signposting.length ? el("p", { text: `Signposted to: ${r.signposting.map((s) => s.name).join(", ")}.` }) : null,
      ),
    ),
  );
}

export async function referralsPage() {
  const device = await signedInDevice();
  if (!device) return;
  installSignOut();
  const side = radioGroup(["side-harmed", "side-responsible"]);
  const police = radioGroup(["police-yes", "police-no", "police-unsure"]);
  $("consent-given-on").value = new Date().toISOString().slice(0, 10);
  $("professional-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("professional-send"), async () => {
      const payload = {
        v: 1,
        person_name: value("person-name"),
        person_contact: value("person-contact"),
        what_happened: value("what-happened"),
        reported_to_police: police(),
        support_needs: value("support-needs"),
      };
      const done = await sealAndSend("/api/referrals", payload, {
        side: side(),
        source: $("source").value,
        consent_given_by: $("consent-given-by").value,
        consent_method: $("consent-method").value,
        consent_given_on: $("consent-given-on").value,
      });
      $("professional-reference").textContent = done.reference;
      $("professional-check-code").textContent = done.check_code;
      nextStep("professional-form", "professional-done", "professional-done-heading");
      announce("Referral sent.");
      await showMine();
    });
  });
  await showMine();
}
