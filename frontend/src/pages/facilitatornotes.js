// Notes to facilitators in a facilitator's "Waiting for your decision": a participant's note
// to the facilitators waits there, with its words, until this facilitator marks it read; one
// that arrives while the page is open also raises an alert. Read is a fact on the server, per
// facilitator account (`POST /api/messages/<id>/read`; `read_by_me` on the note), so a note
// marked read on one device does not wait again on another. Nothing is kept in the browser.

import { post } from "../api.js";
import { t } from "../i18n/messages.js";
import { forgetOldReadNotes, noteWaits } from "../notes.js";
import { clearActionProblem, isOffline, showActionProblem } from "../problems.js";
import { $, announce, busy, el, when } from "../ui.js";

export function installNotesQueue() {
  // Older pages kept read note ids in this browser: none of it should linger.
  try {
    forgetOldReadNotes(globalThis.localStorage);
  } catch {
    // No storage at all: nothing to forget.
  }
  const waiting = new Map(); // message id -> { from, at, text, fresh }
  const buttonId = (id) => `note-read-${id}`;

  function render() {
    $("queue-notes").replaceChildren(...[...waiting].map(([id, note]) => el("li", { class: "queue-item note-item" },
      el("p", {}, el("strong", {}, t("Note to facilitators from {from}", { from: note.from })), t(", sent "), when(note.at)),
      el("p", { class: "message-body" }, note.text),
      el("button", { type: "button", class: "secondary", id: buttonId(id), onclick: (event) => markRead(id, event.currentTarget) }, t("Mark as read")))));
    $("note-alert").hidden = ![...waiting.values()].some((note) => note.fresh);
  }

  // Marked on the server first: a note leaves the queue only once it is read on every device.
  // A refusal or no connection shows beside the button, and the note stays.
  function markRead(id, button) {
    clearActionProblem(buttonId(id));
    return busy(button, async () => {
      try {
        await post(`/api/messages/${id}/read`);
      } catch (error) {
        showActionProblem(buttonId(id), isOffline(error)
          ? t("This device is not connected to the internet. The note was not marked as read. Try again when you are connected.")
          : error.message);
        return;
      }
      waiting.delete(id);
      render();
      announce(t("Marked as read."));
      $("queue-heading").focus();
    });
  }

  return {
    // A participant's note to the facilitators (opened), as its wire says (`read_by_me`):
    // waits unless this facilitator already marked it read; a live one raises the alert.
    add(wire, { from, at, text }, live) {
      const id = wire.message_id;
      if (!noteWaits(wire) || waiting.has(id)) return;
      waiting.set(id, { from, at, text, fresh: live });
      if (live) {
        $("note-alert").textContent = t("New note to facilitators from {from}.", { from });
        announce(t("New note to facilitators from {from}.", { from }));
      }
      render();
    },
    count: () => waiting.size,
    render,
  };
}
