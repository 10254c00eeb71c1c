// What a page shows about one case, from what the server says: the case summary (with its
// `may_*` fields) and the events of the stream. Pure: no DOM, no network, no cryptography.
// The page opens envelopes, asks the server, and puts into the DOM what this module says;
// it decides no rule. Every control shown or enabled comes straight from a `may_*` field.

import { listWords, t } from "./i18n/messages.js";

export const SIDE_WORDS = { harmed: t("the person harmed"), responsible: t("the person responsible") };

export const KIND_WORDS = {
  question: t("Question"),
  answer: t("Answer"),
  statement: t("Statement"),
  letter: t("Letter"),
  apology: t("Apology"),
  note_to_facilitator: t("Note to facilitators"),
  facilitator_note: t("Facilitator note"),
  return_note: t("Return note"),
  rejection_reason: t("Reason for not passing on"),
  supporter_draft: t("Supporter’s draft"),
};

const PARTICIPANT_KIND_WORDS = {
  ...KIND_WORDS,
  note_to_facilitator: t("Note to your facilitator"),
  facilitator_note: t("From your facilitator"),
  return_note: t("Your facilitator’s note"),
  rejection_reason: t("The reason"),
  supporter_draft: t("A draft"),
};

export const STATE_WORDS = {
  submitted: t("Waiting for your facilitator"),
  approved: t("Passed on by your facilitator"),
  approved_with_changes: t("Passed on with changes by your facilitator"),
  returned: t("Returned by your facilitator"),
  rejected: t("Not passed on"),
  retracted: t("Taken back"),
  voided: t("Not passed on: you withdrew"),
  delivered: t("Sent to your facilitator"),
};

// A message's state as a facilitator reads it in the case record: plain words, never the
// server's state names.
export const RECORD_STATE_WORDS = {
  submitted: t("waiting for a decision"),
  approved: t("passed on"),
  returned: t("returned with a note"),
  rejected: t("not passed on"),
  retracted: t("taken back by its writer"),
  voided: t("not passed on: the writer withdrew"),
  delivered: t("sent to the facilitators"),
};

const CASE_STATE_WORDS = {
  referred: t("Referred: not yet assessed."),
  assessing: t("Being assessed."),
  unsuitable: t("Found unsuitable: the process has ended."),
  preparing: t("Preparing: the conversation has not started."),
  concluded: t("Concluded."),
  closed: t("Closed."),
};

// One participant's part in the case, for facilitators. "Taking part" only while the
// conversation really runs: a safety pause or the other side's pause is said as such.
export function participationWords(participant, summary) {
  if (participant.state === "withdrawn") return t("Has withdrawn: the process has ended for them.");
  if (participant.state === "paused") return t("Has paused the conversation.");
  if (participant.state !== "active") return t("Not taking part yet.");
  if (summary.state === "active" && !summary.communicating) return t("Taking part; the conversation is paused.");
  return t("Taking part.");
}

// A fresh state for one viewer (`viewerId`, their user id) from a case summary.
export function caseState(summary, viewerId) {
  return {
    viewerId,
    summary: structuredClone(summary),
    messages: new Map(), // message_id -> { wire, seq, stateSeq }
    opened: new Map(), // message_id -> { who, refused }: what opening it said of its writer
    pendingStates: new Map(), // message_id -> { state, seq }: a state that came before its message
    forwards: new Map(), // message_id -> { id, edited }: the forward that passed it on (message_state)
    seen: new Set(), // seqs already folded
    factSeq: summary.latest_seq ?? 0, // the newest event the case facts reflect
    stale: false, // true when an event may have changed a may_* field: read the summary again
  };
}

// Take a summary read again. An answer older than what the state already reflects (two reads
// crossing) is ignored. Returns true when it was taken.
export function withSummary(state, summary) {
  if ((summary.latest_seq ?? 0) < state.factSeq) return false;
  state.summary = structuredClone(summary);
  state.factSeq = summary.latest_seq ?? 0;
  state.stale = false;
  return true;
}

