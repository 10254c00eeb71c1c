// The case-state module under Node's own test runner: `node --test frontend/test/`.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  authorOf,
  bannerWords,
  caseState,
  conversationView,
  facilitatorView,
  foldEvent,
  participationWords,
  retentionWords,
  waitingIds,
  withOpened,
  withSummary,
} from "../src/casestate.js";
import { authorOf as authorByKey } from "../src/casekeys.js";

const CASE = "11111111-1111-4111-8111-111111111111";
const ME = "aaaaaaaa-0000-4000-8000-000000000001";
const OTHER = "aaaaaaaa-0000-4000-8000-000000000002";
const FAC = "ffffffff-0000-4000-8000-000000000001";
const KINDS = { other_party: ["answer", "apology", "letter", "question", "statement"], facilitators: ["note_to_facilitator"] };

// What the server's case summary says to the person harmed in each state
// (tests/api/test_case_summary.py checks the same flags against the actions).
const PARTICIPANT_STATES = {
  active: { communicating: true, participation: "active", paused_by_you: false, withdrawn: false,
    may: { may_pause: true, may_resume: false, may_withdraw: true, may_write_to_other_party: true, may_write_to_facilitators: true } },
  "paused by me": { communicating: false, participation: "paused", paused_by_you: true, withdrawn: false,
    may: { may_pause: false, may_resume: true, may_withdraw: true, may_write_to_other_party: true, may_write_to_facilitators: true } },
  "paused by the other": { communicating: false, participation: "active", paused_by_you: false, withdrawn: false,
    may: { may_pause: true, may_resume: false, may_withdraw: true, may_write_to_other_party: true, may_write_to_facilitators: true } },
  "safety paused": { communicating: false, participation: "active", paused_by_you: false, withdrawn: false,
    may: { may_pause: true, may_resume: false, may_withdraw: true, may_write_to_other_party: true, may_write_to_facilitators: true } },
  "other withdrawn": { communicating: false, participation: "active", paused_by_you: false, withdrawn: true,
    may: { may_pause: false, may_resume: false, may_withdraw: true, may_write_to_other_party: false, may_write_to_facilitators: true } },
  "me withdrawn": { communicating: false, participation: "withdrawn", paused_by_you: false, withdrawn: false,
    may: { may_pause: false, may_resume: false, may_withdraw: false, may_write_to_other_party: false, may_write_to_facilitators: false } },
};

function participantSummary(name = "active", extra = {}) {
  const s = PARTICIPANT_STATES[name];
  return {
    case_id: CASE, state: "active", communicating: s.communicating, latest_seq: 0,
    facilitators: [{ user_id: FAC, display_name: "Sam", key: null }],
    side: "harmed", participation: s.participation, paused_by_you: s.paused_by_you,
    other_party: { label: "the person responsible", withdrawn: s.withdrawn },
    ...s.may, may_revise: [], kinds: KINDS, ...extra,
  };
}

const FACILITATOR_STATES = {
  active: { communicating: true, safety_paused: false, states: ["active", "active"], may: { may_forward: true, may_safety_pause: true, may_resume_safety_pause: false }, notes: ["harmed", "responsible"] },
  "paused by harmed": { communicating: false, safety_paused: false, states: ["paused", "active"], may: { may_forward: false, may_safety_pause: true, may_resume_safety_pause: false }, notes: ["harmed", "responsible"] },
  "paused by responsible": { communicating: false, safety_paused: false, states: ["active", "paused"], may: { may_forward: false, may_safety_pause: true, may_resume_safety_pause: false }, notes: ["harmed", "responsible"] },
  "safety paused": { communicating: false, safety_paused: true, states: ["active", "active"], may: { may_forward: false, may_safety_pause: false, may_resume_safety_pause: true }, notes: ["harmed", "responsible"] },
  "responsible withdrawn": { communicating: false, safety_paused: false, states: ["active", "withdrawn"], may: { may_forward: false, may_safety_pause: true, may_resume_safety_pause: false }, notes: ["harmed"] },
  "harmed withdrawn": { communicating: false, safety_paused: false, states: ["withdrawn", "active"], may: { may_forward: false, may_safety_pause: true, may_resume_safety_pause: false }, notes: ["responsible"] },
};

