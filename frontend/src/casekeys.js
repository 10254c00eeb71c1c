// Which public keys a reader trusts in a case, by key id: only keys the server lists for
// the case's facilitators and participants, never a key named inside an envelope. The one
// place that turns a key the server lists into a public key to encrypt to or open with.

import * as crypto from "./crypto/index.js";
import { t } from "./i18n/messages.js";

// { keyId, publicKey } for a key the server lists, or null when it lists none or its
// public key does not hash to its key id.
export function keyFromWire(key) {
  if (!key || !key.public_key) return null;
  const publicKey = crypto.unb64(key.public_key);
  return crypto.keyIdFor(publicKey) === key.key_id ? { keyId: key.key_id, publicKey } : null;
}

// Key id -> { publicKey, who } for every key this reader trusts in the case: the listed
// facilitators' and participants' keys and the reader's own (`myUserId` is the reader's user
// id). `who` is the key's owner: { role: "facilitator" | "participant" | "me", userId, ... }.
export function trustedKeys(summary, myKeyPair, myUserId) {
  const keys = new Map();
  const add = (wire, who) => {
    const key = keyFromWire(wire);
    if (key) keys.set(key.keyId, { publicKey: key.publicKey, who });
  };
  for (const f of summary.facilitators || []) {
    add(f.key, { role: "facilitator", userId: f.user_id, name: f.display_name });
  }
  for (const p of summary.participants || []) {
    add(p.key, { role: "participant", userId: p.user_id, side: p.side, name: p.display_name });
  }
  // Consented supporters (a participant's own; each participant's for a facilitator).
  for (const supporter of summary.supporters || []) {
    add(supporter.key, { role: "supporter", userId: supporter.user_id, name: supporter.display_name });
  }
  if (myKeyPair) keys.set(myKeyPair.keyId, { publicKey: myKeyPair.public, who: { role: "me", userId: myUserId } });
  return keys;
}

// Who wrote a message: the owner of the key that wrote it (the header's sender_key_id, looked
// up among `keys`; the box opens only with that key). The header's sender_id must name that
// same owner. Returns { who } or { error, unknownKey }: unknownKey when the key is not among
// `keys` (read the case's keys again, then try once more).
export function authorOf(header, keys) {
  const key = keys.get(header?.sender_key_id);
  if (!key) return { error: t("This message is from a key this page does not know."), unknownKey: true };
  if (header.sender_id !== key.who.userId) {
    return { error: t("This message names someone other than the owner of the key that wrote it."), unknownKey: false };
  }
  return { who: key.who };
}

// The recipients { keyId, publicKey } of these people's keys (facilitators or participants
// from the case summary). Anyone without a key yet is left out; a listed key that does not
// match its key id stops the sending, rather than encrypting to a key nobody checked.
export function recipientsOf(people) {
  return (people || []).filter((person) => person.key).map((person) => {
    const key = keyFromWire(person.key);
    if (!key) throw new crypto.CryptoError(t("The server listed a key that does not match its key id."));
    return key;
  });
}

export function facilitatorRecipients(summary) {
  return recipientsOf(summary.facilitators);
}

// Open a message wire form; returns { text, header, who, payload } or { error }, with unknownKey
// when a key it needs is not among `keys` (the case's keys may have changed since: read
// them again, then reopenFailed). It is refused before opening when its writer is not
// trusted (authorOf). A message re-encrypted to this reader after an account recovery opens
// only when a facilitator key of the case re-encrypted it: the facilitator vouches for it in
// place of the sender. If the writer's key is still listed, authorOf applies as usual;
// if it is retired, the message opens with `who` null (no author the keys can name).
export function openMessage(message, keys, me) {
  const { envelope } = message;
  const header = envelope.header;
  const sender = keys.get(header.sender_key_id);
  const wrapperId = crypto.rewrappedBy(envelope, me);
  const wrapper = wrapperId === null ? null : keys.get(wrapperId);
  if (wrapperId !== null && (!wrapper || wrapper.who.role !== "facilitator")) {
    return { error: t("This message was re-encrypted by a key this page does not trust."), unknownKey: !wrapper };
  }
  let who = null;
  if (sender || !wrapper) {
    const author = authorOf(header, keys);
    if (author.error) return author;
    who = author.who;
  }
  try {
    const opened = crypto.openEnvelope(envelope, {
      me,
      senderPublicKey: sender ? sender.publicKey : null,
      wrapperPublicKey: wrapper ? wrapper.publicKey : null,
    });
    return { text: String(opened.payload.body ?? ""), header: opened.header, who, payload: opened.payload };
  } catch (error) {
    return { error: error.message };
  }
}

// After the case's keys were read again: open the entries ({ wire, error, ... }) that
// failed before. Returns how many opened now.
export function reopenFailed(entries, keys, me) {
  let opened = 0;
  for (const entry of entries) {
    if (!entry.error) continue;
    const again = openMessage(entry.wire, keys, me);
    if (again.error) continue;
    delete entry.error;
    delete entry.unknownKey;
    Object.assign(entry, again);
    opened += 1;
  }
  return opened;
}
