// A participant's consent per communication mode: given or withdrawn here, at once. The
// server holds the rule (require_consent); this page shows what it reports and sends the
// changes.

import { get, post } from "../api.js";
import { installSignOut, signedInDevice } from "../session.js";
import { $, announce, busy, el } from "../ui.js";

const HOW = {
  self: "by you, on this page",
  phone: "by your facilitator, after a phone call",
  in_person: "by your facilitator, after meeting you",
  letter: "by your facilitator, from your letter",
};

function render(consent) {
  const mine = consent.participants[0] || { consented_modes: [], history: [] };
  const labels = Object.fromEntries(consent.modes.map((m) => [m.mode, m.label]));
  $("consent-modes").replaceChildren(...consent.modes.map((m) => {
    const id = `consent-${m.mode}`;
    return el("div", { class: "radio" },
      el("input", { type: "checkbox", id, value: m.mode, ...(mine.consented_modes.includes(m.mode) ? { checked: "" } : {}) }),
      el("label", { for: id }, m.label));
  }));
  $("consent-history").replaceChildren(...mine.history.slice().reverse().map((c) => el("li", {},
    `${new Date(c.at).toLocaleString()}: ${labels[c.mode] || c.mode} ${c.given ? "agreed" : "withdrawn"}, ${HOW[c.how] || c.how}.`)));
  if (!mine.history.length) $("consent-history").replaceChildren(el("li", {}, "Nothing recorded yet."));
  return mine;
}

export async function consentPage() {
  const device = await signedInDevice();
  if (!device) return;
  installSignOut();
  const caseId = document.body.dataset.caseId;
  let mine = render(await get(`/api/cases/${caseId}/consent`));
  $("consent-form").hidden = false;
  $("consent-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy(event.submitter, async () => {
      const chosen = [...document.querySelectorAll("#consent-modes input:checked")].map((i) => i.value);
      const give = chosen.filter((m) => !mine.consented_modes.includes(m));
      const withdraw = mine.consented_modes.filter((m) => !chosen.includes(m));
      let consent = null;
      if (give.length) consent = await post(`/api/cases/${caseId}/consent`, { modes: give });
      if (withdraw.length) consent = await post(`/api/cases/${caseId}/consent/withdraw`, { modes: withdraw });
      if (consent) mine = render(consent);
      announce(consent ? "Your choices are saved." : "Nothing changed.");
    });
  });
}
