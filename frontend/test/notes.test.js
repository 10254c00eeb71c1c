// Notes to the facilitators in the queue, under Node's own test runner: `node --test frontend/test/`.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { OLD_READ_NOTES_PREFIX, forgetOldReadNotes, noteWaits } from "../src/notes.js";

// The parts of the Web Storage interface the page uses.
function storage(entries) {
  const map = new Map(Object.entries(entries));
  return {
    get length() { return map.size; },
    key: (i) => [...map.keys()][i] ?? null,
    removeItem: (key) => { map.delete(key); },
    keys: () => [...map.keys()],
  };
}

describe("notes to the facilitators", () => {
  it("waits until this facilitator has marked it read, as the server says", () => {
    assert.equal(noteWaits({ kind: "note_to_facilitator", read_by_me: false }), true);
    assert.equal(noteWaits({ kind: "note_to_facilitator", read_by_me: true }), false);
    // A server that has not said (an older one): better shown than lost.
    assert.equal(noteWaits({ kind: "note_to_facilitator" }), true);
    assert.equal(noteWaits({ kind: "question", read_by_me: false }), false);
    assert.equal(noteWaits(undefined), false);
  });

  it("forgets every read-notes list older pages kept in the browser, and nothing else", () => {
    const kept = storage({
      [`${OLD_READ_NOTES_PREFIX}1b7c`]: '["a"]',
      "relay-device": "x",
      [`${OLD_READ_NOTES_PREFIX}9f00`]: "[]",
      "relay-notes-other": "y",
    });
    assert.equal(forgetOldReadNotes(kept), 2);
    assert.deepEqual(kept.keys(), ["relay-device", "relay-notes-other"]);
    assert.equal(forgetOldReadNotes(kept), 0);
  });

  it("copes with a storage the browser refuses", () => {
    const refused = { get length() { throw new Error("SecurityError"); } };
    assert.equal(forgetOldReadNotes(refused), 0);
  });
});