const KEY = { key_id: "k", public_key: "", fingerprint: "1234", verified: true };

function facilitatorSummary(name = "active") {
  const s = FACILITATOR_STATES[name];
  return {
    case_id: CASE, state: "active", communicating: s.communicating, latest_seq: 0, reference: "RJ-1",
    facilitators: [{ user_id: FAC, display_name: "Sam", key: null }],
    safety_paused: s.safety_paused,
    participants: [
      { side: "harmed", state: s.states[0], user_id: ME, display_name: "Ann", key: KEY, forward_to: "responsible" },
      { side: "responsible", state: s.states[1], user_id: OTHER, display_name: "Bob", key: KEY, forward_to: "harmed" },
    ],
    ...s.may, may_send_note_to: s.notes,
  };
}

function wire(id, { sender = ME, kind = "question", state = "submitted", audience = "other_party", derivedFrom = null } = {}) {
  return {
    message_id: id, case_id: CASE, kind, audience, state, from_you: sender === ME, at: "2026-01-01T00:00:00+00:00",
    envelope: { header: { sender_id: sender, sender_key_id: `key-${sender}`, derived_from: derivedFrom, edited: false } },
  };
}

// The keys a viewer trusts, as casekeys.js trustedKeys gives them (key id -> { who }): the
// facilitator's, the participants' for a facilitator, and the viewer's own.
function keysOf(state) {
  const keys = new Map();
  const add = (userId, who) => keys.set(`key-${userId}`, { who: { ...who, userId } });
  for (const f of state.summary.facilitators) add(f.user_id, { role: "facilitator" });
  for (const p of state.summary.participants || []) add(p.user_id, { role: "participant", side: p.side });
  add(state.viewerId, { role: "me" });
  return keys;
}

// What the page does with a message: open it (its writer by key), then hand the state that.
function opened(state, message) {
  withOpened(state, message.message_id, authorByKey(message.envelope.header, keysOf(state)));
  return message;
}

function fold(state, event) {
  if (event.type === "message" && event.message) opened(state, event.message);
  return foldEvent(state, event);
}

const messageEvent = (seq, message) => ({ seq, type: "message", case_id: CASE, data: {}, message });
const stateEvent = (seq, id, state) => ({ seq, type: "message_state", case_id: CASE, data: { message_id: id, state } });
const communication = (seq, data) => ({ seq, type: "communication", case_id: CASE, data });

describe("a participant's controls come straight from the may_* fields", () => {
  for (const [name, facts] of Object.entries(PARTICIPANT_STATES)) {
    it(name, () => {
      const view = conversationView(caseState(participantSummary(name), ME));
      assert.equal(view.pause.shown, facts.may.may_pause || facts.may.may_resume);
      assert.equal(view.pause.action, facts.may.may_resume ? "resume" : "pause");
      assert.equal(view.withdraw, facts.may.may_withdraw);
      assert.equal(view.mayWrite("question"), facts.may.may_write_to_other_party);
      assert.equal(view.mayWrite("note_to_facilitator"), facts.may.may_write_to_facilitators);
      assert.equal(view.mayWrite("facilitator_note"), false);
      assert.equal(view.ended, facts.participation === "withdrawn");
    });
  }
});

describe("the pause banner", () => {
  it("says only that it is paused when someone else paused, whoever it was", () => {
    const byOther = bannerWords(participantSummary("paused by the other"));
    const bySafety = bannerWords(participantSummary("safety paused"));
    assert.equal(byOther, bySafety);
    assert.match(byOther, /The conversation is paused\./);
    assert.doesNotMatch(byOther, /facilitator paused|safety|responsible|harmed|by /i);
  });
  it("tells the person who paused that it was them", () => {
    assert.match(bannerWords(participantSummary("paused by me")), /^You have paused/);
  });
  it("says the process has ended when the other withdrew", () => {
    assert.match(bannerWords(participantSummary("other withdrawn")), /the person responsible has withdrawn/);
  });
  it("says it is open when communicating", () => {
    assert.match(bannerWords(participantSummary("active")), /^The conversation is open/);
  });
});

