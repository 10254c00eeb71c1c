// One case for a facilitator: its state and who paused, the live moderation queue, review
// (edit with a word diff, pass on, return with a note, reject with a reason), fingerprints
// and notes to a participant.

import * as crypto from "../crypto/index.js";
import { get, post } from "../api.js";
import {
  facilitatorRecipients,
  openMessage,
  recipientsOf,
  reopenFailed,
  trustedKeys,
} from "../casekeys.js";
import { SIDE_WORDS, caseStateWords } from "../casewords.js";
import { wordDiff } from "../diff.js";
import { installSignOut, signedInDevice } from "../session.js";
import { followEvents } from "../socket.js";
import { $, announce, busy, el, focusHeading, showError, when } from "../ui.js";

const KIND_WORDS = {
  question: "Question",
  answer: "Answer",
  statement: "Statement",
  letter: "Letter",
  apology: "Apology",
  note_to_facilitator: "Note to facilitators",
  facilitator_note: "Facilitator note",
  return_note: "Return note",
  rejection_reason: "Reason for not passing on",
};

export async function casePage() {
  const device = await signedInDevice();
  if (!device) return;
  const me = device.keyPair;
  const caseId = document.body.dataset.caseId;
  let summary = await get(`/api/cases/${caseId}`);
  let keys = trustedKeys(summary, me);
  const record = new Map(); // message_id -> { wire, text, error, who }
  const queue = new Map(); // message_id -> entry, waiting for a decision
  let reviewing = null;

  const participantBySide = (side) => summary.participants.find((p) => p.side === side);
  const sideOfKey = (keyId) => summary.participants.find((p) => p.key && p.key.key_id === keyId)?.side;

  function open(wire) {
    if (record.has(wire.message_id)) {
      record.get(wire.message_id).wire.state = wire.state;
      return record.get(wire.message_id);
    }
    const entry = { wire, ...openMessage(wire, keys, me) };
    record.set(wire.message_id, entry);
    return entry;
  }

  // Read the case again, and with it its keys: messages from a key the page did not know yet
  // open now.
  function refreshSummary() {
    return get(`/api/cases/${caseId}`).then((fresh) => {
      summary = fresh;
      keys = trustedKeys(summary, me);
      reopenFailed(record.values(), keys, me);
      renderParticipants();
      renderState();
      renderQueue();
      renderRecord();
    }).catch((error) => showError(error.message));
  }

  function renderState() {
    $("case-reference").textContent = summary.reference;
    document.title = `Case ${summary.reference} – Relay`;
    $("case-state").textContent = caseStateWords(summary);
    const toggle = $("safety-pause-toggle");
    toggle.textContent = summary.safety_paused ? "Lift the safety pause" : "Pause this case for safety";
    toggle.hidden = summary.state !== "active";
    const blocked = $("forward-blocked");
    blocked.hidden = summary.communicating;
    blocked.textContent = summary.communicating ? "" : `${caseStateWords(summary)} You can still return it or explain why it will not be passed on.`;
    $("review-forward").disabled = !summary.communicating;
  }

  function renderParticipants() {
    const sides = ["harmed", "responsible"];
    summary.participants.sort((a, b) => sides.indexOf(a.side) - sides.indexOf(b.side));
    $("participants").replaceChildren(
      ...summary.participants.map((p) => {
        const item = el("li", { class: "participant" },
          el("h3", {}, `${p.display_name || "Participant"} (${SIDE_WORDS[p.side]})`),
          el("p", {}, `Taking part: ${p.state}.`));
        if (p.key) {
          item.append(el("p", {}, "Key fingerprint: ", el("span", { class: "fingerprint" }, p.key.fingerprint)));
          if (p.key.verified) {
            item.append(el("p", { class: "verified" }, "You or a colleague have checked this fingerprint with them."));
          } else {
            item.append(el("button", {
              type: "button",
              class: "secondary",
              onclick: (event) => busy(event.currentTarget, async () => {
                await post(`/api/cases/${caseId}/keys/${p.key.key_id}/verify`, { method: "phone" });
                await refreshSummary();
                announce("Fingerprint recorded as checked.");
              }),
            }, `I have read this fingerprint with ${SIDE_WORDS[p.side]} and it matches`));
          }
        } else {
          const shown = el("p", { class: "invitation", role: "status" });
          item.append(
            el("p", {}, "Has not set up their account yet."),
            el("button", {
              type: "button",
              class: "secondary",
              onclick: (event) => busy(event.currentTarget, async () => {
                const invitation = await post(`/api/cases/${caseId}/invitations`, { side: p.side });
                const expires = new Date(invitation.expires_at);
                shown.replaceChildren(
                  "Enrolment code: ",
                  el("strong", { class: "code" }, invitation.code),
                  `. Give it to ${SIDE_WORDS[p.side]} by phone or letter. It works once, until `,
                  when(expires.toISOString()),
                  ". Making a new code cancels this one.",
                );
              }),
            }, `Make an enrolment code for ${SIDE_WORDS[p.side]}`),
            shown,
          );
        }
        return item;
      }),
    );
    const select = $("note-to");
    const chosen = select.value;
    select.replaceChildren(
      ...summary.participants.filter((p) => p.key && p.state !== "withdrawn").map((p) =>
        el("option", { value: p.side }, `${p.display_name || "Participant"} (${SIDE_WORDS[p.side]})`)),
    );
    if (chosen) select.value = chosen;
  }

  function renderQueue() {
    const waiting = [...queue.values()];
    $("queue-empty").hidden = waiting.length > 0;
    $("queue").replaceChildren(
      ...waiting.map((entry) => el("li", { class: "queue-item" },
        el("p", {}, `${KIND_WORDS[entry.wire.kind] || entry.wire.kind} from ${SIDE_WORDS[sideOfKey(entry.wire.envelope.header.sender_key_id)] || "a participant"}, sent `, when(entry.wire.at)),
        el("button", { type: "button", onclick: () => startReview(entry) }, "Open this message"))),
    );
  }

  function renderRecord() {
    $("record-empty").hidden = record.size > 0;
    $("record").replaceChildren(
      ...[...record.values()].map((entry) => {
        const senderSide = sideOfKey(entry.wire.envelope.header.sender_key_id);
        const from = senderSide ? SIDE_WORDS[senderSide] : "a facilitator";
        return el("li", { class: "message" },
          el("h3", { class: "message-heading" }, `${KIND_WORDS[entry.wire.kind] || entry.wire.kind} from ${from}`),
          el("p", { class: "message-time" }, when(entry.wire.at), ` · ${entry.wire.state}${entry.wire.envelope.header.edited ? " · edited" : ""}`),
          entry.error ? el("p", { class: "error" }, entry.error) : el("p", { class: "message-body" }, entry.text));
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
          : el(p.op === "added" ? "ins" : "del", {}, el("span", { class: "visually-hidden" }, p.op === "added" ? " [added: " : " [removed: "), p.text, el("span", { class: "visually-hidden" }, "] "))))
        : ["No changes: it will be passed on as written."]),
    );
  }

  function startReview(entry) {
    if (entry.error) {
      showError(`This message could not be opened: ${entry.error}`);
      return;
    }
    reviewing = entry;
    const side = sideOfKey(entry.wire.envelope.header.sender_key_id);
    $("review-meta").textContent = `${KIND_WORDS[entry.wire.kind]} from ${SIDE_WORDS[side]}, to be passed on to ${SIDE_WORDS[side === "harmed" ? "responsible" : "harmed"]}.`;
    $("review-original").textContent = entry.text;
    $("review-edit").value = entry.text;
    $("review-return-note").value = "";
    $("review-reject-reason").value = "";
    $("review").hidden = false;
    renderDiff();
    renderState();
    focusHeading("review-heading");
  }

  function closeReview() {
    reviewing = null;
    $("review").hidden = true;
  }

  function facilitatorEnvelope({ kind, body, derivedFrom, to, edited = false }) {
    return crypto.seal({
      sender: me,
      senderId: device.me.user_id,
      caseId,
      kind,
      recipients: [...facilitatorRecipients(summary), ...recipientsOf(to)],
      payload: { body },
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
      to: [to],
      edited: action === "forward" && body !== entry.text,
    });
    await post(`/api/messages/${entry.wire.message_id}/${action}`, { envelope });
    queue.delete(entry.wire.message_id);
    closeReview();
    renderQueue();
    announce({ forward: "Passed on.", return: "Returned with your note.", reject: "Not passed on; the reason was sent." }[action]);
    $("queue-heading").focus();
  }

  $("queue-heading").setAttribute("tabindex", "-1");
  $("review-edit").addEventListener("input", renderDiff);
  $("review-close").addEventListener("click", closeReview);
  $("review-forward").addEventListener("click", (event) => busy(event.currentTarget, async () => {
    const senderSide = sideOfKey(reviewing.wire.envelope.header.sender_key_id);
    const target = participantBySide(senderSide === "harmed" ? "responsible" : "harmed");
    const body = $("review-edit").value;
    if (!body.trim()) throw new Error("There is nothing left to pass on. Return it or explain why not instead.");
    await decide("forward", reviewing.wire.kind, body, target);
  }));
  $("review-return").addEventListener("click", (event) => busy(event.currentTarget, async () => {
    const note = $("review-return-note").value;
    if (!note.trim()) throw new Error("Write a note saying what to change.");
    await decide("return", "return_note", note, participantBySide(sideOfKey(reviewing.wire.envelope.header.sender_key_id)));
  }));
  $("review-reject").addEventListener("click", (event) => busy(event.currentTarget, async () => {
    const reason = $("review-reject-reason").value;
    if (!reason.trim()) throw new Error("Write the reason it will not be passed on.");
    await decide("reject", "rejection_reason", reason, participantBySide(sideOfKey(reviewing.wire.envelope.header.sender_key_id)));
  }));

  $("safety-pause-toggle").addEventListener("click", (event) => busy(event.currentTarget, async () => {
    summary = await post(`/api/cases/${caseId}/${summary.safety_paused ? "resume" : "pause"}`);
    renderState();
    announce(caseStateWords(summary));
  }));

  $("note-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const body = $("note-body").value;
    const to = participantBySide($("note-to").value);
    if (!body.trim() || !to) {
      showError("Choose who it is for and write your note.");
      return;
    }
    busy(event.submitter, async () => {
      await post("/api/messages", { envelope: facilitatorEnvelope({ kind: "facilitator_note", body, derivedFrom: null, to: [to] }) });
      $("note-body").value = "";
      announce("Your note was sent.");
    });
  });

  installSignOut();

  function onEvent(event, live) {
    if (event.case_id !== caseId) return;
    if (event.type === "message" && event.message) {
      const entry = open(event.message);
      if (live && entry.unknownKey) refreshSummary();
      if (event.message.audience === "other_party" && event.message.state === "submitted") {
        queue.set(event.message.message_id, entry);
        if (live) announce("A new message is waiting for your decision.");
      }
    } else if (event.type === "message_state") {
      const entry = record.get(event.data.message_id);
      if (entry) entry.wire.state = event.data.state;
      queue.delete(event.data.message_id);
      if (reviewing && reviewing.wire.message_id === event.data.message_id && live) {
        closeReview();
        announce("A colleague has already decided on that message.");
      }
    } else if (event.type === "communication") {
      summary.communicating = event.data.communicating;
      summary.safety_paused = event.data.safety_paused;
      for (const p of summary.participants) {
        if (p.state === "paused" || p.state === "active") {
          p.state = event.data.paused_sides.includes(p.side) ? "paused" : "active";
        }
      }
      if (live) announce(caseStateWords(summary));
    } else if (event.type === "participation") {
      const p = participantBySide(event.data.side);
      if (p) p.state = event.data.state;
    } else if (event.type === "case") {
      summary.state = event.data.state;
    } else if (event.type === "key" && live) {
      showError("A key in this case has changed. Check the new fingerprint with its owner before anything is passed on to them.");
    }
    if (live) {
      renderState();
      renderQueue();
      renderRecord();
      if (["participation", "case", "key"].includes(event.type)) refreshSummary();
    }
  }

  await followEvents({
    onEvent,
    ready: async () => {
      // The queue endpoint is the truth for what waits; the stream keeps it live from here.
      const waiting = await get(`/api/cases/${caseId}/queue`);
      queue.clear();
      for (const wire of waiting.messages) queue.set(wire.message_id, open(wire));
      renderState();
      renderParticipants();
      renderQueue();
      renderRecord();
    },
  });
}
