// Case work in words: the steps the server offers (the summary's case_steps) and one line
// for each timeline entry. No rule is decided here: the server lists the steps and checks
// each gate when a step is taken.

export const STEPS = {
  begin_assessment: { label: "Begin assessment", path: "assess", done: "The assessment has begun." },
  begin_preparation: { label: "Begin preparation", path: "prepare", done: "The case is in preparation." },
  start_communication: { label: "Start the conversation", path: "start", done: "The conversation has started." },
};

export const STAGE_WORDS = {
  referred: "Referred: the assessment has not begun.",
  assessing: "Being assessed: record suitability, risk, contact and the approach, then begin preparation.",
  preparing: "In preparation: when both people have agreed to messages, start the conversation.",
  active: "The conversation is open.",
  concluded: "Concluded.",
  unsuitable: "Found unsuitable.",
  closed: "Closed.",
};

const SIDES = { harmed: "the person harmed", responsible: "the person responsible" };
const METHODS = { phone: "by phone", email: "by email", letter: "by letter", visit: "by a visit", other: "another way" };
const RESPONSES = { accepted: "accepted", declined: "declined", needs_time: "needs time" };
const WHAT = {
  case_created: "Case created",
  facilitator_assigned: "Facilitator assigned",
  facilitator_unassigned: "Facilitator unassigned",
  participant_added: "Participant added",
  consent: "Consent changed",
  paused: "Paused",
  resumed: "Resumed",
  withdrawn: "Withdrawn",
  held: "Held",
  participation_state: "A participation moved on",
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
      return `Suitability: ${met.length ? `met: ${words(met)}` : "no criterion met"}${unmet.length ? `. Not met: ${words(unmet)}` : ""}.`;
    }
    case "risk_assessment":
      return `Risk assessment: ${f.level} risk.`;
    case "contact_attempt":
      return `Contact attempt with ${SIDES[f.side] || f.side} ${METHODS[f.method] || f.method}: ${f.reached ? "reached" : "not reached"}.`;
    case "approach":
      return `Approach to the person responsible: ${RESPONSES[f.response] || f.response}.`;
    case "case_note":
      return "Case note.";
    default:
      return "Record.";
  }
}

// One line for a timeline entry that is not a record.
export function entryWords(entry) {
  const d = entry.details || {};
  if (entry.what === "case_state") return `Case moved from ${d.old} to ${d.new}.`;
  return `${WHAT[entry.what] || entry.what}.`;
}
