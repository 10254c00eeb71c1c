// The case page's "Supporters" section for a facilitator: each participant's requests and
// supporters; approve a request (the supporter's own account is made with an enrolment code,
// given to them like a participant's), decline it, or end a supporter's help. The server
// decides what each state allows (supporterActions only mirrors it) and says who ended what.

import { get, post } from "../api.js";
import { supporterActions, supporterWordsForFacilitator } from "../supporters.js";
import { t } from "../i18n/messages.js";
import { $, announce, busy, el, when, withElements } from "../ui.js";

// A translated text with `{name}` places for page nodes (a <time>, the code): the text split
// around them, so a translation can put the node where its grammar needs it.
export function installCaseSupporters({ caseId }) {
  // The codes made on this page, by supporter id: shown until the page is left (the
  // server returns a code once).
  const codes = new Map();

  function codeWords(supporterId) {
    const invitation = codes.get(supporterId);
    if (!invitation) return null;
    return el("p", { class: "invitation", role: "status" }, ...withElements(
      t("Enrolment code: {code}. Give it to the supporter by phone or letter: they set up their account with it on the “Set up your account” page. It works once, until {until}."),
      { code: el("strong", { class: "code" }, invitation.code), until: when(invitation.expires_at) }));
  }

  function approveForm(s) {
    const id = (name) => `supporter-${s.supporter_id}-${name}`;
    const form = el("form", { class: "stack", novalidate: true },
      el("div", { class: "field" },
        el("label", { for: id("name") }, t("The supporter's name, as the participant will see it")),
        el("input", { id: id("name"), type: "text", maxlength: "80", autocomplete: "off" })),
      el("div", { class: "field" },
        el("label", { for: id("username") }, t("A user name for the supporter's account")),
        el("input", { id: id("username"), type: "text", maxlength: "150", autocomplete: "off" })),
      el("div", { class: "actions" },
        el("button", { type: "submit" }, t("Approve and make an enrolment code")),
        el("button", {
          type: "button",
          class: "secondary",
          onclick: (event) => busy(event.currentTarget, async () => {
            await post(`/api/supporters/${s.supporter_id}/end`);
            await render();
            announce(t("The request was declined."));
          }),
        }, t("Decline this request"))));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const username = $(id("username")).value.trim();
      if (!username) {
        $("supporters-error").textContent = t("Choose a user name for the supporter's account.");
        $("supporters-error").hidden = false;
        return;
      }
      busy(event.submitter, async () => {
        const reply = await post(`/api/supporters/${s.supporter_id}/approve`, {
          username, display_name: $(id("name")).value.trim(),
        });
        codes.set(s.supporter_id, reply);
        await render();
        announce(t("Approved. Give the supporter their enrolment code."));
      });
    });
    return form;
  }

  function row(s) {
    const item = el("li", { class: "case-item" }, when(s.ended_at || s.requested_at), " ",
      supporterWordsForFacilitator(s));
    for (const action of supporterActions(s, "facilitator")) {
      if (action === "approve") item.append(approveForm(s));
      if (action === "end") {
        item.append(el("button", {
          type: "button",
          class: "secondary",
          onclick: (event) => busy(event.currentTarget, async () => {
            await post(`/api/supporters/${s.supporter_id}/end`);
            await render();
            announce(t("Their help has ended. They can no longer see anything in this case."));
          }),
        }, s.display_name ? t("End {name}'s help", { name: s.display_name }) : t("End this supporter's help")));
      }
    }
    const code = codeWords(s.supporter_id);
    if (code && s.state === "approved") item.append(code);
    return item;
  }

  async function render() {
    $("supporters-error").hidden = true;
    const { supporters } = await get(`/api/cases/${caseId}/supporters`);
    $("case-supporters").replaceChildren(...supporters.map(row));
    $("case-supporters-empty").hidden = supporters.length > 0;
  }

  // A live `case` event for a supporter (asked for, approved, ended) re-reads the list.
  function onEvent(event) {
    if (event.type === "case" && event.case_id === caseId && event.data && event.data.change === "supporter") {
      render().catch((error) => { $("supporters-error").textContent = error.message; $("supporters-error").hidden = false; });
    }
  }

  return { render, onEvent };
}
