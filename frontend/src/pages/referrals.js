// A professional referrer's page: refer someone with their consent (sealed here to the
// hub's intake key), and see what was decided on their own referrals.

import { get } from "../api.js";
import { installSignOut, signedInDevice } from "../session.js";
import { listWords, t } from "../i18n/messages.js";
import { $, announce, busy, dayWords, el, nextStep } from "../ui.js";
import { radioGroup, sealAndSend } from "./refer.js";

const value = (id) => $(id).value.trim();

// Where a referral stands, one whole sentence for each state.
function decisionWords(r) {
  const received = dayWords(r.received_on);
  if (r.state === "waiting") return t("Received {received}: waiting.", { received });
  const decided = r.decided_on ? dayWords(r.decided_on) : null;
  if (r.state === "accepted") {
    return decided ? t("Received {received}: accepted on {decided}.", { received, decided }) : t("Received {received}: accepted.", { received });
  }
  if (r.state === "declined") {
    return decided ? t("Received {received}: declined on {decided}.", { received, decided }) : t("Received {received}: declined.", { received });
  }
  return t("Received {received}: {state}.", { received, state: r.state });
}

async function showMine() {
  const { referrals } = await get("/api/referrals/mine");
  $("mine-empty").hidden = referrals.length > 0;
  $("mine-list").replaceChildren(
    ...referrals.map((r) =>
      el(
        "li",
        { class: "message" },
        el("h3", { text: r.reference }),
        el("p", { text: decisionWords(r) }),
        r.reason ? el("p", { text: r.reason.text }) : null,
        r.signposting.length ? el("p", { text: t("Signposted to: {services}.", {
          services: listWords(r.signposting.map((s) => s.name), "unit"),
        }) }) : null,
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
      announce(t("Referral sent."));
      await showMine();
    });
  });
  await showMine();
}
