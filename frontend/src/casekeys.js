// Which public keys a reader trusts in a case, by key id: only keys the server lists for
// the case's facilitators and participants, never a key named inside an envelope.

import * as crypto from "./crypto/index.js";

export function trustedKeys(summary, myKeyPair) {
  const keys = new Map();
  const add = (key, who) => {
    if (key && key.public_key) {
      const publicKey = crypto.unb64(key.public_key);
      if (crypto.keyIdFor(publicKey) === key.key_id) keys.set(key.key_id, { publicKey, who });
    }
  };
  for (const f of summary.facilitators || []) add(f.key, { role: "facilitator", name: f.display_name });
  for (const p of summary.participants || []) add(p.key, { role: "participant", side: p.side, name: p.display_name });
  if (myKeyPair) keys.set(myKeyPair.keyId, { publicKey: myKeyPair.public, who: { role: "me" } });
  return keys;
}

export function facilitatorRecipients(summary) {
  return (summary.facilitators || [])
    .filter((f) => f.key)
    .map((f) => ({ keyId: f.key.key_id, publicKey: crypto.unb64(f.key.public_key) }));
}

// Open a message wire form; returns { text, header } or { error }.
export function openMessage(message, keys, me) {
  const sender = keys.get(message.envelope.header.sender_key_id);
  if (!sender) return { error: "This message is from a key this page does not know." };
  try {
    const opened = crypto.openEnvelope(message.envelope, { me, senderPublicKey: sender.publicKey });
    return { text: String(opened.payload.body ?? ""), header: opened.header, who: sender.who };
  } catch (error) {
    return { error: error.message };
  }
}
