// Attachments in the browser (docs/attachments.md): a file is stripped of its metadata when
// it is a JPEG or PNG, encrypted here under its own key (crypto/filecrypt.js), uploaded in
// pieces that resume from what the server holds, and named in the sealed payload of the
// message that carries it. Opening one fetches the blob and decrypts it here. No DOM: the
// page pieces are in pages/attach.js.

import { b64, unb64 } from "./crypto/index.js";
import {
  CHUNK,
  CIPHER_CHUNK,
  FILE_FORMAT,
  FILE_KEY_BYTES,
  FileDecryptError,
  HEADER_BYTES,
  cipherSize,
  fileDecryptor,
  fileEncryptor,
  newFileKey,
} from "./crypto/filecrypt.js";
import { ImageFormatError, stripMetadata } from "./crypto/stripmeta.js";
import { pageLang, t } from "./i18n/messages.js";

// The largest piece the server takes in one request (before base64), as relay_client.
export const PIECE_BYTES = 128 * 1024;
// What the file chooser offers: recordings, videos, photos and PDFs.
export const ACCEPT = "audio/*,video/*,image/*,application/pdf";
// How often a piece that failed for want of a connection is tried again before giving up.
export const RETRIES = 6;
// Chunks collected before they are folded into one Blob, so a large file is not held as
// thousands of small arrays.
const FOLD_CHUNKS = 64;
const SHOWN_IMAGES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp", "image/avif"]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// A refusal in plain words, shown to the person as it is.
export class AttachmentError extends Error {}

// The media type without its parameters, in lower case ("audio/webm;codecs=opus" -> "audio/webm").
export function essence(type) {
  return String(type || "").split(";")[0].trim().toLowerCase();
}

// What kind of file a media type is, for the words and the element that shows it:
// "audio", "video", "image" (one a page may show), "pdf", or null (offered as a download).
export function kindOf(type) {
  const base = essence(type);
  if (base.startsWith("audio/")) return "audio";
  if (base.startsWith("video/")) return "video";
  if (SHOWN_IMAGES.has(base)) return "image";
  if (base === "application/pdf") return "pdf";
  return null;
}

// Whether the file chooser's file is one Relay sends: audio, video, any image, or a PDF.
export function acceptedType(type) {
  const base = essence(type);
  return base.startsWith("audio/") || base.startsWith("video/") || base.startsWith("image/")
    || base === "application/pdf";
}

// The limits the page shell carries (data-attachment-max-bytes and
// data-attachments-case-max-bytes on <body>); null where a page has none.
export function limitsOf(dataset) {
  const number = (value) => (value && /^\d+$/.test(value) ? Number(value) : null);
  return { file: number(dataset.attachmentMaxBytes), case: number(dataset.attachmentsCaseMaxBytes) };
}

// A size in words a person reads: "350 KB", "4.2 MB", "1 GB" (1 MB = 1024 × 1024 bytes).
export function sizeWords(bytes) {
  const number = new Intl.NumberFormat(pageLang() || "en");
  const units = [
    [1024 ** 3, (size) => t("{size} GB", { size })],
    [1024 ** 2, (size) => t("{size} MB", { size })],
    [1024, (size) => t("{size} KB", { size })],
  ];
  for (const [size, words] of units) {
    if (bytes >= size) {
      const value = bytes / size;
      const shown = value >= 10 || Number.isInteger(value) ? Math.round(value) : Math.round(value * 10) / 10;
      return words(number.format(shown));
    }
  }
  return bytes === 1 ? t("{count} byte", { count: bytes }) : t("{count} bytes", { count: bytes });
}

// The largest real file size whose encrypted blob fits `limit` bytes (the blob is padded).
export function largestFileFor(limit) {
  let low = 0;
  let high = limit;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (cipherSize(middle) <= limit) low = middle;
    else high = middle - 1;
  }
  return low;
}

// Refuse, before anything is encrypted or sent, a file whose blob would pass the per-file
// limit; the server checks again (413 file_too_large).
export function checkSize(size, limits) {
  if (size === 0) throw new AttachmentError(t("This file is empty. Choose another."));
  if (limits.file !== null && cipherSize(size) > limits.file) {
    throw new AttachmentError(
      t("This file is too large to send. One file can be up to {size}. Nothing was sent.", {
        size: sizeWords(largestFileFor(limits.file)),
      }),
    );
  }
}

