// What a page shows about one case, from what the server says: the case summary (with its
// `may_*` fields) and the events of the stream. Pure: no DOM, no network, no cryptography.
// The page opens envelopes, asks the server, and puts into the DOM what this module says;
// it decides no rule. Every control shown or enabled comes straight from a `may_*` field.

export const SIDE_WORDS = { harmed: "the person harmed", responsible: "the person responsible" };

export const KIND_WORDS = {
  question: "Question",
  answer: "Answer",
  statement: "Statement",
  letter: "Letter",
  apology: "Apology",
  note_to_facilitator: "Note to facilitators",
  facilitator_note: "Facilitator note",
  return_note: "Return note",
  rejection_reason: "Reason for not passing on",
  supporter_draft: "Supporter’s draft",
};

const PARTICIPANT_KIND_WORDS = {
  ...KIND_WORDS,
  note_to_facilitator: "Note to your facilitator",
  facilitator_note: "From your facilitator",
  return_note: "Your facilitator’s note",
  rejection_reason: "The reason",
  supporter_draft: "A draft",
};

export const STATE_WORDS = {
  submitted: "Waiting for your facilitator",
  approved: "Passed on by your facilitator",
  approved_with_changes: "Passed on with changes by your facilitator",
  returned: "Returned by your facilitator",
  rejected: "Not passed on",
  retracted: "Taken back",
  voided: "Not passed on: you withdrew",
  delivered: "Sent to your facilitator",
};

// A message's state as a facilitator reads it in the case record: plain words, never the
// server's state names.
export const RECORD_STATE_WORDS = {
  submitted: "waiting for a decision",
  approved: "passed on",
  returned: "returned with a note",
  rejected: "not passed on",
  retracted: "taken back by its writer",
  voided: "not passed on: the writer withdrew",
  delivered: "sent to the facilitators",
};

const CASE_STATE_WORDS = {
  referred: "Referred: not yet assessed.",
  assessing: "Being assessed.",
  unsuitable: "Found unsuitable: the process has ended.",
  preparing: "Preparing: the conversation has not started.",
  concluded: "Concluded.",
  closed: "Closed.",
};