function isFacilitatorView(state) {
  return Array.isArray(state.summary.participants);
}

// Take what opening a message (casekeys.js openMessage, or reopenFailed) said of its writer:
// `opened.who` (the owner of the key that wrote it, or null when a facilitator re-encrypted
// it from a key no longer listed) or `opened.error` (refused or not opened). The page calls
// this for every message it opens, before folding its event, and again after opening it
// anew with keys read again.
export function withOpened(state, messageId, opened) {
  state.opened.set(messageId, { who: opened.error ? null : opened.who ?? null, refused: Boolean(opened.error) });
}

// Who wrote a message: the owner of the key that wrote it, as casekeys.js authorOf decides it
// when the page opens the message (the same rule as the Python client), never the header's
// sender_id alone. "me"; "facilitator" for a facilitator key of the case; for a facilitator
// viewing, the side ("harmed" or "responsible") of the participant whose key it is;
// "unopened" for a message not opened yet or refused. A message re-encrypted after an account
// recovery whose writer's key is retired opens with no key owner: it is "me" only when the
// server says it is the viewer's own (`from_you`), "unknown" otherwise. A participant never
// receives anything the other party sealed: what comes from them is a facilitator's forward
// of a kind the server lists for the other party, so `passedOn` is true for it and `author`
// says "other_party".
export function authorOf(state, wire) {
  const opened = state.opened.get(wire.message_id);
  const unknown = { author: "unknown", passedOn: false };
  if (!opened || opened.refused) return { author: "unopened", passedOn: false };
  const { who } = opened;
  if (!who) return wire.from_you === true ? { author: "me", passedOn: false } : unknown;
  if (who.role === "me") return { author: "me", passedOn: false };
  if (who.role === "facilitator") {
    const forOtherParty = (state.summary.kinds?.other_party || []).includes(wire.kind);
    // A facilitator's forward of the reader's own message, sealed to them too: the version
    // the other person received, not a message from the other person.
    const derived = wire.envelope?.header?.derived_from;
    const original = derived ? state.messages.get(derived) : null;
    if (!isFacilitatorView(state) && forOtherParty && original && authorOf(state, original.wire).author === "me") {
      return { author: "facilitator", passedOn: false, versionOf: derived };
    }
    if (!isFacilitatorView(state) && forOtherParty) return { author: "other_party", passedOn: true };
    return { author: "facilitator", passedOn: false };
  }
  if (who.role === "participant" && isFacilitatorView(state) && who.side) return { author: who.side, passedOn: false };
  if (who.role === "supporter") return { author: "supporter", passedOn: false, name: who.name };
  return unknown;
}

function applyMessage(state, wire, seq) {
  const known = state.messages.get(wire.message_id);
  if (known) {
    if (seq > known.stateSeq) {
      known.wire = { ...known.wire, state: wire.state };
      known.stateSeq = seq;
    }
    return { entry: known, isNew: false };
  }
  const entry = { wire: structuredClone(wire), seq, stateSeq: seq };
  const pending = state.pendingStates.get(wire.message_id);
  if (pending && pending.seq > seq) {
    entry.wire.state = pending.state;
    entry.stateSeq = pending.seq;
  }
  state.pendingStates.delete(wire.message_id);
  state.messages.set(wire.message_id, entry);
  return { entry, isNew: true };
}

function applyMessageState(state, { message_id: id, state: newState }, seq) {
  const entry = state.messages.get(id);
  if (!entry) {
    const pending = state.pendingStates.get(id);
    if (!pending || seq > pending.seq) state.pendingStates.set(id, { state: newState, seq });
    return null;
  }
  if (seq > entry.stateSeq) {
    entry.wire = { ...entry.wire, state: newState };
    entry.stateSeq = seq;
  }
  return entry;
}

