// The participant's conversation: messages with the facilitators and the messages passed on
// from the other person, what happened to each message sent, pause, withdraw.

import * as crypto from "../crypto/index.js";
import { get, post } from "../api.js";
import { facilitatorRecipients, openMessage, reopenFailed, trustedKeys } from "../casekeys.js";
import { installSignOut, signedInDevice } from "../session.js";
import { followEvents } from "../socket.js";
import { $, announce, busy, el, focusHeading, showError, when } from "../ui.js";

const FOR_OTHER_PARTY = new Set(["question", "answer", "statement", "letter", "apology"]);
const KIND_WORDS = {
  question: "Question",
  answer: "Answer",
  statement: "Statement",
  letter: "Letter",
  apology: "Apology",
  note_to_facilitator: "Note to your facilitator",
  facilitator_note: "From your facilitator",
};
const STATE_WORDS = {
  submitted: "Waiting for your facilitator",
  approved: "Passed on by your facilitator",
  returned: "Returned by your facilitator",
  rejected: "Not passed on",
  retracted: "Taken back",
  voided: "Not passed on: you withdrew",
  delivered: "Sent to your facilitator",
};

export async function conversationPage() {
  const device = await signedInDevice();
  if (!device) return;
  const me = device.keyPair;
  const { cases } = await get("/api/cases");
  if (!cases.length) {
    showError("You are not part of a conversation yet. Your facilitator will tell you when it starts.");
    return;
  }
  let summary = cases[0];
  let keys = trustedKeys(summary, me);
  const messages = new Map(); // message_id -> { wire, text, error, notes: [] }
  const order = [];
  let revising = null;

  function addMessage(wire, live) {
    if (messages.has(wire.message_id)) {
      messages.get(wire.message_id).wire.state = wire.state;
      return;
    }
    const opened = openMessage(wire, keys, me);
    const entry = { wire, ...opened, notes: [] };
    if (live && opened.unknownKey) refreshSummary().then(render).catch(() => undefined);
    messages.set(wire.message_id, entry);
    const derived = wire.envelope.header.derived_from;
    if (["return_note", "rejection_reason"].includes(wire.kind) && derived && messages.has(derived)) {
      messages.get(derived).notes.push(entry);
    } else {
      order.push(entry);
    }
    if (live && !wire.from_you) {
      announce(
        FOR_OTHER_PARTY.has(wire.kind)
          ? `New message passed on from ${summary.other_party.label}.`
          : "New message from your facilitator.",
      );
    }
  }

  function messageItem(entry) {
    const { wire } = entry;
    const forwarded = !wire.from_you && FOR_OTHER_PARTY.has(wire.kind);
    let heading;
    if (wire.from_you) heading = `You wrote: ${KIND_WORDS[wire.kind] || wire.kind}`;
    else if (forwarded) heading = `${KIND_WORDS[wire.kind]} from ${summary.other_party.label}, passed on by your facilitator`;
    else heading = KIND_WORDS[wire.kind] || "From your facilitator";
    const item = el("li", { class: `message ${wire.from_you ? "mine" : "theirs"}`, "data-message-id": wire.message_id });
    item.append(
      el("h3", { class: "message-heading" }, heading),
      el("p", { class: "message-time" }, forwarded ? "Passed on " : "", when(wire.at)),
      entry.error
        ? el("p", { class: "error" }, `This message could not be opened: ${entry.error}`)
        : el("p", { class: "message-body" }, entry.text),
    );
    if (wire.from_you) {
      const state = el("p", { class: `message-state state-${wire.state}` }, el("strong", {}, "Status: "), STATE_WORDS[wire.state] || wire.state);
      item.append(state);
      for (const note of entry.notes) {
        const label = note.wire.kind === "return_note" ? "Your facilitator’s note" : "The reason";
        item.append(el("p", { class: "message-note" }, el("strong", {}, `${label}: `), note.error ? "(could not be opened)" : note.text));
      }
      if (wire.state === "returned" && !entry.error && !revisedAlready(wire.message_id) && !withdrawn()) {
        item.append(el("button", { type: "button", class: "secondary", onclick: () => startRevising(entry) }, "Write a new version"));
      }
    }
    return item;
  }

  function revisedAlready(messageId) {
    return order.some((e) => e.wire.from_you && e.header && e.header.derived_from === messageId);
  }

  function withdrawn() {
    return summary.participation === "withdrawn";
  }

  function render() {
    $("messages").replaceChildren(...order.map(messageItem));
    $("no-messages").hidden = order.length > 0;
    const banner = $("status-banner");
    const toggle = $("pause-toggle");
    if (withdrawn()) {
      $("conversation").hidden = true;
      $("ended").hidden = false;
      return;
    }
    if (summary.other_party.withdrawn) {
      banner.textContent = `The process has ended: ${summary.other_party.label} has withdrawn. You can still write to your facilitator.`;
    } else if (summary.paused_by_you) {
      banner.textContent = "You have paused the conversation. Nothing is passed on in either direction until you resume. You can still write to your facilitator.";
    } else if (!summary.communicating) {
      banner.textContent = summary.state === "active"
        ? "The conversation is paused. You can still write to your facilitator."
        : "The conversation has not started yet. You can write to your facilitator now.";
    } else {
      banner.textContent = "The conversation is open. Your facilitator reads every message before it is passed on.";
    }
    toggle.textContent = summary.paused_by_you ? "Resume the conversation" : "Pause the conversation";
    $("pause-hint").textContent = summary.paused_by_you
      ? "Only you can resume it."
      : "Stops anything being passed on in either direction, straight away, until you resume.";
    toggle.hidden = summary.state !== "active" || summary.other_party.withdrawn;
    // Once the other person has withdrawn, only the facilitators can be written to.
    for (const radio of document.querySelectorAll("input[name=kind]")) {
      radio.disabled = summary.other_party.withdrawn && radio.value !== "note_to_facilitator";
    }
    if (summary.other_party.withdrawn) $("kind-note").checked = true;
    $("pause-hint").hidden = toggle.hidden;
  }

  function startRevising(entry) {
    revising = entry;
    $("revising").hidden = false;
    const note = entry.notes.find((n) => n.wire.kind === "return_note");
    $("revising-note").textContent = note && !note.error ? `Their note: ${note.text}` : "";
    $("compose-body").value = entry.text;
    const radio = document.querySelector(`input[name=kind][value="${entry.wire.kind}"]`);
    if (radio) radio.checked = true;
    focusHeading("compose-heading");
  }

  function stopRevising() {
    revising = null;
    $("revising").hidden = true;
  }

  // Read the case again, and with it its keys: messages from a key the page did not know yet
  // open now.
  async function refreshSummary() {
    summary = await get(`/api/cases/${summary.case_id}`);
    keys = trustedKeys(summary, me);
    reopenFailed(messages.values(), keys, me);
  }

  function onEvent(event, live = true) {
    if (event.case_id && event.case_id !== summary.case_id) return;
    if (event.type === "message" && event.message) {
      addMessage(event.message, live);
    } else if (event.type === "message_state") {
      const entry = messages.get(event.data.message_id);
      if (entry) entry.wire.state = event.data.state;
      if (live) announce(`One of your messages: ${STATE_WORDS[event.data.state] || event.data.state}.`);
    } else if (event.type === "communication") {
      summary.communicating = event.data.communicating;
      summary.paused_by_you = event.data.paused_by_you;
      summary.participation = summary.paused_by_you ? "paused" : summary.participation === "paused" ? "active" : summary.participation;
      if (live) announce(event.data.communicating ? "The conversation is open again." : "The conversation is paused.");
    } else if (event.type === "participation") {
      if (event.data.side === summary.side) summary.participation = event.data.state;
      else if (event.data.state === "withdrawn") summary.other_party.withdrawn = true;
    } else if (["case", "key"].includes(event.type)) {
      if (event.type !== "case" && live) {
        showError("A key used in your conversation has changed. If you did not expect this, tell your facilitator.");
      }
      if (event.type === "case") summary.state = event.data.state;
      if (live) refreshSummary().then(render);
    }
    if (live) render();
  }

  $("compose-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const body = $("compose-body").value;
    if (!body.trim()) {
      showError("Write your message first.");
      return;
    }
    const kind = document.querySelector("input[name=kind]:checked").value;
    busy(event.submitter, async () => {
      const envelope = crypto.seal({
        sender: me,
        senderId: device.me.user_id,
        caseId: summary.case_id,
        kind,
        recipients: [...facilitatorRecipients(summary), { keyId: me.keyId, publicKey: me.public }],
        payload: { body },
        derivedFrom: revising && FOR_OTHER_PARTY.has(kind) ? revising.wire.message_id : null,
      });
      await post("/api/messages", { envelope });
      $("compose-body").value = "";
      stopRevising();
      announce("Sent. Your facilitator will read it first.");
    });
  });

  $("revising-cancel").addEventListener("click", stopRevising);

  $("pause-toggle").addEventListener("click", (event) => {
    const action = summary.paused_by_you ? "resume" : "pause";
    busy(event.currentTarget, async () => {
      summary = { ...summary, ...(await post(`/api/cases/${summary.case_id}/${action}`)) };
      render();
      announce(action === "pause" ? "You have paused the conversation." : "You have resumed the conversation.");
    });
  });

  const dialog = $("withdraw-dialog");
  $("withdraw-start").addEventListener("click", () => dialog.showModal());
  $("withdraw-cancel").addEventListener("click", () => dialog.close());
  $("withdraw-confirm").addEventListener("click", (event) => {
    busy(event.currentTarget, async () => {
      await post(`/api/cases/${summary.case_id}/withdraw`);
      dialog.close();
      summary.participation = "withdrawn";
      stream.stop();
      render();
      $("ended").focus();
    });
  });
  $("ended").setAttribute("tabindex", "-1");

  installSignOut();

  const stream = await followEvents({
    onEvent,
    ready: () => {
      $("conversation").hidden = false;
      render();
    },
    onClosedForGood: () => {
      if (!withdrawn()) showError("You have been signed out. Sign in again to continue.");
    },
  });
}
