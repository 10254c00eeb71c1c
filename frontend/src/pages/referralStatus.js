// The status page: with the reference and check code, what the hub decided and where else
// to find help. The codes go in a POST body, never in the address.

import { post } from "../api.js";
import { $, busy, el, focusHeading } from "../ui.js";

const TEXT = {
  waiting: ["We have your referral", "Someone from the hub will contact you in the way you asked."],
  accepted: ["We are taking your referral on", "Someone from the hub will contact you in the way you asked, to talk about what happens next."],
  declined: ["Restorative justice is not the right service for this at the moment", ""],
};

function service(item) {
  return el(
    "li",
    {},
    el("h4", { text: item.name }),
    el("p", { text: item.helps_with }),
    item.phone ? el("p", {}, "Phone: ", el("a", { href: `tel:${item.phone.replaceAll(" ", "")}` }, item.phone)) : null,
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
      const [heading, text] = TEXT[seen.state];
      $("status-heading").textContent = heading;
      $("status-text").textContent = text;
      $("status-reason").hidden = !seen.reason;
      $("status-reason").textContent = seen.reason ? seen.reason.text : "";
      $("status-signposting").hidden = seen.signposting.length === 0;
      $("status-services").replaceChildren(...seen.signposting.map(service));
      const hub = seen.hub;
      $("status-hub").textContent = hub.phone
        ? `To talk to ${hub.name}, phone ${hub.phone}${hub.opening_hours ? ` (${hub.opening_hours})` : ""}.`
        : `${hub.name}`;
      $("status-result").hidden = false;
      focusHeading("status-heading");
    });
  });
}