// Case facts from events: taken only from an event newer than the summary and than any
// fact taken before, so a replayed or late event never undoes a newer fact.
function applyCaseFact(state, event) {
  if (event.seq <= state.factSeq) return;
  state.factSeq = event.seq;
  const s = state.summary;
  const data = event.data || {};
  if (event.type === "communication") {
    s.communicating = data.communicating;
    if (isFacilitatorView(state)) {
      s.safety_paused = data.safety_paused;
      for (const p of s.participants) {
        if (p.state === "paused" || p.state === "active") {
          p.state = (data.paused_sides || []).includes(p.side) ? "paused" : "active";
        }
      }
    } else {
      s.paused_by_you = data.paused_by_you;
      if (s.participation === "paused" || s.participation === "active") {
        s.participation = data.paused_by_you ? "paused" : "active";
      }
    }
  } else if (event.type === "participation") {
    if (isFacilitatorView(state)) {
      const p = s.participants.find((q) => q.side === data.side);
      if (p) p.state = data.state;
    } else if (data.side === s.side) {
      s.participation = data.state;
    } else if (data.state === "withdrawn") {
      s.other_party = { ...s.other_party, withdrawn: true };
    }
  } else if (event.type === "case" && data.state) {
    s.state = data.state;
  }
}

// Fold one event of the stream (live or replayed) into the state. Returns
// { changed, news, keyChanged, unknownMessage }: `news` is a sentence to announce (for a
// live event), `changed` false for a duplicate or another case's event.
export function foldEvent(state, event) {
  const result = { changed: false, news: null, keyChanged: false, message: null };
  if (typeof event.seq !== "number" || state.seen.has(event.seq)) return result;
  state.seen.add(event.seq);
  if (event.case_id && event.case_id !== state.summary.case_id) return result;
  result.changed = true;
  const facilitatorView = isFacilitatorView(state);
  // Only an event newer than the summary can have changed a may_* field.
  const markStale = () => {
    if (event.seq > (state.summary.latest_seq ?? 0)) state.stale = true;
  };
  if (event.type === "message" && event.message) {
    const { entry, isNew } = applyMessage(state, event.message, event.seq);
    result.message = entry;
    const { author, passedOn, versionOf } = authorOf(state, entry.wire);
    if (author === "me") {
      markStale();
    } else if (versionOf) {
      // The version passed on of the reader's own message: its message_state says so.
    } else if (isNew && facilitatorView) {
      if (entry.wire.audience === "other_party" && entry.wire.state === "submitted") {
        result.news = t("A new message is waiting for your decision.");
      }
    } else if (isNew && author === "unopened") {
      result.news = t("A new message has arrived.");
    } else if (isNew) {
      result.news = passedOn
        ? t("New message passed on from {name}.", { name: state.summary.other_party.label })
        : t("New message from your facilitator.");
    }
  } else if (event.type === "message_state") {
    const entry = applyMessageState(state, event.data, event.seq);
    if (event.data.forward_id) {
      state.forwards.set(event.data.message_id, { id: event.data.forward_id, edited: Boolean(event.data.edited) });
    }
    markStale();
    if (!facilitatorView) {
      const words = event.data.state === "approved" && event.data.edited ? STATE_WORDS.approved_with_changes : STATE_WORDS[event.data.state];
      result.news = t("One of your messages: {status}.", { status: words || event.data.state });
    }
    result.message = entry;
  } else if (["communication", "participation", "case"].includes(event.type)) {
    applyCaseFact(state, event);
    markStale();
    if (event.type === "communication") {
      result.news = facilitatorView ? caseStateWords(state.summary) : bannerWords(state.summary);
    }
  } else if (event.type === "key") {
    result.keyChanged = true;
    markStale();
  }
  return result;
}

