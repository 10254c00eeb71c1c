// The browser's crypto module against the Python client's vectors, and the reverse.
//
//   node check.mjs verify vectors.json   opens, derives and re-seals every vector
//   node check.mjs seal vectors.json     prints envelopes sealed here for Python to open
//   node check.mjs rewrapped case.json   opens an envelope Python re-encrypted after a recovery
//
// It imports frontend/src/crypto directly, as the browser build does.

import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import * as crypto from "../../frontend/src/crypto/index.js";
import { openMessage, reopenFailed } from "../../frontend/src/casekeys.js";

const [mode, file] = process.argv.slice(2);
const vectors = JSON.parse(readFileSync(file, "utf8"));
await crypto.ready();

const CHEAP = { opslimit: 1, memlimit: 8 * 1024 * 1024 };
const keyPair = (name) => crypto.keyPairFromSecret(crypto.unb64(vectors.keys[name].secret));
const textOf = (bytes) => new TextDecoder().decode(bytes);

function verify() {
  let checks = 0;
  for (const [name, key] of Object.entries(vectors.keys)) {
    const pair = keyPair(name);
    assert.equal(crypto.b64(pair.public), key.public, `${name}: public key`);
    assert.equal(pair.keyId, key.key_id, `${name}: key id`);
    assert.equal(crypto.keyIdFor(crypto.unb64(key.public)), key.key_id);
    assert.equal(crypto.fingerprintFor(pair.public), key.fingerprint, `${name}: fingerprint`);
    checks += 4;
  }
  for (const item of vectors.canonical_json) {
    assert.equal(textOf(crypto.canonicalJson(item.value)), item.canonical);
    checks += 1;
  }
  for (const p of vectors.passwords) {
    const params = { salt: crypto.unb64(p.salt), opslimit: p.opslimit, memlimit: p.memlimit };
    assert.throws(() => crypto.derivePasswordKeys(p.password, params), crypto.WeakKdfParameters);
    const keys = crypto.derivePasswordKeys(p.password, params, CHEAP);
    assert.equal(crypto.b64(keys.loginKey), p.login_key, "login key");
    assert.equal(crypto.b64(keys.wrapKey), p.wrap_key, "wrap key");
    const secret = crypto.unwrapSecretKey(
      crypto.unb64(p.wrapped_key_nonce), crypto.unb64(p.wrapped_private_key), keys.wrapKey,
    );
    assert.equal(crypto.b64(secret), p.private_key, "unwrapped private key");
    const again = crypto.wrapSecretKey(secret, keys.wrapKey, crypto.unb64(p.wrapped_key_nonce));
    assert.equal(crypto.b64(again.box), p.wrapped_private_key, "re-wrapped private key");
    const wrong = crypto.derivePasswordKeys(`${p.password}!`, params, CHEAP);
    assert.throws(
      () => crypto.unwrapSecretKey(crypto.unb64(p.wrapped_key_nonce), crypto.unb64(p.wrapped_private_key), wrong.wrapKey),
      crypto.CryptoError,
    );
    checks += 6;
  }
  for (const v of vectors.envelopes) {
    const sender = keyPair(v.sender);
    for (const reader of v.readers) {
      const opened = crypto.openEnvelope(v.envelope, { me: keyPair(reader), senderPublicKey: sender.public });
      assert.deepEqual(opened.payload, v.payload, `${reader} opens ${v.envelope.header.message_id}`);
      checks += 1;
    }
    assert.equal(crypto.unb64(v.envelope.ciphertext).length - 16, v.padded_size, "padded size");
    const h = v.envelope.header;
    const resealed = crypto.seal({
      sender,
      senderId: h.sender_id,
      caseId: h.case_id,
      kind: h.kind,
      recipients: v.readers.map((r) => ({ keyId: keyPair(r).keyId, publicKey: keyPair(r).public })),
      payload: v.payload,
      messageId: h.message_id,
      derivedFrom: h.derived_from,
      edited: h.edited,
      contentKey: crypto.unb64(v.content_key),
      nonce: crypto.unb64(v.nonce),
      wrapNonces: Object.fromEntries(Object.entries(v.wrap_nonces).map(([k, n]) => [k, crypto.unb64(n)])),
    });
    assert.deepEqual(resealed, v.envelope, "sealing here gives the same bytes");
    // Not a reader, a moved header, a flipped bit, the wrong sender key: none opens.
    const outsider = v.readers.includes("harmed") ? keyPair("responsible") : keyPair("harmed");
    assert.throws(() => crypto.openEnvelope(v.envelope, { me: outsider, senderPublicKey: sender.public }), crypto.EnvelopeOpenError);
    const moved = structuredClone(v.envelope);
    moved.header.case_id = "00000000-0000-4000-8000-000000000000";
    assert.throws(() => crypto.openEnvelope(moved, { me: keyPair(v.readers[0]), senderPublicKey: sender.public }), crypto.EnvelopeOpenError);
    const flipped = structuredClone(v.envelope);
    const ct = crypto.unb64(flipped.ciphertext);
    ct[3] ^= 1;
    flipped.ciphertext = crypto.b64(ct);
    assert.throws(() => crypto.openEnvelope(flipped, { me: keyPair(v.readers[0]), senderPublicKey: sender.public }), crypto.EnvelopeOpenError);
    const impostor = keyPair(v.sender === "harmed" ? "responsible" : "harmed");
    assert.throws(() => crypto.openEnvelope(v.envelope, { me: keyPair(v.readers[0]), senderPublicKey: impostor.public }), crypto.EnvelopeOpenError);
    checks += 6;
  }
  return checks;
}

