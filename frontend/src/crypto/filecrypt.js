// Attachment files encrypted in chunks with libsodium's secretstream (file format v1); the
// same format as relay_client/filecrypt.py, checked against shared vectors. Call ready()
// from ./index.js first. A file is padded with zero bytes to a size bucket, cut into CHUNK
// bytes, and each chunk becomes one secretstream message, the last tagged FINAL.

import sodium from "libsodium-wrappers-sumo";

export const FILE_FORMAT = "relay-file-v1";
export const CHUNK = 64 * 1024;
export const FILE_KEY_BYTES = 32;
export const HEADER_BYTES = 24;
export const ABYTES = 17;
export const CIPHER_CHUNK = CHUNK + ABYTES;
const SMALL_LIMIT = 1024 * 1024;

// Its messages are for developers (i18n-ignore): attachments.openFile says what went wrong in
// words, through t().
export class FileDecryptError extends Error {}

export function newFileKey() {
  return sodium.crypto_secretstream_xchacha20poly1305_keygen();
}

// Powers of two from one chunk up to 1 MiB; above, the next multiple of an eighth of the
// largest power of two not above the size. Every bucket is a whole number of chunks.
export function paddedSize(size) {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError("a file size is a whole number"); // i18n-ignore
  if (size <= SMALL_LIMIT) {
    let bucket = CHUNK;
    while (bucket < size) bucket *= 2;
    return bucket;
  }
  const step = 2 ** (Math.floor(Math.log2(size)) - 3);
  return Math.ceil(size / step) * step;
}

export function cipherSize(size) {
  return HEADER_BYTES + (paddedSize(size) / CHUNK) * CIPHER_CHUNK;
}

// An encryptor over a file of `size` bytes: header first, then push(chunk) for each
// CHUNK-sized slice of the content (the last may be short) and padding() for the rest.
export function fileEncryptor(key, size) {
  const { state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
  const total = paddedSize(size) / CHUNK;
  let index = 0;
  const seal = (plain) => {
    index += 1;
    if (index > total) throw new RangeError("more chunks than the file's size allows"); // i18n-ignore
    const chunk = new Uint8Array(CHUNK);
    chunk.set(plain);
    const tag = index === total
      ? sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
      : sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    return sodium.crypto_secretstream_xchacha20poly1305_push(state, chunk, null, tag);
  };
  return { header, total, seal };
}

// Encrypt a whole Uint8Array (small files and tests): the blob as one Uint8Array.
export function encryptBytes(key, content) {
  const enc = fileEncryptor(key, content.length);
  const out = new Uint8Array(cipherSize(content.length));
  out.set(enc.header, 0);
  for (let i = 0; i < enc.total; i += 1) {
    out.set(enc.seal(content.subarray(i * CHUNK, (i + 1) * CHUNK)), HEADER_BYTES + i * CIPHER_CHUNK);
  }
  return out;
}

// A decryptor: open(header) once, then pull(cipherChunk) returns that chunk's real bytes
// (padding cut off); done() throws unless the FINAL chunk came and the size matched.
export function fileDecryptor(key, size, header) {
  let state;
  try {
    state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(header, key);
  } catch (error) {
    throw new FileDecryptError("the blob does not open with this key"); // i18n-ignore
  }
  let remaining = size;
  let finished = false;
  return {
    pull(cipher) {
      if (finished) throw new FileDecryptError("the blob has bytes after its end"); // i18n-ignore
      let res;
      try {
        res = sodium.crypto_secretstream_xchacha20poly1305_pull(state, cipher, null);
      } catch (error) {
        res = false;
      }
      if (!res) throw new FileDecryptError("the blob does not open with this key"); // i18n-ignore
      finished = res.tag === sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
      const keep = res.message.subarray(0, Math.max(Math.min(remaining, res.message.length), 0));
      remaining -= keep.length;
      return keep;
    },
    done() {
      if (!finished || remaining !== 0) throw new FileDecryptError("the blob is truncated"); // i18n-ignore
    },
  };
}

export function decryptBytes(key, size, blob) {
  if (blob.length < HEADER_BYTES || (blob.length - HEADER_BYTES) % CIPHER_CHUNK !== 0) {
    throw new FileDecryptError("the blob is truncated"); // i18n-ignore
  }
  const dec = fileDecryptor(key, size, blob.subarray(0, HEADER_BYTES));
  const out = new Uint8Array(size);
  let at = 0;
  for (let i = HEADER_BYTES; i < blob.length; i += CIPHER_CHUNK) {
    const part = dec.pull(blob.subarray(i, i + CIPHER_CHUNK));
    out.set(part, at);
    at += part.length;
  }
  dec.done();
  return out;
}
