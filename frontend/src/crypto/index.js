// Relay protocol v1 in the browser: keys, password-derived keys and envelopes.
//
// This is the only module that touches libsodium; everything else asks it. It is the twin
// of relay_client/crypto.py, and tests/vectors/ proves the two agree byte for byte.

import sodium from "libsodium-wrappers-sumo";
import { t } from "../i18n/messages.js";

export const PROTOCOL_VERSION = 1;
export const SALT_BYTES = 16;
export const MASTER_BYTES = 32;
// The floor a client accepts for Argon2id, whatever a server offers.
export const KDF_FLOOR = Object.freeze({ opslimit: 3, memlimit: 64 * 1024 * 1024 });
const KDF_CONTEXT = "relaykdf";
const LOGIN_KEY_ID = 1;
const WRAP_KEY_ID = 2;
const MIN_BUCKET = 256;

export class CryptoError extends Error {
  constructor(message) {
    super(message);
    this.name = "CryptoError";
  }
}

export class WeakKdfParameters extends CryptoError {
  constructor(message) {
    super(message);
    this.name = "WeakKdfParameters";
  }
}

export class EnvelopeOpenError extends CryptoError {
  constructor(message) {
    super(message);
    this.name = "EnvelopeOpenError";
  }
}

export async function ready() {
  await sodium.ready;
}

// --- encodings ----------------------------------------------------------------------------

export function b64(bytes) {
  return sodium.to_base64(bytes, sodium.base64_variants.ORIGINAL);
}

export function unb64(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4) {
    throw new CryptoError(t("Not valid base64."));
  }
  return sodium.from_base64(text, sodium.base64_variants.ORIGINAL);
}

export function hex(bytes) {
  return sodium.to_hex(bytes);
}

function utf8(text) {
  return sodium.from_string(text);
}

function compareCodePoints(a, b) {
  const left = Array.from(a);
  const right = Array.from(b);
  for (let i = 0; i < Math.min(left.length, right.length); i += 1) {
    const d = left[i].codePointAt(0) - right[i].codePointAt(0);
    if (d !== 0) return d;
  }
  return left.length - right.length;
}

