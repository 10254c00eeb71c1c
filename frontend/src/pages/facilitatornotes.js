// Notes to facilitators in a facilitator's "Waiting for your decision": a participant's note
// to the facilitators waits there, with its words, until this facilitator marks it read; one
// that arrives while the page is open also raises an alert. What was read is remembered in
// this browser (localStorage, message ids only, never content), per facilitator.

import { $, announce, el, when } from "../ui.js";

export function installNotesQueue({ userId }) {
  const storeKey = `relay-notes-read-${userId}`;
  let read;
  try {
    read = new Set(JSON.parse(localStorage.getItem(storeKey) || "[]"));
  } catch {
    read = new Set();
  }
  const waiting = new Map(); // message id -> { from, at, text }

  function save() {
    try {
      localStorage.setItem(storeKey, JSON.stringify([...read]));
    } catch {
      // Storage full or refused: the note is simply shown again next time.
    }
  }

  function render() {
    $("queue-notes").replaceChildren(...[...waiting].map(([id, note]) => el("li", { class: "queue-item note-item" },
      el("p", {}, el("strong", {}, `Note to facilitators from ${note.from}`), ", sent ", when(note.at)),
      el("p", { class: "message-body" }, note.text),
      el("button", { type: "button", class: "secondary", onclick: () => markRead(id) }, "Mark as read"))));
    $("note-alert").hidden = ![...waiting.values()].some((note) => note.fresh);
  }

  function markRead(id) {
    read.add(id);
    waiting.delete(id);
    save();
    render();
    announce("Marked as read.");
    $("queue-heading").focus();
  }

  return {
    // A participant's note to the facilitators (opened): waits unless already read; a live
    // one raises the alert.
    add(id, { from, at, text }, live) {
      if (read.has(id) || waiting.has(id)) return;
      waiting.set(id, { from, at, text, fresh: live });
      if (live) {
        $("note-alert").textContent = `New note to facilitators from ${from}.`;
        announce(`New note to facilitators from ${from}.`);
      }
      render();
    },
    count: () => waiting.size,
    render,
  };
}