describe("a facilitator's controls come straight from the may_* fields", () => {
  for (const [name, facts] of Object.entries(FACILITATOR_STATES)) {
    it(name, () => {
      const view = facilitatorView(caseState(facilitatorSummary(name), FAC));
      assert.equal(view.mayForward, facts.may.may_forward);
      assert.equal(view.forwardBlocked === "", facts.may.may_forward);
      assert.equal(view.safetyToggle.shown, true);
      assert.equal(view.safetyToggle.action, facts.may.may_resume_safety_pause ? "resume" : "pause");
      assert.deepEqual(view.noteTo.map((p) => p.side), facts.notes);
    });
  }
  it("names who paused, for facilitators only", () => {
    assert.match(facilitatorView(caseState(facilitatorSummary("safety paused"), FAC)).stateWords, /safety pause/);
    assert.match(facilitatorView(caseState(facilitatorSummary("paused by harmed"), FAC)).stateWords, /Paused by the person harmed/);
  });
  it("forwards to the side the server names", () => {
    const state = caseState(facilitatorSummary(), FAC);
    const view = facilitatorView(state);
    assert.equal(view.forwardTargetOf(opened(state, wire("m1", { sender: ME }))).side, "responsible");
    assert.equal(view.forwardTargetOf(opened(state, wire("m2", { sender: OTHER }))).side, "harmed");
    assert.equal(view.forwardTargetOf(opened(state, wire("m3", { sender: FAC, kind: "facilitator_note" }))), null);
  });
});

describe("who wrote a message: the owner of the key that opened it", () => {
  it("for a participant", () => {
    const state = caseState(participantSummary(), ME);
    assert.deepEqual(authorOf(state, opened(state, wire("a", { sender: ME }))), { author: "me", passedOn: false });
    assert.deepEqual(authorOf(state, opened(state, wire("b", { sender: FAC, kind: "question", audience: "participant" }))), { author: "other_party", passedOn: true });
    assert.deepEqual(authorOf(state, opened(state, wire("c", { sender: FAC, kind: "facilitator_note", audience: "participant" }))), { author: "facilitator", passedOn: false });
    assert.deepEqual(authorOf(state, opened(state, wire("d", { sender: "someone-else" }))), { author: "unopened", passedOn: false });
  });
  it("for a facilitator", () => {
    const state = caseState(facilitatorSummary(), FAC);
    assert.equal(authorOf(state, opened(state, wire("a", { sender: ME }))).author, "harmed");
    assert.equal(authorOf(state, opened(state, wire("b", { sender: OTHER }))).author, "responsible");
    assert.equal(authorOf(state, opened(state, wire("c", { sender: FAC }))).author, "me");
    assert.equal(authorOf(state, opened(state, wire("d", { sender: "gone" }))).author, "unopened");
  });
  it("by its key, not the sender_id its header names", () => {
    const state = caseState(facilitatorSummary(), FAC);
    // The harmed person's key, a header naming the person responsible: refused, no side.
    const lying = wire("l", { sender: OTHER });
    lying.envelope.header.sender_key_id = `key-${ME}`;
    fold(state, messageEvent(1, lying));
    assert.equal(authorOf(state, lying).author, "unopened");
    assert.equal(facilitatorView(state).senderOf(lying), null);
    assert.equal(facilitatorView(state).forwardTargetOf(lying), null);
    assert.equal(facilitatorView(state).record[0].heading, "Question from a writer this page could not confirm");
  });
  it("a message not opened yet has no writer", () => {
    const state = caseState(participantSummary(), ME);
    assert.equal(authorOf(state, wire("a", { sender: ME })).author, "unopened");
  });
  it("a recovered participant's own old message (writer's key retired) is theirs when the server says so", () => {
    const state = caseState(participantSummary(), ME);
    const mine = wire("old", { sender: ME });
    withOpened(state, "old", { text: "hi", who: null });
    assert.equal(authorOf(state, mine).author, "me");
    const notMine = { ...wire("old2", { sender: ME }), from_you: false };
    withOpened(state, "old2", { text: "hi", who: null });
    assert.equal(authorOf(state, notMine).author, "unknown");
    withOpened(state, "old3", { error: "refused" });
    assert.equal(authorOf(state, wire("old3", { sender: ME })).author, "unopened");
  });
  it("reads the writer again once the page opens it anew", () => {
    const state = caseState(participantSummary(), ME);
    const later = wire("n", { sender: FAC, kind: "facilitator_note", audience: "participant" });
    const news = fold(state, messageEvent(1, { ...later, envelope: { header: { ...later.envelope.header, sender_key_id: "key-new" } } })).news;
    assert.equal(news, "A new message has arrived.");
    assert.equal(conversationView(state).messages[0].heading, "A message that could not be opened");
    opened(state, later);
    assert.equal(conversationView(state).messages[0].author, "facilitator");
  });
});

