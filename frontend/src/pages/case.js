// One case for a facilitator: its state and who paused, the live moderation queue, review
// (edit with a word diff, pass on, return with a note, reject with a reason), fingerprints
// and notes to a participant. What to show comes from casestate.js (the server's summary and
// events); this module only does the DOM, the network and the envelopes.

import * as crypto from "../crypto/index.js";
import { get, post } from "../api.js";
import {
  facilitatorRecipients,
  openMessage,
  recipientsOf,
  reopenFailed,
  trustedKeys,
} from "../casekeys.js";
import { SIDE_WORDS, caseState, facilitatorView, foldEvent, participationWords, retentionWords, waitingIds, withOpened, withSummary } from "../casestate.js";
import { wordDiff } from "../diff.js";
import { installSignOut, signedInDevice } from "../session.js";
import { followEvents } from "../socket.js";
import { oneAtATime } from "../oneatatime.js";
import { $, announce, busy, el, focusHeading, formatDate, showError, when, withElements } from "../ui.js";
import { installScheduling } from "./meetings.js";
import { installEnding } from "./ending.js";
import { installCasework } from "./casework.js";
import { attachmentsBlock, showFilesAfter } from "./attach.js";
import { forwardedFiles } from "../attachments.js";
import { installNotesQueue } from "./facilitatornotes.js";
import { clearActionProblem, clearFieldProblems, isOffline, showActionProblem, showFieldProblems } from "../problems.js";
import { t } from "../i18n/messages.js";
import { installCaseSupporters } from "./caseSupporters.js";
import { installHeld } from "./caseHeld.js";

// The review's fields: a problem shows beside its field and in the summary at the top.
const REVIEW = { summaryId: "review-problems", fieldIds: ["review-edit", "review-return-note", "review-reject-reason"] };
const REVIEW_BUTTONS = ["review-forward", "review-return", "review-reject"];