// A case's state in words for facilitators: whether it is communicating, the safety pause,
// and each side's participation.
export function caseStateWords(summary) {
  if (summary.state !== "active") return CASE_STATE_WORDS[summary.state] || t("Not active.");
  if (summary.communicating) return t("Communicating: messages can be passed on.");
  const parts = [];
  const paused = (summary.participants || []).filter((p) => p.state === "paused").map((p) => SIDE_WORDS[p.side]);
  const gone = (summary.participants || []).filter((p) => p.state === "withdrawn").map((p) => SIDE_WORDS[p.side]);
  if (summary.safety_paused) parts.push(t("a facilitator (safety pause)"));
  parts.push(...paused);
  let text = parts.length ? t("Paused by {who}.", { who: listWords(parts) }) : t("Not communicating.");
  if (gone.length) text += ` ${t("Withdrawn: {who}. The process has ended for them.", { who: listWords(gone) })}`;
  return t("{state} Nothing can be passed on now.", { state: text });
}

// The participant's banner. The other party only ever learns that communication is paused,
// never by whom: the summary tells them no more, and these words add nothing.
// Case states in which the process has ended for everyone.
export const ENDED_CASE_STATES = ["closed", "concluded", "unsuitable"];

export function bannerWords(summary) {
  if (summary.participation === "withdrawn") return t("You have withdrawn from this process.");
  if (ENDED_CASE_STATES.includes(summary.state)) {
    return summary.may_write_to_facilitators
      ? t("This process has ended. You can still write to your facilitator.")
      : t("This process has ended.");
  }
  if (summary.other_party.withdrawn) {
    return t("The process has ended: {name} has withdrawn. You can still write to your facilitator.", {
      name: summary.other_party.label,
    });
  }
  if (summary.paused_by_you) {
    return t("You have paused the conversation. Nothing is passed on in either direction until you resume. You can still write to your facilitator.");
  }
  if (!summary.communicating) {
    return summary.state === "active"
      ? t("The conversation is paused. You can still write to your facilitator.")
      : t("The conversation has not started yet. You can write to your facilitator now.");
  }
  return t("The conversation is open. Your facilitator reads every message before it is passed on.");
}

function ordered(state) {
  return [...state.messages.values()].sort((a, b) => a.seq - b.seq);
}

