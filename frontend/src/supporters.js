// Supporters in words, for the participant's own page and the facilitator's case page.
// No rule is decided here: the server says each supporter's state and who ended it.

import { t } from "./i18n/messages.js";

const SIDES = { harmed: t("the person harmed"), responsible: t("the person responsible") };
// The same at the start of a sentence.
const SIDES_FIRST = { harmed: t("The person harmed"), responsible: t("The person responsible") };

// What a participant reads about one of their supporters.
export function supporterWordsForParticipant(s) {
  const name = s.display_name || t("Your supporter");
  if (s.state === "requested") {
    return t("You asked for a supporter. Your facilitator will talk to you about it before anything happens.");
  }
  if (s.state === "approved") {
    return s.enrolled
      ? t("{name} is supporting you. They can read your side of the conversation and help you write.", { name })
      : t("Your facilitator agreed. {name} has been given a code to set up their account, and has not used it yet.", { name });
  }
  if (s.ended_by === "participant") {
    return s.display_name
      ? t("You ended {name}'s support. They can no longer see anything in your case.", { name })
      : t("You took back your request for a supporter.");
  }
  return s.display_name
    ? t("Your facilitator ended {name}'s support. They can no longer see anything in your case.", { name })
    : t("Your facilitator did not agree to this supporter. They can tell you why.");
}

// What a facilitator reads about a supporter in their case.
export function supporterWordsForFacilitator(s) {
  const whose = SIDES[s.side] || s.side;
  const Whose = SIDES_FIRST[s.side] || s.side;
  const name = s.display_name || t("A supporter");
  if (s.state === "requested") return t("{Whose} asked for a supporter.", { Whose });
  if (s.state === "approved") {
    return s.enrolled
      ? t("{name} supports {whose}: enrolled.", { name, whose })
      : t("{name} supports {whose}: has not used their enrolment code yet.", { name, whose });
  }
  if (!s.display_name) {
    return s.ended_by === "participant"
      ? t("{Whose} took back a request for a supporter.", { Whose })
      : t("A request from {whose} for a supporter was declined.", { whose });
  }
  return s.ended_by === "participant"
    ? t("{name} no longer supports {whose}: ended by the participant.", { name, whose })
    : t("{name} no longer supports {whose}: ended by a facilitator.", { name, whose });
}

// The buttons a supporter row offers, by state: a request can be taken back (participant)
// or approved or declined (facilitator); support can be ended by either.
export function supporterActions(s, viewer) {
  if (s.state === "requested") return viewer === "facilitator" ? ["approve", "decline"] : ["take_back"];
  if (s.state === "approved") return ["end"];
  return [];
}