export async function casePage() {
  const device = await signedInDevice();
  if (!device) return;
  const me = device.keyPair;
  const caseId = document.body.dataset.caseId;
  const state = caseState(await get(`/api/cases/${caseId}`), device.me.user_id);
  let keys = trustedKeys(state.summary, me, device.me.user_id);
  const record = new Map(); // message_id -> { wire, text, error, unknownKey }
  let queued = []; // message ids from the queue endpoint and the stream, oldest first
  let reviewing = null;
  const view = () => facilitatorView(state);
  const participantBySide = (side) => state.summary.participants.find((p) => p.side === side);
  const notesQueue = installNotesQueue();

  function open(wire) {
    if (record.has(wire.message_id)) return record.get(wire.message_id);
    const entry = { wire, ...openMessage(wire, keys, me) };
    record.set(wire.message_id, entry);
    withOpened(state, wire.message_id, entry);
    return entry;
  }
  // The newest wire the state holds for a message (its state may have moved on).
  const wireOf = (id) => state.messages.get(id)?.wire || record.get(id)?.wire;

  const renderMeetings = installScheduling({
    caseId, device, getSummary: () => state.summary,
  });
  renderMeetings().catch((error) => showError(error.message));
  const renderEnding = installEnding({
    caseId, device, getState: () => state, getKeys: () => keys, refresh: () => rereadCase(),
  });

  const casework = installCasework({
    caseId, device, getSummary: () => state.summary, refresh: () => rereadCase(),
  });
  casework.renderTimeline().catch((error) => showError(error.message));
  const caseSupporters = installCaseSupporters({ caseId });
  caseSupporters.render().catch((error) => showError(error.message));
  const caseHeld = installHeld({
    caseId, device, getSummary: () => state.summary, refresh: () => rereadCase(),
  });

  function renderAll() {
    casework.render();
    caseHeld.render();
    renderEnding();
    renderParticipants();
    renderState();
    renderQueue();
    renderRecord();
  }

  // Read the case again: its may_* fields after a change, and its keys, so messages from a
  // key the page did not know yet open now. One read at a time; another follows if needed.
  const rereadCase = oneAtATime(async () => {
    withSummary(state, await get(`/api/cases/${caseId}`));
    keys = trustedKeys(state.summary, me, device.me.user_id);
    reopenFailed(record.values(), keys, me);
    for (const entry of record.values()) withOpened(state, entry.wire.message_id, entry);
  }, () => renderAll());
  function refreshSummary() {
    return rereadCase().catch((error) => showError(error.message));
  }

  // When the case's content will be deleted: read again whenever the case's state changes.
  let retentionFor = null;
  const day = (iso) => formatDate(new Date(iso), { dateStyle: "long" });
  function renderRetention(stateWords) {
    if (retentionFor === stateWords) return;
    retentionFor = stateWords;
    get(`/api/cases/${caseId}/retention`)
      .then((retention) => { $("case-retention").textContent = retentionWords(retention, day); })
      .catch(() => { retentionFor = null; });
  }

  function renderState() {
    const shown = view();
    $("case-reference").textContent = shown.reference;
    document.title = t("Case {reference} – Relay", { reference: shown.reference });
    $("case-state").textContent = shown.stateWords;
    renderRetention(shown.stateWords);
    const toggle = $("safety-pause-toggle");
    toggle.textContent = shown.safetyToggle.label;
    toggle.hidden = !shown.safetyToggle.shown;
    const blocked = $("forward-blocked");
    blocked.hidden = shown.mayForward;
    blocked.textContent = shown.forwardBlocked;
    $("review-forward").disabled = !shown.mayForward;
  }

  function renderParticipants() {
    const sides = ["harmed", "responsible"];
    const people = [...state.summary.participants].sort((a, b) => sides.indexOf(a.side) - sides.indexOf(b.side));
    $("participants").replaceChildren(
      ...people.map((p) => {
        const item = el("li", { class: "participant" },
          el("h3", {}, t("{name} ({side})", { name: p.display_name || t("Participant"), side: SIDE_WORDS[p.side] })),
          el("p", {}, participationWords(p, state.summary)));
        if (p.key) {
          item.append(el("p", {}, ...withElements(t("Key fingerprint: {fingerprint}"), {
            fingerprint: el("span", { class: "fingerprint" }, p.key.fingerprint),
          })));
          if (p.key.verified) {
            item.append(el("p", { class: "verified" }, t("You or a colleague have checked this fingerprint with them.")));
          } else {
            item.append(el("button", {
              type: "button",
              class: "secondary",
              onclick: (event) => busy(event.currentTarget, async () => {
                await post(`/api/cases/${caseId}/keys/${p.key.key_id}/verify`, { method: "phone" });
                await refreshSummary();
                announce(t("Fingerprint recorded as checked."));
              }),
            }, t("I have read this fingerprint with {side} and it matches", { side: SIDE_WORDS[p.side] })));
          }
        } else {
          const shown = el("p", { class: "invitation", role: "status" });
          item.append(
            el("p", {}, t("Has not set up their account yet.")),
            el("button", {
              type: "button",
              class: "secondary",
              onclick: (event) => busy(event.currentTarget, async () => {
                const invitation = await post(`/api/cases/${caseId}/invitations`, { side: p.side });
                const expires = new Date(invitation.expires_at);
                shown.replaceChildren(...withElements(
                  t("Enrolment code: {code}. Give it to {side} by phone or letter. It works once, until {time}. Making a new code cancels this one.", {
                    side: SIDE_WORDS[p.side],
                  }),
                  { code: el("strong", { class: "code" }, invitation.code), time: when(expires.toISOString()) },
                ));
              }),
            }, t("Make an enrolment code for {side}", { side: SIDE_WORDS[p.side] })),
            shown,
          );
        }
        return item;
      }),
    );
    const select = $("note-to");
    const chosen = select.value;
    select.replaceChildren(
      ...view().noteTo.map((p) =>
        el("option", { value: p.side }, t("{name} ({side})", { name: p.display_name || t("Participant"), side: SIDE_WORDS[p.side] }))),
    );
    if (chosen) select.value = chosen;
  }

  function renderQueue() {
    queued = waitingIds(state, queued);
    const shown = view();
    $("queue-empty").hidden = queued.length > 0 || notesQueue.count() > 0;
    $("queue").replaceChildren(
      ...queued.map((id) => record.get(id)).filter(Boolean).map((entry) => el("li", { class: "queue-item" },
        el("p", {}, shown.queueLine(entry.wire), when(entry.wire.at)),
        el("button", { type: "button", onclick: () => startReview(entry) }, t("Open this message")))),
    );
  }

  function renderRecord() {
    const items = view().record;
    $("record-empty").hidden = items.length > 0;
    $("record").replaceChildren(
      ...items.map((item) => {
        const entry = record.get(item.id) || {};
        return el("li", { class: "message" },
          el("h3", { class: "message-heading" }, item.heading),
          el("p", { class: "message-time" }, when(item.at), item.meta),
          entry.error ? el("p", { class: "error" }, entry.error) : el("p", { class: "message-body" }, entry.text ?? ""),
          entry.error ? null : attachmentsBlock(entry.payload, { place: `record-${item.id}`, review: true }));
      }),
    );
  }

  function renderDiff() {
    if (!reviewing) return;
    const parts = wordDiff(reviewing.text, $("review-edit").value);
    const changed = parts.some((p) => p.op !== "same");
    $("review-diff").replaceChildren(
      ...(changed
        ? parts.map((p) => (p.op === "same" ? p.text
          : el(p.op === "added" ? "ins" : "del", {}, el("span", { class: "visually-hidden" }, ` [${p.op === "added" ? t("added:") : t("removed:")} `), p.text, el("span", { class: "visually-hidden" }, "] "))))
        : [t("No changes: it will be passed on as written.")]),
    );
  }

  function startReview(entry) {
    if (entry.error) {
      showError(t("This message could not be opened: {error}", { error: entry.error }));
      return;
    }
    reviewing = entry;
    $("review-meta").textContent = view().describe(entry.wire);
    $("review-original").textContent = entry.text;
    showFilesAfter($("review-original"), entry.payload, { place: "review", review: true });
    $("review-edit").value = entry.text;
    $("review-return-note").value = "";
    $("review-reject-reason").value = "";
    $("review").hidden = false;
    clearFieldProblems(REVIEW);
    for (const id of REVIEW_BUTTONS) clearActionProblem(id);
    renderDiff();
    renderState();
    focusHeading("review-heading");
  }

  function closeReview() {
    reviewing = null;
    $("review").hidden = true;
  }

  function facilitatorEnvelope({ kind, body, derivedFrom, to, edited = false, files = {} }) {
    return crypto.seal({
      sender: me,
      senderId: device.me.user_id,
      caseId,
      kind,
      recipients: [...facilitatorRecipients(state.summary), ...recipientsOf(to)],
      payload: { body, ...files },
      derivedFrom,
      edited,
    });
  }

  async function decide(action, kind, body, to) {
    const entry = reviewing;
    const envelope = facilitatorEnvelope({
      kind,
      body,
      derivedFrom: entry.wire.message_id,
      to: [to].flat(),
      edited: action === "forward" && body !== entry.text,
      // A forward carries the files on, their keys re-sealed to the other party.
      files: action === "forward" ? forwardedFiles(entry.payload) : {},
    });
    await post(`/api/messages/${entry.wire.message_id}/${action}`, { envelope });
    queued = queued.filter((id) => id !== entry.wire.message_id);
    closeReview();
    renderQueue();
    announce({ forward: t("Passed on."), return: t("Returned with your note."), reject: t("Not passed on; the reason was sent.") }[action]);
    $("queue-heading").focus();
  }

  $("queue-heading").setAttribute("tabindex", "-1");
  $("review-edit").addEventListener("input", renderDiff);
  $("review-close").addEventListener("click", closeReview);
  // A decision on the message in review: the words it needs are checked first (a problem
  // beside the field and in the summary); what the server or the network says goes beside
  // the button that was pressed.
  function decideFrom(buttonId, field, missing, act, mayBeEmpty = () => false) {
    $(buttonId).addEventListener("click", (event) => busy(event.currentTarget, async () => {
      const words = $(field).value;
      const empty = !words.trim() && !mayBeEmpty();
      if (showFieldProblems(REVIEW, empty ? { [field]: missing } : {})) return;
      for (const id of REVIEW_BUTTONS) clearActionProblem(id);
      try {
        await act(words);
      } catch (error) {
        showActionProblem(buttonId, isOffline(error) ? t("This device is not connected to the internet. Nothing was sent. Try again when you are connected.") : error.message);
      }
    }));
  }
  decideFrom("review-forward", "review-edit", t("There is nothing left to pass on. Return it or explain why not instead"), async (body) => {
    const target = view().forwardTargetOf(wireOf(reviewing.wire.message_id));
    if (!target) throw new Error(t("This message is not from a participant of this case."));
    // Sealed to its writer too, so they can read what was passed on of their words.
    await decide("forward", reviewing.wire.kind, body, [target, view().senderOf(wireOf(reviewing.wire.message_id))]);
  }, () => "attachments" in forwardedFiles(reviewing.payload)); // a file may go on without words
  decideFrom("review-return", "review-return-note", t("Write a note saying what to change"), (note) =>
    decide("return", "return_note", note, view().senderOf(reviewing.wire)));
  decideFrom("review-reject", "review-reject-reason", t("Write the reason it will not be passed on"), (reason) =>
    decide("reject", "rejection_reason", reason, view().senderOf(reviewing.wire)));

  $("safety-pause-toggle").addEventListener("click", (event) => busy(event.currentTarget, async () => {
    withSummary(state, await post(`/api/cases/${caseId}/${view().safetyToggle.action}`));
    renderState();
    announce(view().stateWords);
  }));

  $("note-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const body = $("note-body").value;
    const to = participantBySide($("note-to").value);
    if (!body.trim() || !to) {
      showError(t("Choose who it is for and write your note."));
      return;
    }
    busy(event.submitter, async () => {
      await post("/api/messages", { envelope: facilitatorEnvelope({ kind: "facilitator_note", body, derivedFrom: null, to: [to] }) });
      $("note-body").value = "";
      announce(t("Your note was sent."));
    });
  });

  installSignOut();

  function onEvent(event, live) {
    if (live) caseSupporters.onEvent(event);
    caseHeld.onEvent(event);
    if (event.type === "message" && event.message && event.case_id === caseId) {
      const entry = open(event.message);
      if (live && entry.unknownKey) state.stale = true;
    }
    const result = foldEvent(state, event);
    if (!result.changed) return;
    if (event.type === "message" && event.message && event.message.audience === "other_party"
      && !queued.includes(event.message.message_id)) {
      queued.push(event.message.message_id);
    }
    // A participant's note to the facilitators waits in the queue until this facilitator
    // marks it read (the server's `read_by_me`, the same on every device).
    const writer = event.type === "message" && event.message?.kind === "note_to_facilitator" ? view().senderOf(event.message) : null;
    const note = writer ? record.get(event.message.message_id) : null;
    if (note && !note.error) {
      notesQueue.add(event.message, { from: SIDE_WORDS[writer.side], at: event.message.at, text: note.text }, live);
      if (!live && notesQueue.count() > 0) $("queue-empty").hidden = true;
    }
    if (!live) return;
    if (event.type === "message_state" && reviewing && reviewing.wire.message_id === event.data.message_id) {
      closeReview();
      announce(t("A colleague has already decided on that message."));
    }
    if (result.keyChanged) {
      showError(t("A key in this case has changed. Check the new fingerprint with its owner before anything is passed on to them."));
    }
    if (result.news) announce(result.news);
    casework.render();
    caseHeld.render();
    renderState();
    renderQueue();
    renderRecord();
    if (state.stale) refreshSummary();
  }

  await followEvents({
    onEvent,
    ready: async () => {
      // The queue endpoint is the truth for what waits; the stream keeps it live from here.
      const waiting = await get(`/api/cases/${caseId}/queue`);
      queued = waiting.messages.map((wire) => open(wire).wire.message_id);
      if (state.stale) await refreshSummary();
      renderAll();
    },
  });
}
