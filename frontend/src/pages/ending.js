// Ending a case, on the facilitator's case page: conclude with the outcome, or close with a
// reason; the recorded outcome with its follow-ups; offering the survey to someone who
// withdrew and agreed. What may be done comes from the server's summary (may_conclude,
// close_reasons, may_offer_survey_to, may_record_follow_up); notes are sealed here to the
// case's facilitators and opened here.

import * as crypto from "../crypto/index.js";
import { post } from "../api.js";
import { facilitatorRecipients, openMessage } from "../casekeys.js";
import { listWords, t } from "../i18n/messages.js";
import { $, announce, busy, dayWords, el } from "../ui.js";

// The words for each wire value, looked up when the form is drawn so that t() reads the
// page's language then.
const achieved = () => [
  ["questions_answered", t("Questions were answered")],
  ["explanation_given", t("An explanation was given")],
  ["apology_offered", t("An apology was offered")],
];
export const agreementKinds = () => ({
  apology: t("An apology"),
  reparation: t("Reparation (putting something right)"),
  behaviour: t("A change of behaviour"),
  other: t("Something else"),
});
const DELIVERY_MODES = ["shuttle_messages", "letters", "recorded_statements", "conference"];
const deliveryLabels = () => ({
  shuttle_messages: t("Messages passed on by the facilitator"),
  letters: t("Letters"),
  recorded_statements: t("Recorded statements"),
  conference: t("A meeting or conference"),
});
// The same modes within a sentence ("Delivered by: letters, ...").
const deliveryInSentence = () => ({
  shuttle_messages: t("messages passed on by the facilitator"),
  letters: t("letters"),
  recorded_statements: t("recorded statements"),
  conference: t("a meeting or conference"),
});
const reasonLabels = () => ({
  completed: t("Completed"),
  withdrew: t("A participant withdrew"),
  unsuitable: t("Unsuitable"),
  no_contact: t("No contact"),
});
const closedWords = (reason) => ({
  completed: t("Closed: completed."),
  withdrew: t("Closed: a participant withdrew."),
  unsuitable: t("Closed: unsuitable."),
  no_contact: t("Closed: no contact."),
})[reason] ?? t("Closed: {reason}.", { reason });
const sideLabels = () => ({ harmed: t("The person harmed"), responsible: t("The person responsible") });
const surveyOfferLabel = (side) => ({
  harmed: t("The person harmed agreed: offer them the survey"),
  responsible: t("The person responsible agreed: offer them the survey"),
})[side];

function checkbox(id, label, name = id) {
  return el("div", { class: "radio" }, el("input", { type: "checkbox", id, name }), el("label", { for: id }, label));
}

function radio(name, value, label, checked = false) {
  const id = `${name}-${value}`;
  return el("div", { class: "radio" }, el("input", { type: "radio", id, name, value, checked }), el("label", { for: id }, label));
}