function canonicalText(value) {
  if (value === null || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) {
      throw new CryptoError(t("Only whole numbers can appear in canonical JSON."));
    }
    return String(value);
  }
  if (typeof value === "string") {
    if (!value.isWellFormed()) throw new CryptoError(t("The text is not valid Unicode."));
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalText).join(",")}]`;
  if (typeof value === "object") {
    const keys = Object.keys(value).sort(compareCodePoints);
    return `{${keys.map((k) => `${canonicalText(k)}:${canonicalText(value[k])}`).join(",")}}`;
  }
  throw new CryptoError(t("A {type} cannot appear in canonical JSON.", { type: typeof value }));
}

// Sorted keys, no spaces, UTF-8, non-ASCII kept as is: what Python's
// json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False) produces.
export function canonicalJson(value) {
  return utf8(canonicalText(value));
}

export function newMessageId() {
  const b = sodium.randombytes_buf(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = hex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// --- keys ---------------------------------------------------------------------------------

export function keyIdFor(publicKey) {
  return hex(sodium.crypto_generichash(16, publicKey, null));
}

export function fingerprintFor(publicKey) {
  const prefix = utf8("relay-fingerprint-v1");
  const input = new Uint8Array(prefix.length + publicKey.length);
  input.set(prefix);
  input.set(publicKey, prefix.length);
  const digest = sodium.crypto_generichash(32, input, null);
  const groups = [];
  for (let i = 0; i < 6; i += 1) {
    let n = 0n;
    for (const byte of digest.slice(i * 5, i * 5 + 5)) n = (n << 8n) | BigInt(byte);
    groups.push(String(n % 100000n).padStart(5, "0"));
  }
  return groups.join(" ");
}

export function generateKeyPair() {
  const pair = sodium.crypto_box_keypair();
  return Object.freeze({ secret: pair.privateKey, public: pair.publicKey, keyId: keyIdFor(pair.publicKey) });
}

export function keyPairFromSecret(secret) {
  if (!(secret instanceof Uint8Array) || secret.length !== 32) {
    throw new CryptoError(t("A private key is 32 bytes."));
  }
  const publicKey = sodium.crypto_scalarmult_base(secret);
  return Object.freeze({ secret, public: publicKey, keyId: keyIdFor(publicKey) });
}

// --- passwords: Argon2id, then crypto_kdf -------------------------------------------------

export function checkKdfFloor(params, floor = KDF_FLOOR) {
  const { opslimit, memlimit, salt } = params;
  if (!Number.isInteger(opslimit) || !Number.isInteger(memlimit)) {
    throw new WeakKdfParameters(t("The server sent key-derivation settings this page cannot use."));
  }
  if (opslimit < floor.opslimit || memlimit < floor.memlimit) {
    throw new WeakKdfParameters(
      t("The server offered Argon2id with {passes} passes and {mib} MiB; this page requires at least {floorPasses} passes and {floorMib} MiB.", {
        passes: opslimit,
        mib: Math.floor(memlimit / 1048576),
        floorPasses: floor.opslimit,
        floorMib: Math.floor(floor.memlimit / 1048576),
      }),
    );
  }
  if (!(salt instanceof Uint8Array) || salt.length !== SALT_BYTES) {
    throw new CryptoError(t("The salt must be 16 bytes."));
  }
}

// Returns { loginKey, wrapKey }: the login key is sent in place of the password, the wrap
// key never leaves this page.
export function derivePasswordKeys(password, params, floor = KDF_FLOOR) {
  checkKdfFloor(params, floor);
  if (typeof password !== "string" || !password.isWellFormed()) {
    throw new CryptoError(t("The password is not valid text."));
  }
  const master = sodium.crypto_pwhash(
    MASTER_BYTES,
    utf8(password),
    params.salt,
    params.opslimit,
    params.memlimit,
    sodium.crypto_pwhash_ALG_ARGON2ID13,
  );
  const keys = {
    loginKey: sodium.crypto_kdf_derive_from_key(32, LOGIN_KEY_ID, KDF_CONTEXT, master),
    wrapKey: sodium.crypto_kdf_derive_from_key(32, WRAP_KEY_ID, KDF_CONTEXT, master),
  };
  sodium.memzero(master);
  return keys;
}

export function wrapSecretKey(secret, wrapKey, nonce = null) {
  const n = nonce ?? sodium.randombytes_buf(24);
  return { nonce: n, box: sodium.crypto_secretbox_easy(secret, n, wrapKey) };
}

export function unwrapSecretKey(nonce, box, wrapKey) {
  try {
    return sodium.crypto_secretbox_open_easy(box, nonce, wrapKey);
  } catch {
    throw new CryptoError(t("The private key did not unwrap: wrong password or recovery key."));
  }
}

// --- payloads and envelopes ---------------------------------------------------------------

// The smallest power of two >= max(256, length + 1): sodium_pad always adds a byte.
export function bucketSize(length) {
  let size = MIN_BUCKET;
  while (size < length + 1) size *= 2;
  return size;
}

export function pad(payload) {
  const size = bucketSize(payload.length);
  return sodium.pad(payload, size).slice(0, size);
}

export function unpad(padded) {
  return sodium.unpad(padded, padded.length);
}

// Encrypt `payload` (a plain object) to every recipient ({ keyId, publicKey }).
// The arguments that fix randomness exist for the test vectors only.
export function seal({
  sender,
  senderId,
  caseId,
  kind,
  recipients,
  payload,
  messageId = null,
  derivedFrom = null,
  edited = false,
  contentKey = null,
  nonce = null,
  wrapNonces = null,
}) {
  const byId = new Map(recipients.map((r) => [r.keyId, r]));
  const ids = [...byId.keys()].sort();
  const header = {
    v: PROTOCOL_VERSION,
    message_id: messageId ?? newMessageId(),
    case_id: caseId,
    sender_id: senderId,
    sender_key_id: sender.keyId ?? keyIdFor(sender.public),
    recipient_key_ids: ids,
    kind,
    derived_from: derivedFrom,
    edited,
  };
  const key = contentKey ?? sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
  const n = nonce ?? sodium.randombytes_buf(24);
  const ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
    pad(canonicalJson(payload)),
    canonicalJson(header),
    null,
    n,
    key,
  );
  const keys = ids.map((keyId) => {
    const wrapNonce = (wrapNonces && wrapNonces[keyId]) || sodium.randombytes_buf(24);
    return {
      key_id: keyId,
      nonce: b64(wrapNonce),
      box: b64(sodium.crypto_box_easy(key, wrapNonce, byId.get(keyId).publicKey, sender.secret)),
    };
  });
  return { header, nonce: b64(n), ciphertext: b64(ciphertext), keys };
}

// --- sealed comments (docs/protocol.md, "Sealed comments") ----------------------------------
// Anonymous: the content key is sealed to each recipient with crypto_box_seal, so nothing
// in the comment names its writer. A participant's survey comment to the hub managers.

const COMMENT_KIND = "survey_comment";
// A referral sealed to the hub's intake key (docs/protocol.md, "The intake key").
const REFERRAL_KIND = "referral";

function commentHeader(ids, kind = COMMENT_KIND) {
  return { v: PROTOCOL_VERSION, kind, recipient_key_ids: ids };
}

export function sealComment({ recipients, payload, kind = COMMENT_KIND }) {
  const byId = new Map(recipients.map((r) => [r.keyId, r]));
  const ids = [...byId.keys()].sort();
  const key = sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
  const n = sodium.randombytes_buf(24);
  const ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
    pad(canonicalJson(payload)),
    canonicalJson(commentHeader(ids, kind)),
    null,
    n,
    key,
  );
  const keys = ids.map((keyId) => ({
    key_id: keyId,
    box: b64(sodium.crypto_box_seal(key, byId.get(keyId).publicKey)),
  }));
  return { v: PROTOCOL_VERSION, kind, nonce: b64(n), ciphertext: b64(ciphertext), keys };
}

// Open a sealed comment of `kind` addressed to `me` ({ public, secret, keyId? }).
export function openComment(sealed, me, kind = COMMENT_KIND) {
  const myId = me.keyId ?? keyIdFor(me.public);
  try {
    if (sealed.kind !== kind) throw new Error("not of the kind expected"); // i18n-ignore: caught by the caller
    const mine = sealed.keys.find((k) => k.key_id === myId);
    const key = sodium.crypto_box_seal_open(unb64(mine.box), me.public, me.secret);
    const ids = sealed.keys.map((k) => k.key_id);
    const padded = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      unb64(sealed.ciphertext),
      canonicalJson(commentHeader(ids, kind)),
      unb64(sealed.nonce),
      key,
    );
    return JSON.parse(sodium.to_string(unpad(padded)));
  } catch {
    throw new EnvelopeOpenError(t("The comment did not open: it was altered or is not for you."));
  }
}

// --- the intake key (docs/protocol.md, "The intake key") ------------------------------------

// A referral's content sealed to the hub's intake key (public key bytes).
export function sealReferral({ intakePublicKey, payload }) {
  const recipient = { keyId: keyIdFor(intakePublicKey), publicKey: intakePublicKey };
  return sealComment({ recipients: [recipient], payload, kind: REFERRAL_KIND });
}

export function openReferral(sealed, intakeKey) {
  return openComment(sealed, intakeKey, REFERRAL_KIND);
}

// The intake key's private half sealed to a holder's public key (crypto_box_seal, 80 bytes).
export function sealSecretTo(secret, publicKey) {
  return sodium.crypto_box_seal(secret, publicKey);
}

// The intake key pair from its private half sealed to `me`.
export function openSealedSecret(box, me) {
  try {
    return keyPairFromSecret(sodium.crypto_box_seal_open(box, me.public, me.secret));
  } catch {
    throw new EnvelopeOpenError(t("The intake key did not open: it is not for this key."));
  }
}

function leadingZeroBits(digest) {
  let bits = 0;
  for (const byte of digest) {
    if (byte) return bits + Math.clz32(byte) - 24;
    bits += 8;
  }
  return bits;
}

// The proof of work before a self-referral (docs/intake.md): the first decimal nonce for
// which SHA-256 of "<challenge>:<nonce>" starts with `difficulty` zero bits. Yields to the
// page every few thousand tries so it stays responsive.
export async function solveProof(challenge, difficulty) {
  if (!(difficulty >= 0 && difficulty <= 32)) throw new CryptoError(t("That proof of work is too hard."));
  const prefix = sodium.from_string(`${challenge}:`);
  // One buffer: the prefix, then the nonce's ASCII digits written in place.
  const buffer = new Uint8Array(prefix.length + 20);
  buffer.set(prefix);
  for (let nonce = 0; ; nonce += 1) {
    const digits = String(nonce);
    for (let i = 0; i < digits.length; i += 1) buffer[prefix.length + i] = digits.charCodeAt(i);
    const digest = sodium.crypto_hash_sha256(buffer.subarray(0, prefix.length + digits.length));
    if (leadingZeroBits(digest) >= difficulty) return digits;
    if (nonce % 5000 === 4999) await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

// The key id that re-encrypted this envelope's content key for `me` after an account
// recovery, or null when it is boxed from the sender's key as usual.
export function rewrappedBy(envelope, me) {
  const myKeyId = me.keyId ?? keyIdFor(me.public);
  const wrapped = (envelope?.keys || []).find((k) => k.key_id === myKeyId);
  const by = wrapped ? wrapped.wrapped_by : null;
  if (by === null || by === undefined || by === envelope?.header?.sender_key_id) return null;
  return String(by);
}

// Open an envelope addressed to `me`, written with `senderPublicKey`. The caller looks the
// sender's key up by header.sender_key_id among keys it trusts, never from the envelope.
// A key entry re-encrypted after a recovery (see rewrappedBy) is boxed from the key that
// re-encrypted it instead: the caller passes that key, looked up among keys it trusts, as
// `wrapperPublicKey`, and the sender's (possibly retired) key is not needed.
// Returns { header, payload }.
export function openEnvelope(envelope, { me, senderPublicKey = null, wrapperPublicKey = null }) {
  const header = envelope?.header;
  if (!header || header.v !== PROTOCOL_VERSION) {
    throw new EnvelopeOpenError(t("Unsupported protocol version."));
  }
  const myKeyId = me.keyId ?? keyIdFor(me.public);
  const wrapped = (envelope.keys || []).find((k) => k.key_id === myKeyId);
  if (!wrapped) throw new EnvelopeOpenError(t("This envelope is not addressed to this key."));
  const wrappedBy = rewrappedBy(envelope, me);
  let boxedBy;
  if (wrappedBy !== null) {
    if (!wrapperPublicKey || keyIdFor(wrapperPublicKey) !== wrappedBy) {
      throw new EnvelopeOpenError(t("The key that re-encrypted this message is not trusted here."));
    }
    boxedBy = wrapperPublicKey;
  } else {
    if (!senderPublicKey || keyIdFor(senderPublicKey) !== header.sender_key_id) {
      throw new EnvelopeOpenError(t("The sender key does not match the envelope header."));
    }
    boxedBy = senderPublicKey;
  }
  let payload;
  try {
    const contentKey = sodium.crypto_box_open_easy(
      unb64(wrapped.box),
      unb64(wrapped.nonce),
      boxedBy,
      me.secret,
    );
    const padded = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      unb64(envelope.ciphertext),
      canonicalJson(header),
      unb64(envelope.nonce),
      contentKey,
    );
    payload = JSON.parse(sodium.to_string(unpad(padded)));
  } catch {
    throw new EnvelopeOpenError(t("The envelope did not open: it was altered or is not for you."));
  }
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    throw new EnvelopeOpenError(t("The payload is not a JSON object."));
  }
  return { header, payload };
}