// One participant's part in the case, for facilitators. "Taking part" only while the
// conversation really runs: a safety pause or the other side's pause is said as such.
export function participationWords(participant, summary) {
  if (participant.state === "withdrawn") return "Has withdrawn: the process has ended for them.";
  if (participant.state === "paused") return "Has paused the conversation.";
  if (participant.state !== "active") return "Not taking part yet.";
  if (summary.state === "active" && !summary.communicating) return "Taking part; the conversation is paused.";
  return "Taking part.";
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
        result.news = "A new message is waiting for your decision.";
      }
    } else if (isNew && author === "unopened") {
      result.news = "A new message has arrived.";
    } else if (isNew) {
      result.news = passedOn
        ? `New message passed on from ${state.summary.other_party.label}.`
        : "New message from your facilitator.";
    }
  } else if (event.type === "message_state") {
    const entry = applyMessageState(state, event.data, event.seq);
    if (event.data.forward_id) {
      state.forwards.set(event.data.message_id, { id: event.data.forward_id, edited: Boolean(event.data.edited) });
    }
    markStale();
    if (!facilitatorView) {
      const words = event.data.state === "approved" && event.data.edited ? STATE_WORDS.approved_with_changes : STATE_WORDS[event.data.state];
      result.news = `One of your messages: ${words || event.data.state}.`;
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
  if (summary.state !== "active") return CASE_STATE_WORDS[summary.state] || "Not active.";
  if (summary.communicating) return "Communicating: messages can be passed on.";
  const parts = [];
  const paused = (summary.participants || []).filter((p) => p.state === "paused").map((p) => SIDE_WORDS[p.side]);
  const gone = (summary.participants || []).filter((p) => p.state === "withdrawn").map((p) => SIDE_WORDS[p.side]);
  if (summary.safety_paused) parts.push("a facilitator (safety pause)");
  parts.push(...paused);
  let text = parts.length ? `Paused by ${parts.join(" and ")}.` : "Not communicating.";
  if (gone.length) text += ` Withdrawn: ${gone.join(" and ")}. The process has ended for them.`;
  return `${text} Nothing can be passed on now.`;
}

// The participant's banner. The other party only ever learns that communication is paused,
// never by whom: the summary tells them no more, and these words add nothing.
// Case states in which the process has ended for everyone.
export const ENDED_CASE_STATES = ["closed", "concluded", "unsuitable"];

export function bannerWords(summary) {
  if (summary.participation === "withdrawn") return "You have withdrawn from this process.";
  if (ENDED_CASE_STATES.includes(summary.state)) {
    return `This process has ended.${summary.may_write_to_facilitators ? " You can still write to your facilitator." : ""}`;
  }
  if (summary.other_party.withdrawn) {
    return `The process has ended: ${summary.other_party.label} has withdrawn. You can still write to your facilitator.`;
  }
  if (summary.paused_by_you) {
    return "You have paused the conversation. Nothing is passed on in either direction until you resume. You can still write to your facilitator.";
  }
  if (!summary.communicating) {
    return summary.state === "active"
      ? "The conversation is paused. You can still write to your facilitator."
      : "The conversation has not started yet. You can write to your facilitator now.";
  }
  return "The conversation is open. Your facilitator reads every message before it is passed on.";
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
      notesFor.get(derived).push({ id: entry.wire.message_id, label: PARTICIPANT_KIND_WORDS[entry.wire.kind] || "Your facilitator’s note" });
    } else {
      listed.push(entry);
    }
  }
  const words = (kind) => PARTICIPANT_KIND_WORDS[kind] || kind;
  const messages = listed.map((entry) => {
    const { wire } = entry;
    const { author, passedOn } = authorOf(state, wire);
    let heading;
    if (author === "me") heading = `You wrote: ${words(wire.kind)}`;
    else if (passedOn) {
      // The other person has no device: a facilitator wrote their words down for them.
      const how = wire.entered_by_facilitator ? "written down for them and passed on" : "passed on";
      heading = `${words(wire.kind)} from ${s.other_party.label}, ${how} by your facilitator`;
    }
    else if (author === "facilitator") heading = words(wire.kind);
    else if (author === "supporter") heading = `${words(wire.kind)} from your supporter ${authorOf(state, wire).name || ""}`.trim();
    else if (author === "unopened") heading = "A message that could not be opened";
    else heading = "From someone no longer part of this conversation";
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
      status: author === "me" ? (changed ? STATE_WORDS.approved_with_changes : STATE_WORDS[wire.state]) || "Status not known" : null,
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
      label: s.may_resume ? "Resume the conversation" : "Pause the conversation",
      hint: s.may_resume
        ? "Only you can resume it."
        : "Stops anything being passed on in either direction, straight away, until you resume.",
    },
    withdraw: Boolean(s.may_withdraw),
    composeHint: s.other_party?.withdrawn
      ? `Nothing more can be passed on: ${s.other_party.label} has withdrawn. Your facilitator reads what you write to them.`
      : "Your facilitator reads everything first. They may pass it on, ask you to change it, or explain why not.",
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
    if (SIDE_WORDS[wire.entered_for]) return `${SIDE_WORDS[wire.entered_for]} (entered by a facilitator)`;
    const { author } = authorOf(state, wire);
    if (SIDE_WORDS[author]) return SIDE_WORDS[author];
    if (author === "me") return "you";
    if (author === "facilitator") return "a co-facilitator";
    if (author === "supporter") return `a supporter, ${authorOf(state, wire).name || "no name given"}`;
    if (author === "unopened") return "a writer this page could not confirm";
    return "someone no longer in this case";
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
      label: s.may_resume_safety_pause ? "Lift the safety pause" : "Pause this case for safety",
    },
    mayForward: Boolean(s.may_forward),
    forwardBlocked: s.may_forward ? "" : `${stateWords} You can still return it or explain why it will not be passed on.`,
    noteTo: (s.participants || []).filter((p) => p.key && (s.may_send_note_to || []).includes(p.side)),
    record: entries.map(({ wire }) => ({
      id: wire.message_id,
      heading: `${words(wire.kind)} from ${from(wire)}`,
      at: wire.at,
      meta: ` · ${RECORD_STATE_WORDS[wire.state] || "in an unknown state"}${wire.envelope.header.edited ? " · changed by a facilitator" : ""}`,
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
      return `${words(wire.kind)} from ${sender ? SIDE_WORDS[sender.side] : from(wire)}${target ? `, to be passed on to ${SIDE_WORDS[target.side]}` : ""}.`;
    },
    queueLine(wire) {
      const sender = this.senderOf(wire);
      return `${words(wire.kind)} from ${sender ? SIDE_WORDS[sender.side] : "a participant"}, sent `;
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
  legal_proceedings: "legal proceedings",
  complaint: "a complaint",
  safeguarding: "safeguarding",
  subject_request: "a request for the person's data",
  other: "another reason",
};

export function retentionWords(retention, day) {
  if (retention.shredded_at) {
    return `The messages and records of this case were deleted on ${day(retention.shredded_at)}. The audit log keeps what happened, without any content.`;
  }
  if (!retention.ended_at) {
    return "The messages and records are kept while the case is open, and deleted a set time after it ends.";
  }
  if (retention.hold) {
    return `The case ended on ${day(retention.ended_at)}. Its messages and records are kept while the hub's hold for ${HOLD_WORDS[retention.hold.reason] || "another reason"} is in place.`;
  }
  return `The case ended on ${day(retention.ended_at)}. Its messages and records will be deleted on ${day(retention.shred_after)}.`;
}
