// The participant's conversation: messages with the facilitators and the messages passed on
// from the other person, what happened to each message sent, pause, withdraw. What to show
// comes from casestate.js (the server's summary and events); this module only does the DOM,
// the network and the envelopes.

import * as crypto from "../crypto/index.js";
import { get, post } from "../api.js";
import { facilitatorRecipients, openMessage, recipientsOf, reopenFailed, trustedKeys } from "../casekeys.js";
import { caseState, conversationView, foldEvent, withOpened, withSummary } from "../casestate.js";
import { installSignOut, signedInDevice } from "../session.js";
import { FINAL_CLOSES, followEvents } from "../socket.js";
import { oneAtATime } from "../oneatatime.js";
import { $, announce, busy, el, focusHeading, loading, showError, when, withElements } from "../ui.js";
import { clearActionProblem, clearFieldProblems, connectionBack, isOffline, showActionProblem, showFieldProblems } from "../problems.js";
import { t } from "../i18n/messages.js";
import { installSignposting } from "./signposting.js";
import { attachmentsBlock, installAttach } from "./attach.js";

export async function conversationPage() {
  // On a slow network the conversation takes a while: say so rather than show a blank page.
  loading(true);
  try {
    await showConversation();
  } finally {
    loading(false);
  }
}

const COMPOSE = { summaryId: "compose-problems", fieldIds: ["compose-body"] };

