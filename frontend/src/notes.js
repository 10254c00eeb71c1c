// Notes to the facilitators in a facilitator's queue: which ones still wait, from the server's
// word (`read_by_me` on each note, docs/api.md), and the clean-up of what older versions of
// the page kept in the browser.

// Older pages remembered read notes in localStorage under this prefix and the user id
// (message ids only). The server remembers now; nothing of it should stay behind.
export const OLD_READ_NOTES_PREFIX = "relay-notes-read-";

// Remove every old read-notes key from `storage` (a Storage); returns how many went. A
// storage the browser refuses (private mode, blocked) holds nothing to remove.
export function forgetOldReadNotes(storage) {
  let removed = 0;
  try {
    for (let i = storage.length - 1; i >= 0; i -= 1) {
      const key = storage.key(i);
      if (key && key.startsWith(OLD_READ_NOTES_PREFIX)) {
        storage.removeItem(key);
        removed += 1;
      }
    }
  } catch {
    // Nothing readable, so nothing lingers that this page could reach.
  }
  return removed;
}

// Whether a message (as the facilitator's catch-up carries it) is a note to the facilitators
// this facilitator has not marked read yet: the server's `read_by_me`, their own reading only.
export function noteWaits(wire) {
  return Boolean(wire) && wire.kind === "note_to_facilitator" && wire.read_by_me !== true;
}
