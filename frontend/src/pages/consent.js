// A participant's consent per communication mode: given or withdrawn here, at once. The
// server holds the rule (require_consent); this page shows what it reports and sends the
// changes.

import { get, post } from "../api.js";
import { installSignOut, signedInDevice } from "../session.js";
import { t } from "../i18n/messages.js";
import { $, announce, busy, el, formatDate } from "../ui.js";

// Looked up when the page is drawn, so that t() reads the page's language then.
const howWords = (how) => ({
  self: t("by you, on this page"),
  phone: t("by your facilitator, after a phone call"),
  in_person: t("by your facilitator, after meeting you"),
  letter: t("by your facilitator, from your letter"),
})[how] ?? how;

function atWords(iso) {
  return formatDate(new Date(iso));
}

function historyLine(c, labels) {
  const words = { at: atWords(c.at), mode: labels[c.mode] || c.mode, how: howWords(c.how) };
  return c.given ? t("{at}: {mode} agreed, {how}.", words) : t("{at}: {mode} withdrawn, {how}.", words);
}

function render(consent) {
  const mine = consent.participants[0] || { consented_modes: [], history: [] };
  const labels = Object.fromEntries(consent.modes.map((m) => [m.mode, m.label]));
  $("consent-modes").replaceChildren(...consent.modes.map((m) => {
    const id = `consent-${m.mode}`;
    return el("div", { class: "radio" },
      el("input", { type: "checkbox", id, value: m.mode, ...(mine.consented_modes.includes(m.mode) ? { checked: "" } : {}) }),
      el("label", { for: id }, m.label));
  }));
  $("consent-history").replaceChildren(...mine.history.slice().reverse().map((c) => el("li", {}, historyLine(c, labels))));
  if (!mine.history.length) $("consent-history").replaceChildren(el("li", {}, t("Nothing recorded yet.")));
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
      announce(consent ? t("Your choices are saved.") : t("Nothing changed."));
    });
  });
}