describe("folding the event stream", () => {
  it("ignores a duplicate event", () => {
    const state = caseState(participantSummary(), ME);
    assert.equal(fold(state, messageEvent(1, wire("m1"))).changed, true);
    assert.equal(fold(state, messageEvent(1, wire("m1"))).changed, false);
    assert.equal(conversationView(state).messages.length, 1);
  });

  it("ignores another case's events", () => {
    const state = caseState(participantSummary(), ME);
    const event = { ...messageEvent(1, { ...wire("x"), case_id: "other" }), case_id: "other" };
    assert.equal(fold(state, event).changed, false);
    assert.equal(state.messages.size, 0);
  });

  it("keeps the newest state when events arrive out of order", () => {
    const state = caseState(participantSummary(), ME);
    fold(state, stateEvent(3, "m1", "approved")); // before the message itself
    fold(state, messageEvent(1, wire("m1", { state: "submitted" })));
    fold(state, messageEvent(2, wire("m2")));
    const [first, second] = conversationView(state).messages;
    assert.equal(first.id, "m1");
    assert.equal(first.status, "Passed on by your facilitator");
    assert.equal(second.id, "m2");
  });

  it("shows the sender the version passed on with changes, not as the other person's message", () => {
    const sender = caseState(participantSummary(), ME);
    fold(sender, messageEvent(1, wire("m1")));
    const version = wire("f1", { sender: FAC, audience: "participant", state: "delivered", derivedFrom: "m1" });
    version.envelope.header.edited = true;
    const arrived = fold(sender, { ...messageEvent(2, version), data: { side: "facilitator", version_of: "m1" } });
    assert.equal(arrived.news, null);
    const told = fold(sender, { ...stateEvent(3, "m1", "approved"), data: { message_id: "m1", state: "approved", forward_id: "f1", edited: true } });
    assert.match(told.news, /Passed on with changes by your facilitator/);
    const { messages } = conversationView(sender);
    assert.deepEqual(messages.map((m) => m.id), ["m1"]);
    assert.equal(messages[0].status, "Passed on with changes by your facilitator");
    assert.equal(messages[0].changed, true);
    assert.equal(messages[0].version.id, "f1");
  });

  it("says 'with changes' from the state event when the forward was not sealed to the sender", () => {
    const sender = caseState(participantSummary(), ME);
    fold(sender, messageEvent(1, wire("m1")));
    fold(sender, { ...stateEvent(2, "m1", "approved"), data: { message_id: "m1", state: "approved", forward_id: "f1", edited: true } });
    const [mine] = conversationView(sender).messages;
    assert.equal(mine.status, "Passed on with changes by your facilitator");
    assert.equal(mine.version, null);
    const plain = caseState(participantSummary(), ME);
    fold(plain, messageEvent(1, wire("m1")));
    fold(plain, { ...stateEvent(2, "m1", "approved"), data: { message_id: "m1", state: "approved", forward_id: "f1", edited: false } });
    assert.equal(conversationView(plain).messages[0].status, "Passed on by your facilitator");
  });

  it("still shows a forward of the other person's message as theirs", () => {
    const reader = caseState(participantSummary(), ME);
    fold(reader, messageEvent(1, wire("f9", { sender: FAC, audience: "participant", state: "delivered", derivedFrom: "theirs" })));
    const [theirs] = conversationView(reader).messages;
    assert.equal(theirs.passedOn, true);
    assert.equal(theirs.version, null);
  });

  it("links a new version to the returned message it replaces", () => {
    const sender = caseState(participantSummary(), ME);
    fold(sender, messageEvent(1, wire("m1")));
    fold(sender, stateEvent(2, "m1", "returned"));
    fold(sender, messageEvent(3, wire("m2", { derivedFrom: "m1" })));
    const [returned, revision] = conversationView(sender).messages;
    assert.equal(returned.replacedBy, "m2");
    assert.equal(revision.replaces, "m1");
    assert.equal(returned.replaces, null);
  });

  it("sorts messages by their event, not by arrival", () => {
    const state = caseState(participantSummary(), ME);
    fold(state, messageEvent(5, wire("late")));
    fold(state, messageEvent(4, wire("early")));
    assert.deepEqual(conversationView(state).messages.map((m) => m.id), ["early", "late"]);
  });

  it("shows a message's state change after a forward, for the sender and the facilitator", () => {
    const sender = caseState(participantSummary(), ME);
    fold(sender, messageEvent(1, wire("m1")));
    assert.equal(conversationView(sender).messages[0].status, "Waiting for your facilitator");
    const told = fold(sender, stateEvent(2, "m1", "approved"));
    assert.match(told.news, /Passed on by your facilitator/);
    assert.equal(conversationView(sender).messages[0].status, "Passed on by your facilitator");
    assert.equal(sender.stale, true);

    const facilitator = caseState(facilitatorSummary(), FAC);
    const arrived = fold(facilitator, messageEvent(1, wire("m1")));
    assert.equal(arrived.news, "A new message is waiting for your decision.");
    assert.deepEqual(waitingIds(facilitator, ["m1"]), ["m1"]);
    fold(facilitator, messageEvent(2, wire("f1", { sender: FAC, audience: "participant", state: "delivered", derivedFrom: "m1" })));
    fold(facilitator, stateEvent(3, "m1", "approved"));
    assert.deepEqual(waitingIds(facilitator, ["m1"]), []);
    assert.match(facilitatorView(facilitator).record[0].meta, /passed on/);
    assert.equal(facilitatorView(facilitator).record[1].heading, "Question from you");
  });

  it("the other party sees the forward as passed on from the other person", () => {
    const state = caseState(participantSummary(), ME);
    const news = fold(state, messageEvent(1, wire("f1", { sender: FAC, audience: "participant", state: "delivered", derivedFrom: "theirs" }))).news;
    assert.equal(news, "New message passed on from the person responsible.");
    assert.equal(conversationView(state).messages[0].heading, "Question from the person responsible, passed on by your facilitator");
  });

  it("attaches a return note to the message it returns, and offers a new version only when the server lists it", () => {
    const state = caseState(participantSummary(), ME);
    fold(state, messageEvent(1, wire("m1")));
    fold(state, messageEvent(2, wire("n1", { sender: FAC, kind: "return_note", audience: "participant", state: "delivered", derivedFrom: "m1" })));
    fold(state, stateEvent(3, "m1", "returned"));
    let [message] = conversationView(state).messages;
    assert.equal(conversationView(state).messages.length, 1);
    assert.deepEqual(message.notes, [{ id: "n1", label: "Your facilitator’s note" }]);
    assert.equal(message.mayRevise, false); // not until the server says so
    withSummary(state, participantSummary("active", { may_revise: ["m1"], latest_seq: 3 }));
    [message] = conversationView(state).messages;
    assert.equal(message.mayRevise, true);
    const view = conversationView(state);
    assert.equal(view.revisionOf("question", "m1"), "m1");
    assert.equal(view.revisionOf("note_to_facilitator", "m1"), null);
    assert.equal(view.revisionOf("question", "m2"), null);
  });

  it("pause then resume, for the one who paused and the other", () => {
    const pauser = caseState(participantSummary(), ME);
    fold(pauser, communication(1, { communicating: false, paused_by_you: true }));
    assert.match(conversationView(pauser).banner, /^You have paused/);
    assert.equal(pauser.stale, true);
    // The controls follow the summary read again, not the event.
    assert.equal(conversationView(pauser).pause.action, "pause");
    withSummary(pauser, participantSummary("paused by me", { latest_seq: 1 }));
    assert.equal(conversationView(pauser).pause.action, "resume");
    fold(pauser, communication(2, { communicating: true, paused_by_you: false }));
    assert.match(conversationView(pauser).banner, /^The conversation is open/);

    const other = caseState(participantSummary(), OTHER);
    fold(other, communication(1, { communicating: false, paused_by_you: false }));
    assert.equal(conversationView(other).banner, "The conversation is paused. You can still write to your facilitator.");
    fold(other, communication(2, { communicating: true, paused_by_you: false }));
    assert.match(conversationView(other).banner, /^The conversation is open/);

    const facilitator = caseState(facilitatorSummary(), FAC);
    fold(facilitator, communication(1, { communicating: false, paused_sides: ["harmed"], safety_paused: false, changed_by: "harmed" }));
    assert.match(facilitatorView(facilitator).stateWords, /Paused by the person harmed/);
    fold(facilitator, communication(2, { communicating: true, paused_sides: [], safety_paused: false, changed_by: "harmed" }));
    assert.match(facilitatorView(facilitator).stateWords, /^Communicating/);
  });

  it("a replayed event older than the summary never undoes it", () => {
    const state = caseState(participantSummary("paused by me", { latest_seq: 7 }), ME);
    fold(state, communication(3, { communicating: true, paused_by_you: false }));
    assert.match(conversationView(state).banner, /^You have paused/);
    fold(state, communication(8, { communicating: true, paused_by_you: false }));
    assert.match(conversationView(state).banner, /^The conversation is open/);
  });

  it("a summary read again that is older than what was folded is not taken", () => {
    const state = caseState(participantSummary("active", { latest_seq: 5 }), ME);
    assert.equal(withSummary(state, participantSummary("paused by me", { latest_seq: 4 })), false);
    assert.equal(conversationView(state).pause.action, "pause");
    assert.equal(withSummary(state, participantSummary("paused by me", { latest_seq: 6 })), true);
    assert.equal(conversationView(state).pause.action, "resume");
  });

  it("the other person's withdrawal ends it for the participant", () => {
    const state = caseState(participantSummary(), ME);
    fold(state, { seq: 1, type: "participation", case_id: CASE, data: { side: "responsible", state: "withdrawn" } });
    assert.match(conversationView(state).banner, /has withdrawn/);
    assert.equal(state.stale, true);
    const facilitator = caseState(facilitatorSummary(), FAC);
    // The server follows a withdrawal with a communication event, as here.
    fold(facilitator, { seq: 1, type: "participation", case_id: CASE, data: { side: "responsible", state: "withdrawn" } });
    fold(facilitator, communication(2, { communicating: false, paused_sides: [], safety_paused: false, changed_by: null }));
    assert.match(facilitatorView(facilitator).stateWords, /Withdrawn: the person responsible/);
  });

  it("a key change is reported and makes the summary stale", () => {
    const state = caseState(participantSummary(), ME);
    const result = fold(state, { seq: 1, type: "key", case_id: CASE, data: {} });
    assert.equal(result.keyChanged, true);
    assert.equal(state.stale, true);
  });
});