// What the conversation page shows a participant.
export function conversationView(state) {
  const s = state.summary;
  const entries = ordered(state);
  const mine = new Set(entries.filter((e) => authorOf(state, e.wire).author === "me").map((e) => e.wire.message_id));
  const notesFor = new Map();
  const versionFor = new Map(); // my message id -> the forward of it sealed to me
  const revisionOf = new Map(); // my returned message id -> my new version of it
  const listed = [];
  for (const entry of entries) {
    const derived = entry.wire.envelope.header.derived_from;
    const { author, versionOf } = authorOf(state, entry.wire);
    if (author === "me" && derived && mine.has(derived)) revisionOf.set(derived, entry.wire.message_id);
    if (versionOf && mine.has(versionOf)) {
      versionFor.set(versionOf, { id: entry.wire.message_id, edited: Boolean(entry.wire.envelope.header.edited), at: entry.wire.at });
    } else if (author === "facilitator" && derived && mine.has(derived)) {
      if (!notesFor.has(derived)) notesFor.set(derived, []);
      notesFor.get(derived).push({ id: entry.wire.message_id, label: PARTICIPANT_KIND_WORDS[entry.wire.kind] || t("Your facilitator’s note") });
    } else {
      listed.push(entry);
    }
  }
  const words = (kind) => PARTICIPANT_KIND_WORDS[kind] || kind;
  const messages = listed.map((entry) => {
    const { wire } = entry;
    const { author, passedOn } = authorOf(state, wire);
    let heading;
    if (author === "me") heading = t("You wrote: {kind}", { kind: words(wire.kind) });
    else if (passedOn) {
      // The other person has no device: a facilitator wrote their words down for them.
      const vars = { kind: words(wire.kind), name: s.other_party.label };
      heading = wire.entered_by_facilitator
        ? t("{kind} from {name}, written down for them and passed on by your facilitator", vars)
        : t("{kind} from {name}, passed on by your facilitator", vars);
    }
    else if (author === "facilitator") heading = words(wire.kind);
    else if (author === "supporter") {
      const name = authorOf(state, wire).name;
      heading = name
        ? t("{kind} from your supporter {name}", { kind: words(wire.kind), name })
        : t("{kind} from your supporter", { kind: words(wire.kind) });
    }
    else if (author === "unopened") heading = t("A message that could not be opened");
    else heading = t("From someone no longer part of this conversation");
    // What was passed on: the forward sealed to me if there is one, else what its
    // message_state said (a forward from a client that did not seal it to me).
    const version = versionFor.get(wire.message_id) || null;
    const forward = state.forwards.get(wire.message_id);
    const changed = wire.state === "approved" && Boolean(version ? version.edited : forward?.edited);
    const derived = wire.envelope.header.derived_from;
    return {
      id: wire.message_id,
      author,
      passedOn,
      heading,
      at: wire.at,
      state: wire.state,
      status: author === "me" ? (changed ? STATE_WORDS.approved_with_changes : STATE_WORDS[wire.state]) || t("Status not known") : null,
      changed,
      // The version the other person received, to show beside mine.
      version,
      // A new version names the returned message it replaces, and the returned one its
      // new version.
      replaces: author === "me" && derived && mine.has(derived) ? derived : null,
      replacedBy: author === "me" ? revisionOf.get(wire.message_id) || null : null,
      notes: notesFor.get(wire.message_id) || [],
      mayRevise: author === "me" && (s.may_revise || []).includes(wire.message_id),
      mayRetract: author === "me" && (s.may_retract || []).includes(wire.message_id),
    };
  });
  const otherKinds = s.kinds?.other_party || [];
  const facilitatorKinds = s.kinds?.facilitators || [];
  const caseEnded = ENDED_CASE_STATES.includes(s.state);
  return {
    ended: s.participation === "withdrawn",
    // The process has ended for this person: show the services they can turn to.
    signpost: s.participation === "withdrawn" || Boolean(s.other_party?.withdrawn) || caseEnded,
    caseEnded,
    banner: bannerWords(s),
    pause: {
      shown: Boolean(s.may_pause || s.may_resume),
      action: s.may_resume ? "resume" : "pause",
      label: s.may_resume ? t("Resume the conversation") : t("Pause the conversation"),
      hint: s.may_resume
        ? t("Only you can resume it.")
        : t("Stops anything being passed on in either direction, straight away, until you resume."),
    },
    withdraw: Boolean(s.may_withdraw),
    composeHint: s.other_party?.withdrawn
      ? t("Nothing more can be passed on: {name} has withdrawn. Your facilitator reads what you write to them.", {
        name: s.other_party.label,
      })
      : t("Your facilitator reads everything first. They may pass it on, ask you to change it, or explain why not."),
    // Whether a kind may be written now: straight from may_write_to_*.
    mayWrite(kind) {
      if (otherKinds.includes(kind)) return Boolean(s.may_write_to_other_party);
      if (facilitatorKinds.includes(kind)) return Boolean(s.may_write_to_facilitators);
      return false;
    },
    // The kind to fall back to when the chosen one may not be written now.
    fallbackKind: s.may_write_to_facilitators ? facilitatorKinds[0] || null : null,
    // A new version names the returned message only when it goes to the other party.
    revisionOf(kind, messageId) {
      return messageId && otherKinds.includes(kind) && (s.may_revise || []).includes(messageId) ? messageId : null;
    },
    messages,
  };
}

