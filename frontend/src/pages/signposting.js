// Signposting on the participant's conversation page: once the process has ended for them
// (they or the other person withdrew, or the case closed, concluded or was found
// unsuitable), the hub's list of services drawn on the server (`#signposting`) is shown; a
// case found unsuitable also shows the facilitator's notice to this person, opened here,
// with the services the facilitator chose for them.

import { get } from "../api.js";
import { openMessage } from "../casekeys.js";
import { t } from "../i18n/messages.js";
import { $, el, withElements } from "../ui.js";

// A translated text with `{name}` places for page nodes (a name in bold, a link): the text
// split around them, so a translation can put the node where its grammar needs it.
function serviceItem(service) {
  const phone = service.phone && el("a", { href: `tel:${service.phone.replace(/\s+/g, "")}` }, service.phone);
  return el("li", {},
    ...withElements(t("{name}: {helpsWith}", { helpsWith: service.helps_with }), { name: el("strong", {}, service.name) }),
    phone ? [" ", ...withElements(t("Phone {phone}."), { phone })] : null,
    service.website
      ? [" ", el("a", { href: service.website, rel: "noopener noreferrer" }, t("{name} website", { name: service.name }))]
      : null);
}

export function installSignposting({ caseId, getKeys, me }) {
  let noticesRead = false;
  async function showNotices() {
    noticesRead = true;
    const { notices } = await get(`/api/cases/${caseId}/notices`);
    $("case-notices").replaceChildren(...notices.map((notice) => {
      const opened = openMessage({ envelope: notice.envelope }, getKeys(), me);
      return el("div", { class: "banner stack" },
        el("p", {}, el("strong", {}, t("From your facilitator:")), " ",
          opened.error ? t("(this note could not be opened)") : opened.text),
        notice.signposting.length ? el("p", {}, t("They suggest:")) : null,
        notice.signposting.length ? el("ul", { class: "services" }, ...notice.signposting.map(serviceItem)) : null);
    }));
    $("case-notices").hidden = notices.length === 0;
  }
  // `view` is conversationView's: `signpost` says whether the process has ended for this
  // person, `caseEnded` whether the case itself did (a notice may be waiting).
  return function render(view) {
    $("signposting").hidden = !view.signpost;
    if (view.caseEnded && !noticesRead) showNotices().catch(() => { noticesRead = false; }); // read again on the next render
  };
}