describe("when to read the summary again", () => {
  it("not for events it already reflects, yes for newer ones", () => {
    const state = caseState(participantSummary("active", { latest_seq: 5 }), ME);
    fold(state, stateEvent(4, "m1", "approved"));
    fold(state, communication(5, { communicating: true, paused_by_you: false }));
    assert.equal(state.stale, false);
    fold(state, communication(6, { communicating: false, paused_by_you: false }));
    assert.equal(state.stale, true);
    withSummary(state, participantSummary("paused by the other", { latest_seq: 6 }));
    assert.equal(state.stale, false);
  });
  it("not for a message from someone else", () => {
    const state = caseState(participantSummary(), ME);
    fold(state, messageEvent(1, wire("f1", { sender: FAC, kind: "facilitator_note", audience: "participant", state: "delivered" })));
    assert.equal(state.stale, false);
  });
});

describe("plain words for every state", () => {
  it("says a participant is taking part only while the conversation runs", () => {
    const words = (name, side) => {
      const summary = facilitatorSummary(name);
      return participationWords(summary.participants.find((p) => p.side === side), summary);
    };
    assert.equal(words("active", "harmed"), "Taking part.");
    assert.equal(words("safety paused", "harmed"), "Taking part; the conversation is paused.");
    assert.equal(words("paused by harmed", "harmed"), "Has paused the conversation.");
    assert.equal(words("paused by harmed", "responsible"), "Taking part; the conversation is paused.");
    assert.match(words("responsible withdrawn", "responsible"), /^Has withdrawn/);
  });

  it("never shows the server's state names in the facilitator's record", () => {
    const state = caseState(facilitatorSummary(), FAC);
    for (const [i, name] of ["submitted", "approved", "returned", "rejected", "retracted", "voided", "delivered"].entries()) {
      foldEvent(state, messageEvent(i + 1, opened(state, wire(`m${i}`, { state: name }))));
    }
    const metas = facilitatorView(state).record.map((r) => r.meta);
    assert.equal(metas.length, 7);
    for (const meta of metas) assert.doesNotMatch(meta, /submitted|approved|delivered|retracted|voided|rejected/);
  });

  it("after the other person withdraws the hint no longer says they may pass it on", () => {
    const view = conversationView(caseState(participantSummary("other withdrawn"), ME));
    assert.doesNotMatch(view.composeHint, /may pass it on/);
    assert.match(view.composeHint, /the person responsible has withdrawn/);
    assert.match(conversationView(caseState(participantSummary(), ME)).composeHint, /may pass it on/);
  });
});

