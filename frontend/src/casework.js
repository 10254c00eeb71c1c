// Case work in words: the steps the server offers (the summary's case_steps) and one line
// for each timeline entry. No rule is decided here: the server lists the steps and checks
// each gate when a step is taken.

import { t } from "./i18n/messages.js";

export const STEPS = {
  begin_assessment: { label: t("Begin assessment"), path: "assess", done: t("The assessment has begun.") },
  begin_preparation: { label: t("Begin preparation"), path: "prepare", done: t("The case is in preparation.") },
  start_communication: { label: t("Start the conversation"), path: "start", done: t("The conversation has started.") },
};

export const STAGE_WORDS = {
  referred: t("Referred: the assessment has not begun."),
  assessing: t("Being assessed: record suitability, risk, contact and the approach, then begin preparation."),
  preparing: t("In preparation: when both people have agreed to messages, start the conversation."),
  active: t("The conversation is open."),
  concluded: t("Concluded."),
  unsuitable: t("Found unsuitable."),
  closed: t("Closed."),
};

const SIDES = { harmed: t("the person harmed"), responsible: t("the person responsible") };
const METHODS = { phone: t("by phone"), email: t("by email"), letter: t("by letter"), visit: t("by a visit"), other: t("another way") };
const RESPONSES = { accepted: t("accepted"), declined: t("declined"), needs_time: t("needs time") };
const WHAT = {
  case_created: t("Case created."),
  facilitator_assigned: t("Facilitator assigned."),
  facilitator_unassigned: t("Facilitator unassigned."),
  participant_added: t("Participant added."),
  consent: t("Consent changed."),
  paused: t("Paused."),
  resumed: t("Resumed."),
  withdrawn: t("Withdrawn."),
  held: t("Held."),
  participation_state: t("A participation moved on."),
};

// The steps a button is offered for, in the server's order. Finding a case unsuitable
// needs a reason and a notice to each person: it has its own form, not a button.
export function stepsOffered(caseSteps) {
  return (caseSteps || []).filter((name) => name in STEPS);
}

// One line for a record's clear facts. `criteria` maps criterion name to its words.
export function recordWords(record, criteria = {}) {
  const f = record.facts || {};
  switch (record.kind) {
    case "suitability": {
      const met = Object.keys(f).filter((name) => f[name] === true);
      const unmet = Object.keys(f).filter((name) => f[name] !== true);
      const words = (names) => names.map((name) => criteria[name] || name).join("; ");
      const metWords = met.length ? t("met: {criteria}", { criteria: words(met) }) : t("no criterion met");
      return unmet.length
        ? t("Suitability: {met}. Not met: {unmet}.", { met: metWords, unmet: words(unmet) })
        : t("Suitability: {met}.", { met: metWords });
    }
    case "risk_assessment":
      return t("Risk assessment: {level} risk.", { level: f.level });
    case "contact_attempt": {
      const vars = { side: SIDES[f.side] || f.side, method: METHODS[f.method] || f.method };
      return f.reached
        ? t("Contact attempt with {side} {method}: reached.", vars)
        : t("Contact attempt with {side} {method}: not reached.", vars);
    }
    case "approach":
      return t("Approach to the person responsible: {response}.", { response: RESPONSES[f.response] || f.response });
    case "case_note":
      return t("Case note.");
    default:
      return t("Record.");
  }
}

// One line for a timeline entry that is not a record.
export function entryWords(entry) {
  const d = entry.details || {};
  if (entry.what === "case_state") return t("Case moved from {old} to {new}.", { old: d.old, new: d.new });
  return WHAT[entry.what] || `${entry.what}.`;
}