function sealForPython() {
  const harmed = keyPair("harmed");
  const facilitator = keyPair("facilitator");
  const recipients = [harmed, facilitator].map((k) => ({ keyId: k.keyId, publicKey: k.public }));
  const out = vectors.envelopes.map((v, i) => ({
    payload: v.payload,
    envelope: crypto.seal({
      sender: harmed,
      senderId: vectors.user_ids.harmed,
      caseId: vectors.case_id,
      kind: i % 2 ? "answer" : "note_to_facilitator",
      recipients,
      payload: v.payload,
    }),
  }));
  const params = { salt: crypto.unb64(vectors.passwords[1].salt), ...CHEAP };
  const keys = crypto.derivePasswordKeys(vectors.passwords[1].password, params, CHEAP);
  const wrapped = crypto.wrapSecretKey(harmed.secret, keys.wrapKey);
  return {
    envelopes: out,
    wrapped: { nonce: crypto.b64(wrapped.nonce), box: crypto.b64(wrapped.box), login_key: crypto.b64(keys.loginKey) },
  };
}

// An envelope whose content key a facilitator re-encrypted to a recovered reader's new key:
// it opens with the facilitator's key, without the sender's, and only when a facilitator of
// the case is the one who re-encrypted it.
function openRewrapped() {
  const { envelope, reader_secret: readerSecret, wrapper_key: wrapperKey, payload } = vectors;
  const me = crypto.keyPairFromSecret(crypto.unb64(readerSecret));
  const wrapper = crypto.unb64(wrapperKey.public_key);
  assert.equal(crypto.rewrappedBy(envelope, me), wrapperKey.key_id);
  const opened = crypto.openEnvelope(envelope, { me, wrapperPublicKey: wrapper });
  assert.deepEqual(opened.payload, payload);
  assert.throws(() => crypto.openEnvelope(envelope, { me }), crypto.EnvelopeOpenError);
  assert.throws(
    () => crypto.openEnvelope(envelope, { me, wrapperPublicKey: me.public }),
    crypto.EnvelopeOpenError,
  );
  const wire = { envelope };
  const asFacilitator = new Map([[wrapperKey.key_id, { publicKey: wrapper, who: { role: "facilitator" } }]]);
  const asParticipant = new Map([[wrapperKey.key_id, { publicKey: wrapper, who: { role: "participant" } }]]);
  const byPage = openMessage(wire, asFacilitator, me);
  assert.equal(byPage.error, undefined);
  // Not knowing the key yet is said as such; once the keys are read again it opens.
  const entry = { wire, ...openMessage(wire, new Map(), me) };
  assert.equal(entry.unknownKey, true);
  assert.equal(reopenFailed([entry], asFacilitator, me), 1);
  assert.equal(entry.text, byPage.text);
  assert.equal(entry.error, undefined);
  return {
    opened: byPage.text,
    not_a_facilitator: openMessage(wire, asParticipant, me).error,
    unknown_wrapper: openMessage(wire, new Map(), me).error,
  };
}

if (mode === "verify") {
  process.stdout.write(JSON.stringify({ checks: verify() }));
} else if (mode === "seal") {
  process.stdout.write(JSON.stringify(sealForPython()));
} else if (mode === "rewrapped") {
  process.stdout.write(JSON.stringify(openRewrapped()));
} else if (mode === "comment") {
  // Open the comment Python sealed to the reader, and seal one back for Python to open.
  const me = crypto.keyPairFromSecret(crypto.unb64(vectors.reader_secret));
  const opened = crypto.openComment(vectors.sealed, me);
  const other = crypto.generateKeyPair();
  assert.throws(() => crypto.openComment(vectors.sealed, other), crypto.EnvelopeOpenError);
  const back = crypto.sealComment({
    recipients: [{ keyId: me.keyId, publicKey: me.public }],
    payload: { body: `${opened.body} (and back)` },
  });
  process.stdout.write(JSON.stringify({ opened: opened.body, sealed: back }));
} else if (mode === "intake") {
  // Python made an intake key, sealed its private half to the holder and a referral to it:
  // open both, seal a referral back, and solve a proof of work for Python to check.
  const holder = crypto.keyPairFromSecret(crypto.unb64(vectors.holder_secret));
  const intake = crypto.openSealedSecret(crypto.unb64(vectors.sealed_secret), holder);
  const opened = crypto.openReferral(vectors.referral, intake);
  assert.throws(() => crypto.openReferral(vectors.referral, holder), crypto.EnvelopeOpenError);
  assert.throws(() => crypto.openComment(vectors.referral, intake), crypto.EnvelopeOpenError);
  const back = crypto.sealReferral({ intakePublicKey: intake.public, payload: { ...opened, back: true } });
  const sealedSecret = crypto.b64(crypto.sealSecretTo(intake.secret, holder.public));
  const nonce = await crypto.solveProof(vectors.challenge, vectors.difficulty);
  process.stdout.write(JSON.stringify({ opened, referral: back, sealed_secret: sealedSecret, nonce }));
} else {
  process.stderr.write("usage: node check.mjs verify|seal|rewrapped|comment|intake FILE\n");
  process.exit(2);
}
