// Who wrote a message, in the browser (frontend/src/casekeys.js), with real envelopes: the
// same cases as tests/client/test_casekeys.py for the Python client.

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import sodium from "libsodium-wrappers-sumo";

import { authorOf, openMessage, trustedKeys } from "../src/casekeys.js";
import * as crypto from "../src/crypto/index.js";

const CASE = "00000000-0000-4000-8000-00000000000c";
const F_ID = "00000000-0000-4000-8000-0000000000f1";
const CO_ID = "00000000-0000-4000-8000-0000000000f2";
const H_ID = "00000000-0000-4000-8000-0000000000a1";
const R_ID = "00000000-0000-4000-8000-0000000000b1";

let f, co, h, r;
before(async () => {
  await crypto.ready();
  [f, co, h, r] = [0, 1, 2, 3].map(() => crypto.generateKeyPair());
});

const wireKey = (key) => ({ key_id: key.keyId, public_key: crypto.b64(key.public) });
const recipient = (key) => ({ keyId: key.keyId, publicKey: key.public });

const facilitators = () => [
  { user_id: F_ID, display_name: "Sam", key: wireKey(f) },
  { user_id: CO_ID, display_name: "Kim", key: wireKey(co) },
];
const staffSummary = () => ({
  case_id: CASE,
  facilitators: facilitators(),
  participants: [
    { side: "harmed", user_id: H_ID, display_name: "Jo", key: wireKey(h) },
    { side: "responsible", user_id: R_ID, display_name: "Al", key: wireKey(r) },
  ],
});
const participantSummary = () => ({ case_id: CASE, side: "harmed", facilitators: facilitators() });

function seal(sender, senderId, to, { contentKey = null } = {}) {
  const envelope = crypto.seal({
    sender, senderId, caseId: CASE, kind: "question", recipients: to.map(recipient), payload: { body: "hi" }, contentKey,
  });
  return { case_id: CASE, message_id: envelope.header.message_id, kind: "question", envelope };
}

// `message` (sealed with `contentKey`) with that key re-encrypted by `wrapper` to `target`,
// as the server stores it after an account recovery.
function rewrapped(message, contentKey, wrapper, target) {
  const nonce = sodium.randombytes_buf(24);
  const record = {
    key_id: target.keyId,
    nonce: crypto.b64(nonce),
    box: crypto.b64(sodium.crypto_box_easy(contentKey, nonce, target.public, wrapper.secret)),
    wrapped_by: wrapper.keyId,
  };
  return { ...message, envelope: { ...message.envelope, keys: [...message.envelope.keys, record] } };
}

describe("trusted keys name their owner", () => {
  it("by user id, the reader's own key as me", () => {
    const keys = trustedKeys(staffSummary(), f, F_ID);
    assert.deepEqual(keys.get(co.keyId).who, { role: "facilitator", userId: CO_ID, name: "Kim" });
    assert.deepEqual(keys.get(r.keyId).who, { role: "participant", userId: R_ID, side: "responsible", name: "Al" });
    assert.deepEqual(keys.get(f.keyId).who, { role: "me", userId: F_ID });
  });
});

describe("a message is refused before it is opened", () => {
  it("when a key the case does not list wrote it", () => {
    const stranger = crypto.generateKeyPair();
    const opened = openMessage(seal(stranger, H_ID, [f, stranger]), trustedKeys(staffSummary(), f, F_ID), f);
    assert.deepEqual(opened, { error: "This message is from a key this page does not know.", unknownKey: true });
  });

  it("when its sender_id is not the owner of the key that wrote it", () => {
    const keys = trustedKeys(staffSummary(), f, F_ID);
    const lying = seal(h, R_ID, [f, co, h]);
    const refused = { error: "This message names someone other than the owner of the key that wrote it.", unknownKey: false };
    assert.deepEqual(openMessage(lying, keys, f), refused);
    assert.deepEqual(authorOf(lying.envelope.header, keys), refused);
    const honest = openMessage(seal(h, H_ID, [f, co, h]), keys, f);
    assert.equal(honest.text, "hi");
    assert.equal(honest.who.side, "harmed");
  });

  it("when a participant key re-encrypted it; a current facilitator's opens, with no author for a retired key", () => {
    const newH = crypto.generateKeyPair();
    const contentKey = sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
    const original = seal(h, H_ID, [f, co, h, r], { contentKey });
    const asParticipant = trustedKeys(participantSummary(), newH, H_ID);

    const byCo = openMessage(rewrapped(original, contentKey, co, newH), asParticipant, newH);
    assert.equal(byCo.text, "hi");
    assert.equal(byCo.who, null); // the old key is retired: the facilitator vouches

    const byParticipant = rewrapped(original, contentKey, r, newH);
    const unknown = openMessage(byParticipant, asParticipant, newH);
    assert.match(unknown.error, /re-encrypted by a key this page does not trust/);
    assert.equal(unknown.unknownKey, true);
    const known = openMessage(byParticipant, trustedKeys(staffSummary(), newH, H_ID), newH);
    assert.match(known.error, /re-encrypted by a key this page does not trust/);
    assert.equal(known.unknownKey, false);
  });

  it("when re-encrypted but its still-listed writer's key belongs to someone else than its sender_id", () => {
    const newH = crypto.generateKeyPair();
    const contentKey = sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
    const keys = trustedKeys(participantSummary(), newH, H_ID);
    const lying = rewrapped(seal(f, CO_ID, [f, co, h], { contentKey }), contentKey, co, newH);
    assert.match(openMessage(lying, keys, newH).error, /someone other than the owner/);
    const honestKey = sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
    const honest = openMessage(rewrapped(seal(f, F_ID, [f, co, h], { contentKey: honestKey }), honestKey, co, newH), keys, newH);
    assert.equal(honest.who.role, "facilitator");
  });
});

describe("which side wrote it is the owner of its key", () => {
  it("for a facilitator reader", () => {
    const keys = trustedKeys(staffSummary(), f, F_ID);
    for (const [key, userId, who] of [
      [f, F_ID, { role: "me", userId: F_ID }],
      [co, CO_ID, { role: "facilitator", userId: CO_ID, name: "Kim" }],
      [h, H_ID, { role: "participant", userId: H_ID, side: "harmed", name: "Jo" }],
      [r, R_ID, { role: "participant", userId: R_ID, side: "responsible", name: "Al" }],
    ]) {
      assert.deepEqual(openMessage(seal(key, userId, [f, co, key]), keys, f).who, who);
    }
  });

  it("for a participant reader", () => {
    const keys = trustedKeys(participantSummary(), h, H_ID);
    assert.deepEqual(openMessage(seal(h, H_ID, [f, co, h]), keys, h).who, { role: "me", userId: H_ID });
    assert.deepEqual(openMessage(seal(f, F_ID, [f, co, h]), keys, h).who, { role: "facilitator", userId: F_ID, name: "Sam" });
    // The other party's key is never listed to a participant.
    assert.equal(openMessage(seal(r, R_ID, [f, co, h]), keys, h).unknownKey, true);
  });
});