// The first bytes tell whether stripMetadata will clean the file (a JPEG or a PNG).
export function strippable(head) {
  const jpeg = head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
  const png = head.length >= 8 && head[0] === 0x89 && head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47;
  return jpeg || png;
}

async function bytesOf(blob) {
  return new Uint8Array(await blob.arrayBuffer());
}

// The file as it will be encrypted: a JPEG or PNG without its metadata (`stripped: true`);
// anything else as it is (`stripped: false`). A photo that cannot be read is refused rather
// than sent with its details.
export async function prepareFile(blob) {
  if (!strippable(await bytesOf(blob.slice(0, 8)))) return { blob, stripped: false };
  try {
    const { bytes } = stripMetadata(await bytesOf(blob));
    return { blob: new Blob([bytes], { type: blob.type }), stripped: true };
  } catch (error) {
    if (!(error instanceof ImageFormatError)) throw error;
    throw new AttachmentError(
      t("This photo could not be read, so its hidden details could not be removed. It was not sent. Choose another."),
    );
  }
}

// Encrypt a Blob chunk by chunk under a new file key; the blob of relay-file-v1 as a Blob,
// kept until the upload is complete so a resumed upload sends the very same bytes.
// onProgress(done, total) counts chunks.
export async function encryptFile(blob, onProgress = () => {}) {
  const key = newFileKey();
  const encryptor = fileEncryptor(key, blob.size);
  const folded = [];
  let parts = [encryptor.header];
  for (let i = 0; i < encryptor.total; i += 1) {
    const start = i * CHUNK;
    const plain = start < blob.size ? await bytesOf(blob.slice(start, start + CHUNK)) : new Uint8Array(0);
    parts.push(encryptor.seal(plain));
    if (parts.length >= FOLD_CHUNKS) {
      folded.push(new Blob(parts));
      parts = [];
    }
    onProgress(i + 1, encryptor.total);
  }
  folded.push(new Blob(parts));
  return { key, cipher: new Blob(folded, { type: "application/octet-stream" }) };
}

const LIMIT_WORDS = {
  file_too_large: t("This file is too large to send. Nothing was sent."),
  case_storage_full:
    t("There is no room left in your case for a file this large. Nothing was sent. Your facilitator can help."),
};

