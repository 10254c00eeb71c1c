// The status page: with the reference and check code, what the hub decided and where else
// to find help. The codes go in a POST body, never in the address.

import { post } from "../api.js";
import { t } from "../i18n/messages.js";
import { $, busy, el, focusHeading } from "../ui.js";

// The heading and the words for each state, looked up when the answer comes.
const stateText = (state) => ({
  waiting: [t("We have your referral"), t("Someone from the hub will contact you in the way you asked.")],
  accepted: [t("We are taking your referral on"), t("Someone from the hub will contact you in the way you asked, to talk about what happens next.")],
  declined: [t("Restorative justice is not the right service for this at the moment"), ""],
})[state];

function service(item) {
  return el(
    "li",
    {},
    el("h4", { text: item.name }),
    el("p", { text: item.helps_with }),
    item.phone ? el("p", {}, t("Phone:"), " ", el("a", { href: `tel:${item.phone.replaceAll(" ", "")}` }, item.phone)) : null,
    item.website ? el("p", {}, el("a", { href: item.website, rel: "noopener noreferrer" }, item.website)) : null,
  );
}

export async function referralStatusPage() {
  $("status-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("status-check"), async () => {
      const seen = await post("/api/referrals/status", {
        reference: $("status-reference").value.trim(),
        check_code: $("status-check-code").value.trim(),
      });
      const [heading, text] = stateText(seen.state);
      $("status-heading").textContent = heading;
      $("status-text").textContent = text;
      $("status-reason").hidden = !seen.reason;
      $("status-reason").textContent = seen.reason ? seen.reason.text : "";
      $("status-signposting").hidden = seen.signposting.length === 0;
      $("status-services").replaceChildren(...seen.signposting.map(service));
      const hub = seen.hub;
      const talk = { name: hub.name, phone: hub.phone, hours: hub.opening_hours };
      $("status-hub").textContent = !hub.phone ? hub.name
        : hub.opening_hours ? t("To talk to {name}, phone {phone} ({hours}).", talk)
          : t("To talk to {name}, phone {phone}.", talk);
      $("status-result").hidden = false;
      focusHeading("status-heading");
    });
  });
}