// What a facilitator's case page shows.
export function facilitatorView(state) {
  const s = state.summary;
  // A held participant's words are written by a facilitator's key; the server names their
  // side (`entered_for`, facilitators only).
  const sideOf = (wire) => {
    if (SIDE_WORDS[wire.entered_for]) return wire.entered_for;
    const { author } = authorOf(state, wire);
    return SIDE_WORDS[author] ? author : null;
  };
  const from = (wire) => {
    if (SIDE_WORDS[wire.entered_for]) return t("{side} (entered by a facilitator)", { side: SIDE_WORDS[wire.entered_for] });
    const { author } = authorOf(state, wire);
    if (SIDE_WORDS[author]) return SIDE_WORDS[author];
    if (author === "me") return t("you");
    if (author === "facilitator") return t("a co-facilitator");
    if (author === "supporter") return t("a supporter, {name}", { name: authorOf(state, wire).name || t("no name given") });
    if (author === "unopened") return t("a writer this page could not confirm");
    return t("someone no longer in this case");
  };
  const words = (kind) => KIND_WORDS[kind] || kind;
  const entries = ordered(state);
  const stateWords = caseStateWords(s);
  return {
    reference: s.reference,
    stateWords,
    safetyToggle: {
      shown: Boolean(s.may_safety_pause || s.may_resume_safety_pause),
      action: s.may_resume_safety_pause ? "resume" : "pause",
      label: s.may_resume_safety_pause ? t("Lift the safety pause") : t("Pause this case for safety"),
    },
    mayForward: Boolean(s.may_forward),
    forwardBlocked: s.may_forward
      ? ""
      : t("{state} You can still return it or explain why it will not be passed on.", { state: stateWords }),
    noteTo: (s.participants || []).filter((p) => p.key && (s.may_send_note_to || []).includes(p.side)),
    record: entries.map(({ wire }) => ({
      id: wire.message_id,
      heading: t("{kind} from {who}", { kind: words(wire.kind), who: from(wire) }),
      at: wire.at,
      meta: ` · ${RECORD_STATE_WORDS[wire.state] || t("in an unknown state")}${wire.envelope.header.edited ? ` · ${t("changed by a facilitator")}` : ""}`,
    })),
    // The participant who wrote a message, and who a forward of it goes to (the server's
    // `forward_to` for that side).
    senderOf(wire) {
      const side = sideOf(wire);
      return side ? (s.participants || []).find((p) => p.side === side) || null : null;
    },
    forwardTargetOf(wire) {
      const sender = this.senderOf(wire);
      return sender ? (s.participants || []).find((p) => p.side === sender.forward_to) || null : null;
    },
    describe(wire) {
      const sender = this.senderOf(wire);
      const target = this.forwardTargetOf(wire);
      const vars = { kind: words(wire.kind), who: sender ? SIDE_WORDS[sender.side] : from(wire) };
      return target
        ? t("{kind} from {who}, to be passed on to {target}.", { ...vars, target: SIDE_WORDS[target.side] })
        : t("{kind} from {who}.", vars);
    },
    queueLine(wire) {
      const sender = this.senderOf(wire);
      return t("{kind} from {who}, sent ", { kind: words(wire.kind), who: sender ? SIDE_WORDS[sender.side] : t("a participant") });
    },
  };
}

// The messages waiting for a decision, from the queue the server returned and what the
// stream said since: a message leaves the queue once its state is no longer "submitted".
export function waitingIds(state, queued) {
  return queued.filter((id) => {
    const entry = state.messages.get(id);
    return !entry || entry.wire.state === "submitted";
  });
}

// What the facilitator is told about when the case's content will be deleted (the
// retention wire form, docs/api.md "Retention"). `day` formats an ISO time as words.
const HOLD_WORDS = {
  legal_proceedings: t("legal proceedings"),
  complaint: t("a complaint"),
  safeguarding: t("safeguarding"),
  subject_request: t("a request for the person's data"),
  other: t("another reason"),
};

export function retentionWords(retention, day) {
  if (retention.shredded_at) {
    return t("The messages and records of this case were deleted on {day}. The audit log keeps what happened, without any content.", {
      day: day(retention.shredded_at),
    });
  }
  if (!retention.ended_at) {
    return t("The messages and records are kept while the case is open, and deleted a set time after it ends.");
  }
  if (retention.hold) {
    return t("The case ended on {day}. Its messages and records are kept while the hub's hold for {reason} is in place.", {
      day: day(retention.ended_at),
      reason: HOLD_WORDS[retention.hold.reason] || t("another reason"),
    });
  }
  return t("The case ended on {day}. Its messages and records will be deleted on {deleteDay}.", {
    day: day(retention.ended_at),
    deleteDay: day(retention.shred_after),
  });
}