async function showConversation() {
  const device = await signedInDevice();
  if (!device) return;
  const me = device.keyPair;
  const { cases } = await get("/api/cases");
  if (!cases.length) {
    showError(t("You are not part of a conversation yet. Your facilitator will tell you when it starts."));
    return;
  }
  const state = caseState(cases[0], device.me.user_id);
  const caseId = state.summary.case_id;
  // The participant's own case pages (consent, supporters): supporters.js and consent.js.
  $("consent-link").href = `/cases/${caseId}/consent`;
  $("supporters-link").href = `/cases/${caseId}/supporters`;
  $("case-links").hidden = false;
  let keys = trustedKeys(state.summary, me, device.me.user_id);
  const opened = new Map(); // message_id -> { wire, text, error, unknownKey }
  let revising = null; // the message id a new version is being written for

  function openWire(wire) {
    if (opened.has(wire.message_id)) return opened.get(wire.message_id);
    const entry = { wire, ...openMessage(wire, keys, me) };
    opened.set(wire.message_id, entry);
    withOpened(state, wire.message_id, entry);
    return entry;
  }

  function messageItem(message) {
    const entry = opened.get(message.id) || {};
    const mine = message.author === "me";
    const item = el("li", { class: `message ${mine ? "mine" : "theirs"}`, "data-message-id": message.id, id: `message-${message.id}`, tabindex: "-1" });
    // (The DOM's append writes a null as the text "null": leave out what is not there.)
    item.append(...[
      el("h3", { class: "message-heading" }, message.heading),
      el("p", { class: "message-time" },
        ...(message.passedOn ? withElements(t("Passed on {time}"), { time: when(message.at) }) : [when(message.at)])),
      entry.error
        ? el("p", { class: "error" }, t("This message could not be opened: {error}", { error: entry.error }))
        : el("p", { class: "message-body" }, entry.text ?? ""),
      entry.error ? null : attachmentsBlock(entry.payload, { place: message.id }),
    ].filter(Boolean));
    if (message.status) {
      item.append(el("p", { class: `message-state state-${message.state}` }, el("strong", {}, t("Status: ")), message.status));
    }
    item.append(...messageLinks(message, state.summary.other_party?.label || t("the other person")));
    for (const note of message.notes) {
      const opened_ = opened.get(note.id) || {};
      item.append(el("p", { class: "message-note" }, el("strong", {}, t("{label}: ", { label: note.label })), opened_.error ? t("(could not be opened)") : opened_.text ?? ""));
    }
    // A new version is prefilled with the returned text, so it needs to have opened.
    if (message.mayRevise && !entry.error) {
      item.append(el("button", { type: "button", class: "secondary", onclick: () => startRevising(message) }, t("Write a new version")));
    }
    if (message.mayRetract) {
      item.append(el("button", { type: "button", class: "secondary", onclick: (event) => takeBack(event.currentTarget, message) }, t("Take it back")));
    }
    return item;
  }

  // What was passed on of my message, and which message a new version replaces.
  function messageLinks(message, other) {
    const parts = [];
    const link = (id, words) => el("a", { href: `#message-${id}`, onclick: (event) => {
      event.preventDefault();
      $(`message-${id}`)?.focus();
    } }, words);
    if (message.version) {
      const version = opened.get(message.version.id) || {};
      parts.push(el("div", { class: "passed-on-version" },
        el("p", {}, el("strong", {}, message.changed
          ? t("What {name} received, with your facilitator’s changes:", { name: other })
          : t("What {name} received:", { name: other }))),
        version.error ? el("p", {}, t("(could not be opened)")) : el("blockquote", { class: "message-body" }, version.text ?? "")));
    } else if (message.changed) {
      parts.push(el("p", { class: "hint" }, t("Your facilitator changed some words before passing it on.")));
    }
    if (message.replaces) {
      parts.push(el("p", { class: "replaces" }, ...withElements(t("This replaces {link}."), {
        link: link(message.replaces, t("the message your facilitator returned")),
      })));
    }
    if (message.replacedBy) {
      parts.push(el("p", { class: "replaces" }, ...withElements(t("Replaced by {link}."), {
        link: link(message.replacedBy, t("your new version")),
      })));
    }
    return parts;
  }

  const renderSignposting = installSignposting({ caseId, getKeys: () => keys, me });

  function render() {
    const view = conversationView(state);
    renderSignposting(view);
    // The server says whether a survey waits for this person (may_answer_survey).
    $("survey-invite").hidden = !state.summary.may_answer_survey;
    $("survey-link").href = `/cases/${caseId}/survey`;
    if (view.ended) {
      $("conversation").hidden = true;
      $("ended").hidden = false;
      return;
    }
    // A redraw replaces every item: whoever was on a message (a link moved them there, or
    // they were reading it by keyboard) stays on it instead of being thrown to the page's top.
    const focused = document.activeElement?.closest?.("#messages > li")?.id;
    $("messages").replaceChildren(...view.messages.map(messageItem));
    if (focused && !$("messages").contains(document.activeElement)) document.getElementById(focused)?.focus();
    $("no-messages").hidden = view.messages.length > 0;
    $("status-banner").textContent = view.banner;
    const toggle = $("pause-toggle");
    toggle.textContent = view.pause.label;
    toggle.hidden = !view.pause.shown;
    $("pause-hint").textContent = view.pause.hint;
    $("pause-hint").hidden = toggle.hidden;
    $("withdraw-start").hidden = !view.withdraw;
    $("compose-hint").textContent = view.composeHint;
    let chosenAllowed = false;
    for (const radio of document.querySelectorAll("input[name=kind]")) {
      radio.disabled = !view.mayWrite(radio.value);
      if (radio.checked && !radio.disabled) chosenAllowed = true;
    }
    if (!chosenAllowed && view.fallbackKind) {
      const fallback = document.querySelector(`input[name=kind][value="${view.fallbackKind}"]`);
      if (fallback) fallback.checked = true;
    }
    $("compose-send").disabled = !document.querySelector("input[name=kind]:not(:disabled)");
    if (revising && !view.messages.some((m) => m.id === revising && m.mayRevise)) stopRevising();
  }

  // Before a facilitator decides, the sender may take a message back: it is then never
  // passed on. The server's message_state event and a summary read again update the list.
  function takeBack(button, message) {
    busy(button, async () => {
      await post(`/api/messages/${message.id}/retract`);
      state.summary.may_retract = (state.summary.may_retract || []).filter((id) => id !== message.id);
      render();
      announce(t("Taken back. It will not be passed on."));
      refreshSummary();
    });
  }

  function startRevising(message) {
    revising = message.id;
    const entry = opened.get(message.id);
    $("revising").hidden = false;
    const noteId = message.notes[0]?.id;
    const note = noteId ? opened.get(noteId) : null;
    $("revising-note").textContent = note && !note.error ? t("Their note: {text}", { text: note.text }) : "";
    $("compose-body").value = entry.text;
    const radio = document.querySelector(`input[name=kind][value="${entry.wire.kind}"]`);
    if (radio) radio.checked = true;
    focusHeading("compose-heading");
  }

  function stopRevising() {
    revising = null;
    $("revising").hidden = true;
  }

  // Read the case again: its may_* fields after a change, and its keys, so messages from a
  // key the page did not know yet open now. One read at a time; another follows if needed.
  const rereadCase = oneAtATime(async () => {
    withSummary(state, await get(`/api/cases/${caseId}`));
    keys = trustedKeys(state.summary, me, device.me.user_id);
    reopenFailed(opened.values(), keys, me);
    for (const entry of opened.values()) withOpened(state, entry.wire.message_id, entry);
  }, () => render());
  function refreshSummary() {
    return rereadCase().catch((error) => showError(error.message));
  }

  function onEvent(event, live = true) {
    if (event.type === "message" && event.message && event.case_id === caseId) {
      const entry = openWire(event.message);
      if (live && entry.unknownKey) state.stale = true;
    }
    const result = foldEvent(state, event);
    if (!result.changed || !live) return;
    if (result.keyChanged) {
      showError(t("A key used in your conversation has changed. If you did not expect this, tell your facilitator."));
    }
    if (result.news) announce(result.news);
    render();
    if (state.stale) refreshSummary();
  }

  const attach = installAttach({ form: $("compose-form"), before: $("compose-send"), caseId });

  $("compose-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const body = $("compose-body").value;
    const empty = !body.trim() && !attach.pending();
    if (showFieldProblems(COMPOSE, empty ? { "compose-body": t("Write your message first") } : {})) return;
    const kind = document.querySelector("input[name=kind]:checked").value;
    busy(event.submitter, async () => {
      try {
        await send(kind, body);
      } catch (error) {
        // Beside Send, where the person is; an offline one clears when the connection is back.
        showActionProblem("compose-send", isOffline(error) ? t("Your message was not sent: this device is not connected to the internet. It is still in the box above. Send it again when you are connected.") : error.message, isOffline(error) ? "offline" : "error");
      }
    });
  });

  async function send(kind, body) {
    // A file is encrypted and uploaded first; the message names it (docs/attachments.md).
    const { messageId, attachments } = await attach.upload(crypto.newMessageId());
    const envelope = crypto.seal({
      sender: me,
      senderId: device.me.user_id,
      caseId,
      kind,
      // Their consented supporters read their side too (docs/casework.md, "Supporters").
      recipients: [
        ...facilitatorRecipients(state.summary),
        { keyId: me.keyId, publicKey: me.public },
        ...recipientsOf(state.summary.supporters),
      ],
      payload: attachments.length ? { body, attachments } : { body },
      messageId,
      derivedFrom: conversationView(state).revisionOf(kind, revising),
    });
    await post("/api/messages", { envelope });
    $("compose-body").value = "";
    attach.clear();
    clearFieldProblems(COMPOSE);
    clearActionProblem("compose-send");
    stopRevising();
    announce(t("Sent. Your facilitator will read it first."));
    // Not awaited: the button is free again at once; the new may_revise follows.
    refreshSummary();
  }

  // The connection is back (the browser is online again, or the live connection reopened):
  // an offline error beside Send says so and no longer stands.
  function backOnline() {
    if (connectionBack("compose-send", t("You are connected again. You can send your message now."))) announce(t("You are connected again. You can send your message now."));
  }
  window.addEventListener("online", backOnline);

  $("revising-cancel").addEventListener("click", stopRevising);

  $("pause-toggle").addEventListener("click", (event) => {
    const { action } = conversationView(state).pause;
    busy(event.currentTarget, async () => {
      withSummary(state, await post(`/api/cases/${caseId}/${action}`));
      render();
      announce(action === "pause" ? t("You have paused the conversation.") : t("You have resumed the conversation."));
    });
  });

  const dialog = $("withdraw-dialog");
  $("withdraw-start").addEventListener("click", () => dialog.showModal());
  $("withdraw-cancel").addEventListener("click", () => dialog.close());
  $("withdraw-confirm").addEventListener("click", (event) => {
    busy(event.currentTarget, async () => {
      await post(`/api/cases/${caseId}/withdraw`);
      dialog.close();
      state.summary.participation = "withdrawn";
      stream.stop();
      render();
      $("ended").focus();
    });
  });
  $("ended").setAttribute("tabindex", "-1");

  installSignOut();

  const stream = await followEvents({
    onEvent,
    onStatus: (status) => {
      if (status === "connected") backOnline();
    },
    ready: async () => {
      loading(false);
      $("conversation").hidden = false;
      // The history replayed: read the case once more, for what it changed.
      if (state.stale) await refreshSummary();
      render();
    },
    onClosedForGood: (code) => {
      if (!conversationView(state).ended) showError(FINAL_CLOSES[code] || FINAL_CLOSES[4001]);
    },
  });
}