describe("taking a message back", () => {
  it("is offered on exactly the messages the server lists in may_retract", () => {
    const state = caseState(participantSummary("active", { may_retract: ["w"] }), ME);
    foldEvent(state, messageEvent(1, opened(state, wire("w"))));
    foldEvent(state, messageEvent(2, opened(state, wire("d", { state: "approved" }))));
    const shown = Object.fromEntries(conversationView(state).messages.map((m) => [m.id, m.mayRetract]));
    assert.deepEqual(shown, { w: true, d: false });
  });
});

describe("retentionWords", () => {
  const day = (iso) => iso.slice(0, 10);
  it("says content is kept while the case is open", () => {
    assert.match(retentionWords({ ended_at: null, shredded_at: null }, day), /kept while the case is open/);
  });
  it("gives the day an ended case's content goes", () => {
    const words = retentionWords({ ended_at: "2026-01-02T10:00:00Z", shred_after: "2027-01-02T10:00:00Z", hold: null, shredded_at: null }, day);
    assert.equal(words, "The case ended on 2026-01-02. Its messages and records will be deleted on 2027-01-02.");
  });
  it("names the hold instead of a day", () => {
    const words = retentionWords({ ended_at: "2026-01-02T10:00:00Z", shred_after: "2027-01-02T10:00:00Z", hold: { reason: "complaint" }, shredded_at: null }, day);
    assert.match(words, /hold for a complaint is in place/);
    assert.doesNotMatch(words, /2027/);
  });
  it("says when it was deleted", () => {
    assert.match(retentionWords({ ended_at: "2026-01-02T10:00:00Z", shredded_at: "2027-01-03T02:00:00Z" }, day), /deleted on 2027-01-03/);
  });
});

describe("a held person's words, entered by a facilitator", () => {
  it("are the held side's for the facilitators: their sender and forward target", () => {
    const state = caseState(facilitatorSummary(), FAC);
    const entered = { ...wire("e", { sender: FAC, kind: "answer" }), entered_for: "responsible", entered_by_facilitator: true };
    fold(state, messageEvent(1, entered));
    const view = facilitatorView(state);
    assert.equal(view.senderOf(entered).side, "responsible");
    assert.equal(view.forwardTargetOf(entered).side, "harmed");
    assert.equal(view.record[0].heading, "Answer from the person responsible (entered by a facilitator)");
  });
  it("say so to the other person when passed on", () => {
    const state = caseState(participantSummary(), ME);
    const passed = { ...wire("p", { sender: FAC, kind: "answer", audience: "participant" }), entered_by_facilitator: true };
    fold(state, messageEvent(1, passed));
    assert.match(conversationView(state).messages[0].heading, /written down for them and passed on by your facilitator$/);
  });
});