// Worth trying again: no connection, a server error, or a piece the server already had.
function retryable(error) {
  return error && (error.status === 0 || error.status >= 500 || error.code === "wrong_offset");
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Open an upload of `cipher` for the message `messageId`, or continue `attachmentId`'s:
// send each piece at the offset the server holds, and after a dropped connection ask it
// again (GET) and carry on from `received`; then complete. `call(method, url, body)` is
// api.js's api(); onStarted(id) hears the new upload's id at once, so a caller can continue
// it (attachmentId) if this call gives up. Returns the attachment id. A limit refused (413) is an AttachmentError in
// plain words, and nothing is stored.
export async function uploadBlob({
  call, caseId, messageId, cipher, attachmentId = null,
  onProgress = () => {}, onRetry = () => {}, onStarted = () => {}, wait = pause,
}) {
  let upload;
  if (attachmentId === null) {
    try {
      upload = await call("POST", "/api/attachments", { case_id: caseId, message_id: messageId, size: cipher.size });
    } catch (error) {
      if (error && error.status === 413) throw new AttachmentError(LIMIT_WORDS[error.code] || error.message);
      throw error;
    }
  }
  const id = attachmentId ?? upload.attachment_id;
  onStarted(id);
  const path = `/api/attachments/${id}`;
  let failures = 0;
  let ask = upload === undefined;
  for (;;) {
    try {
      if (ask) {
        upload = await call("GET", path);
        ask = false;
      }
      onProgress(upload.received, upload.size);
      if (upload.complete) return id;
      if (upload.received < upload.size) {
        const piece = await bytesOf(cipher.slice(upload.received, upload.received + PIECE_BYTES));
        if (!piece.length) throw new AttachmentError(t("The file changed while it was being sent. Choose it again."));
        upload = await call("POST", `${path}/pieces`, { offset: upload.received, data: b64(piece) });
      } else {
        upload = await call("POST", `${path}/complete`);
      }
      failures = 0;
    } catch (error) {
      if (!retryable(error) || failures >= RETRIES) throw error;
      failures += 1;
      onRetry(failures);
      await wait(Math.min(500 * 2 ** (failures - 1), 8000));
      ask = true;
    }
  }
}

// The file's entry in the sealed payload's `attachments` (protocol §5.1), the same fields
// as relay_client's encrypt_file with the attachment id, plus `stripped` (its metadata was
// removed on this device) and, for a statement recorded in the page, `recorded: true`.
export function fileEntry({ attachmentId, key, name, type, size, stripped, recorded = false }) {
  const entry = {
    attachment_id: attachmentId,
    format: FILE_FORMAT,
    key: b64(key),
    name,
    type,
    size,
    stripped: Boolean(stripped),
  };
  if (recorded) entry.recorded = true;
  return entry;
}

function validEntry(entry) {
  if (!entry || typeof entry !== "object") return false;
  const { attachment_id: id, format, key, name, type, size } = entry;
  if (typeof id !== "string" || !UUID.test(id) || format !== FILE_FORMAT) return false;
  if (typeof name !== "string" || typeof type !== "string") return false;
  if (!Number.isSafeInteger(size) || size < 0) return false;
  try {
    return unb64(key).length === FILE_KEY_BYTES;
  } catch {
    return false;
  }
}

// The files a payload names: those this page can open, and how many it cannot read.
export function attachmentsOf(payload) {
  const listed = payload && Array.isArray(payload.attachments) ? payload.attachments : [];
  const files = listed.filter(validEntry);
  const malformed = payload && "attachments" in payload && !Array.isArray(payload.attachments);
  return { files, unreadable: listed.length - files.length + (malformed ? 1 : 0) };
}

// What a facilitator's forward carries on: the original payload's `attachments`, exactly as
// they were (relay_client's forward), so the file keys are re-sealed to the other party.
export function forwardedFiles(payload) {
  return payload && Object.hasOwn(payload, "attachments") ? { attachments: payload.attachments } : {};
}

// The type a decrypted file is given as a Blob: its own when the page shows or offers it as
// that kind, otherwise a plain download.
export function blobType(type) {
  return kindOf(type) === null ? "application/octet-stream" : type;
}

function joined(a, b) {
  if (!a.length) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

// Fetch an entry's blob and decrypt it here, chunk by chunk as it arrives; the file as a
// Blob. Refuses (AttachmentError) a blob that is not there for this reader, or one that does
// not open: nothing of a refused file is returned.
export async function openFile(entry, fetchImpl = fetch) {
  let response;
  try {
    response = await fetchImpl(`/api/attachments/${entry.attachment_id}/blob`, {
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new AttachmentError(t("Relay could not be reached. Check your connection and try again."));
  }
  if (response.status === 404) {
    throw new AttachmentError(t("This file is not available to you. It may not have finished sending yet."));
  }
  if (!response.ok) throw new AttachmentError(t("The file could not be fetched. Please try again."));
  const key = unb64(entry.key);
  const parts = [];
  let decryptor = null;
  let pending = new Uint8Array(0);
  try {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pending = joined(pending, value);
      if (decryptor === null && pending.length >= HEADER_BYTES) {
        decryptor = fileDecryptor(key, entry.size, pending.subarray(0, HEADER_BYTES));
        pending = pending.slice(HEADER_BYTES);
      }
      while (decryptor !== null && pending.length >= CIPHER_CHUNK) {
        parts.push(decryptor.pull(pending.subarray(0, CIPHER_CHUNK)).slice());
        pending = pending.slice(CIPHER_CHUNK);
      }
    }
    if (decryptor === null || pending.length) throw new FileDecryptError("the blob is truncated"); // i18n-ignore: caught below
    decryptor.done();
  } catch (error) {
    if (error instanceof FileDecryptError) {
      throw new AttachmentError(t("This file could not be opened: it may be damaged. Tell your facilitator."));
    }
    throw new AttachmentError(t("The file could not be fetched. Please try again."));
  }
  return new Blob(parts, { type: blobType(entry.type) });
}
