// Supporters in words, for the participant's own page and the facilitator's case page.
// No rule is decided here: the server says each supporter's state and who ended it.

const SIDES = { harmed: "the person harmed", responsible: "the person responsible" };

// What a participant reads about one of their supporters.
export function supporterWordsForParticipant(s) {
  const name = s.display_name || "Your supporter";
  if (s.state === "requested") {
    return "You asked for a supporter. Your facilitator will talk to you about it before anything happens.";
  }
  if (s.state === "approved") {
    return s.enrolled
      ? `${name} is supporting you. They can read your side of the conversation and help you write.`
      : `Your facilitator agreed. ${name} has been given a code to set up their account, and has not used it yet.`;
  }
  if (s.ended_by === "participant") {
    return s.display_name
      ? `You ended ${name}'s support. They can no longer see anything in your case.`
      : "You took back your request for a supporter.";
  }
  return s.display_name
    ? `Your facilitator ended ${name}'s support. They can no longer see anything in your case.`
    : "Your facilitator did not agree to this supporter. They can tell you why.";
}

// What a facilitator reads about a supporter in their case.
export function supporterWordsForFacilitator(s) {
  const whose = SIDES[s.side] || s.side;
  const name = s.display_name || "A supporter";
  if (s.state === "requested") return `${capital(whose)} asked for a supporter.`;
  if (s.state === "approved") {
    return `${name} supports ${whose}: ${s.enrolled ? "enrolled" : "has not used their enrolment code yet"}.`;
  }
  if (!s.display_name) {
    return s.ended_by === "participant"
      ? `${capital(whose)} took back a request for a supporter.`
      : `A request from ${whose} for a supporter was declined.`;
  }
  return `${name} no longer supports ${whose}: ended by ${s.ended_by === "participant" ? "the participant" : "a facilitator"}.`;
}

// The buttons a supporter row offers, by state: a request can be taken back (participant)
// or approved or declined (facilitator); support can be ended by either.
export function supporterActions(s, viewer) {
  if (s.state === "requested") return viewer === "facilitator" ? ["approve", "decline"] : ["take_back"];
  if (s.state === "approved") return ["end"];
  return [];
}

function capital(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