export function installEnding({ caseId, device, getState, getKeys, refresh }) {
  const me = device.keyPair;
  let items = 0;

  // A note sealed to the case's facilitators (kind outcome_note), or null when empty.
  function sealNote(text) {
    if (!text.trim()) return null;
    const summary = getState().summary;
    return crypto.seal({
      sender: me,
      senderId: device.me.user_id,
      caseId,
      kind: "outcome_note",
      recipients: facilitatorRecipients(summary, getKeys()),
      payload: { body: text },
    });
  }

  function agreementRow() {
    items += 1;
    const n = items;
    return el(
      "li",
      { class: "stack agreement-item" },
      el("div", { class: "field" },
        el("label", { for: `agreement-kind-${n}` }, t("Agreed item {n}", { n })),
        el("select", { id: `agreement-kind-${n}`, class: "agreement-kind" },
          el("option", { value: "" }, t("Choose what was agreed")),
          ...Object.entries(agreementKinds()).map(([value, label]) => el("option", { value }, label)))),
      el("div", { class: "field" },
        el("label", { for: `agreement-date-${n}` }, t("Follow up on (optional)")),
        el("input", { type: "date", id: `agreement-date-${n}`, class: "agreement-date" })),
    );
  }

  function concludeForm() {
    const form = el("form", { id: "conclude-form", class: "stack", novalidate: true },
      el("h3", {}, t("Conclude the case with its outcome")),
      el("fieldset", {}, el("legend", {}, t("What happened")), ...achieved().map(([id, label]) => checkbox(`outcome-${id}`, label))),
      el("fieldset", {}, el("legend", {}, t("If an apology was offered, was it accepted?")),
        radio("apology-accepted", "yes", t("Yes")), radio("apology-accepted", "no", t("No")),
        radio("apology-accepted", "unknown", t("Not known"), true)),
      el("h4", {}, t("The agreement")),
      el("p", { class: "hint" }, t("Add each thing the participants agreed. Leave it empty if there was no agreement.")),
      el("ol", { id: "agreement-items", class: "stack" }),
      el("button", { type: "button", class: "secondary", id: "agreement-add" }, t("Add an agreed item")),
      el("fieldset", {}, el("legend", {}, t("How it was delivered")),
        ...Object.entries(deliveryLabels()).map(([value, label]) => checkbox(`delivery-${value}`, label))),
      el("div", { class: "field" },
        el("label", { for: "outcome-note" }, t("Note for the facilitators (optional)")),
        el("p", { class: "hint", id: "outcome-note-hint" }, t("Only this case's facilitators can read it.")),
        el("textarea", { id: "outcome-note", rows: 3, "aria-describedby": "outcome-note-hint" })),
      el("button", { type: "submit", id: "conclude-submit" }, t("Conclude the case")),
    );
    form.querySelector("#agreement-add").addEventListener("click", () => {
      const row = agreementRow();
      $("agreement-items").append(row);
      row.querySelector("select").focus();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(event.submitter, async () => {
        const accepted = form.querySelector("input[name=apology-accepted]:checked").value;
        const offered = $("outcome-apology_offered").checked;
        const agreement = [...form.querySelectorAll(".agreement-item")]
          .map((row) => ({ kind: row.querySelector(".agreement-kind").value, follow_up_on: row.querySelector(".agreement-date").value || null }))
          .filter((item) => item.kind);
        await post(`/api/cases/${caseId}/conclude`, {
          questions_answered: $("outcome-questions_answered").checked,
          explanation_given: $("outcome-explanation_given").checked,
          apology_offered: offered,
          apology_accepted: offered && accepted !== "unknown" ? accepted === "yes" : null,
          agreement,
          delivery_modes: DELIVERY_MODES.filter((mode) => $(`delivery-${mode}`).checked),
          note: sealNote($("outcome-note").value),
        });
        announce(t("The case is concluded."));
        await refresh();
      });
    });
    return form;
  }

  function closeForm(reasons) {
    const form = el("form", { id: "close-form", class: "stack", novalidate: true },
      el("h3", {}, t("Close the case")),
      el("fieldset", {}, el("legend", {}, t("Why is it closing?")),
        ...reasons.map((r, i) => radio("close-reason", r, reasonLabels()[r] ?? r, i === 0))),
      el("div", { class: "field" },
        el("label", { for: "close-side" }, t("If a participant withdrew, who?")),
        el("select", { id: "close-side" }, el("option", { value: "" }, t("Nobody withdrew")),
          ...Object.entries(sideLabels()).map(([value, label]) => el("option", { value }, label)))),
      el("div", { class: "field" },
        el("label", { for: "close-note" }, t("Note for the facilitators (optional)")),
        el("p", { class: "hint", id: "close-note-hint" }, t("Write why only if the person chose to say. Only this case's facilitators can read it.")),
        el("textarea", { id: "close-note", rows: 3, "aria-describedby": "close-note-hint" })),
      el("button", { type: "submit", id: "close-submit", class: "secondary" }, t("Close the case")),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(event.submitter, async () => {
        await post(`/api/cases/${caseId}/close`, {
          reason: form.querySelector("input[name=close-reason]:checked").value,
          withdrawn_side: $("close-side").value || null,
          note: sealNote($("close-note").value),
        });
        announce(t("The case is closed."));
        await refresh();
      });
    });
    return form;
  }

  function noteText(envelope) {
    if (!envelope) return null;
    const opened = openMessage({ envelope }, getKeys(), me);
    return opened.error ? t("(The note could not be opened: {error})", { error: opened.error }) : opened.text;
  }

  function outcomeView(outcome) {
    const said = achieved().filter(([id]) => outcome[id]).map(([, label]) => label);
    if (outcome.apology_offered && outcome.apology_accepted !== null) {
      said.push(outcome.apology_accepted ? t("The apology was accepted") : t("The apology was not accepted"));
    }
    const note = noteText(outcome.note);
    const modes = deliveryInSentence();
    return el("div", { class: "stack", id: "outcome-recorded" },
      el("h3", {}, t("The outcome")),
      el("ul", {}, ...said.map((line) => el("li", {}, line)),
        el("li", {}, t("Delivered by: {modes}", { modes: listWords(outcome.delivery_modes.map((m) => modes[m] ?? m)) }))),
      note ? el("p", { class: "message-body", id: "outcome-note-text" }, note) : null,
      outcome.agreement.length ? el("h4", {}, t("The agreement")) : null,
      el("ul", { id: "agreement-list", class: "queue" }, ...outcome.agreement.map((item) => el("li", { class: "queue-item" },
        el("p", {}, agreementKinds()[item.kind] ?? item.kind),
        el("p", {}, item.follow_up_on ? t("Follow up on {day}", { day: dayWords(item.follow_up_on) }) : t("No follow-up date")),
        item.met === null ? null : el("p", {}, item.met ? t("Met") : t("Not met")),
        item.may_record_follow_up ? el("div", { class: "actions" },
          el("button", { type: "button", onclick: (e) => recordFollowUp(e, item, true) }, t("It was met")),
          el("button", { type: "button", class: "secondary", onclick: (e) => recordFollowUp(e, item, false) }, t("It was not met"))) : null))),
    );
  }

  function recordFollowUp(event, item, met) {
    busy(event.currentTarget, async () => {
      await post(`/api/follow-ups/${item.item_id}`, { met });
      announce(met ? t("Recorded as met.") : t("Recorded as not met."));
      await refresh();
    });
  }

  function offerSurvey(sides) {
    return el("div", { class: "stack survey-offer" },
      el("p", {}, t("Someone who withdrew is offered the survey only if they agree.")),
      ...sides.map((side) => el("button", {
        type: "button", class: "secondary",
        onclick: (event) => busy(event.currentTarget, async () => {
          await post(`/api/cases/${caseId}/survey/offer`, { side });
          announce(t("The survey is offered."));
          await refresh();
        }),
      }, surveyOfferLabel(side))));
  }

  let shown = null;
  return function render() {
    const summary = getState().summary;
    // Draw again only when what the server allows or recorded changed: never wipe a form
    // someone is filling in because an unrelated event arrived.
    const now = JSON.stringify([summary.may_conclude, summary.close_reasons, summary.outcome,
      summary.closure, summary.may_offer_survey_to, getKeys().size]);
    if (now === shown) return;
    shown = now;
    const parts = [];
    if (summary.outcome) parts.push(outcomeView(summary.outcome));
    if (summary.closure) {
      const note = noteText(summary.closure.note);
      parts.push(el("p", { id: "closure-recorded" }, closedWords(summary.closure.reason)),
        note ? el("p", { class: "message-body" }, note) : null);
    }
    if (summary.may_conclude) parts.push(concludeForm());
    if (summary.close_reasons && summary.close_reasons.length) parts.push(closeForm(summary.close_reasons));
    if (summary.may_offer_survey_to && summary.may_offer_survey_to.length) parts.push(offerSurvey(summary.may_offer_survey_to));
    $("ending").replaceChildren(...parts.filter(Boolean));
  };
}
