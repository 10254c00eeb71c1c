// Attachments in the browser (frontend/src/attachments.js): limits checked before anything
// is encrypted, JPEGs stripped, a blob encrypted and opened again through a streamed answer,
// an upload that resumes from what the server holds, limits refused in plain words, payload
// entries checked, and the forward carrying the entries on as the Python client does.

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import * as crypto from "../src/crypto/index.js";
import { CHUNK, cipherSize, decryptBytes } from "../src/crypto/filecrypt.js";
import {
  AttachmentError,
  PIECE_BYTES,
  attachmentsOf,
  blobType,
  checkSize,
  encryptFile,
  fileEntry,
  forwardedFiles,
  kindOf,
  largestFileFor,
  limitsOf,
  openFile,
  prepareFile,
  sizeWords,
  uploadBlob,
} from "../src/attachments.js";

before(async () => { await crypto.ready(); });

const bytes = (n) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) % 251);
const ID = "0b5e7c1e-2f4a-4c7d-9a51-3d6f0e9b8a21";

// A JPEG with an APP1 (EXIF) segment holding a canary, a comment, then the scan.
function jpegWithExif() {
  const exif = new TextEncoder().encode("Exif\0\0GPS-CANARY");
  const app1 = [0xff, 0xe1, 0, exif.length + 2, ...exif];
  const comment = [0xff, 0xfe, 0, 6, 0x68, 0x69, 0x68, 0x69];
  const dqt = [0xff, 0xdb, 0, 4, 1, 2];
  const scan = [0xff, 0xda, 0, 4, 9, 9, 1, 2, 3, 0xff, 0xd9];
  return new Uint8Array([0xff, 0xd8, ...app1, ...comment, ...dqt, ...scan]);
}

// A server keeping one upload in memory, answering as relay/attachments does.
function fakeServer({ dropAfterWriteAt = null, failStart = null } = {}) {
  const server = { stored: new Uint8Array(0), size: 0, complete: false, calls: [] };
  const wire = () => ({ attachment_id: ID, size: server.size, received: server.stored.length, complete: server.complete });
  server.call = async (method, url, body) => {
    server.calls.push(`${method} ${url}${body && "offset" in body ? ` @${body.offset}` : ""}`);
    if (method === "POST" && url === "/api/attachments") {
      if (failStart) throw failStart;
      server.size = body.size;
      return wire();
    }
    if (method === "GET") return wire();
    if (url.endsWith("/pieces")) {
      if (body.offset !== server.stored.length) throw Object.assign(new Error("wrong offset"), { status: 409, code: "wrong_offset" });
      const piece = crypto.unb64(body.data);
      const joined = new Uint8Array(server.stored.length + piece.length);
      joined.set(server.stored);
      joined.set(piece, server.stored.length);
      server.stored = joined;
      if (dropAfterWriteAt === body.offset) {
        dropAfterWriteAt = null;
        throw Object.assign(new Error("offline"), { status: 0, code: "offline" });
      }
      return wire();
    }
    if (url.endsWith("/complete")) {
      if (server.stored.length < server.size) throw Object.assign(new Error("short"), { status: 409, code: "conflict" });
      server.complete = true;
      return wire();
    }
    throw new Error(`unexpected ${method} ${url}`);
  };
  return server;
}

// A fetch answering with `blob` streamed in uneven parts.
function streamingFetch(blob, status = 200) {
  return async () => ({
    status,
    ok: status < 400,
    body: new ReadableStream({
      start(controller) {
        for (let at = 0; at < blob.length; at += 50_000) controller.enqueue(blob.slice(at, at + 50_000));
        controller.close();
      },
    }),
  });
}

describe("limits", () => {
  it("reads the page shell's limits and words them", () => {
    assert.deepEqual(limitsOf({ attachmentMaxBytes: "1000000", attachmentsCaseMaxBytes: "450000" }), { file: 1_000_000, case: 450_000 });
    assert.deepEqual(limitsOf({}), { file: null, case: null });
    assert.equal(sizeWords(100 * 1024 * 1024), "100 MB");
    assert.equal(sizeWords(1536), "1.5 KB");
  });

  it("refuses before encrypting a file whose padded blob passes the per-file limit", () => {
    const limit = 1_000_000;
    const largest = largestFileFor(limit);
    assert.ok(cipherSize(largest) <= limit && cipherSize(largest + 1) > limit);
    checkSize(largest, { file: limit, case: null });
    assert.throws(() => checkSize(largest + 1, { file: limit, case: null }), (error) => error instanceof AttachmentError && /too large.*512 KB.*Nothing was sent/.test(error.message));
    assert.throws(() => checkSize(0, { file: null, case: null }), /empty/);
  });
});

describe("preparing and encrypting", () => {
  it("strips a JPEG's EXIF and comment and leaves other files as they are", async () => {
    const { blob, stripped } = await prepareFile(new Blob([jpegWithExif()], { type: "image/jpeg" }));
    const out = new Uint8Array(await blob.arrayBuffer());
    assert.equal(stripped, true);
    assert.ok(!new TextDecoder().decode(out).includes("GPS-CANARY"));
    assert.deepEqual([...out.slice(0, 2)], [0xff, 0xd8]);
    const pdf = new Blob([new TextEncoder().encode("%PDF-1.4 hello")], { type: "application/pdf" });
    const kept = await prepareFile(pdf);
    assert.equal(kept.stripped, false);
    assert.equal(kept.blob, pdf);
  });

  it("refuses a photo it cannot read rather than sending its details", async () => {
    const broken = new Uint8Array([0xff, 0xd8, 0xff, 0xe1, 0x40, 0x00, 1, 2]);
    await assert.rejects(prepareFile(new Blob([broken])), (error) => error instanceof AttachmentError && /could not be read/.test(error.message));
  });

  it("encrypts chunk by chunk into relay-file-v1 and opens a streamed blob", async () => {
    const content = bytes(3 * CHUNK + 123);
    const { key, cipher } = await encryptFile(new Blob([content]));
    const blob = new Uint8Array(await cipher.arrayBuffer());
    assert.equal(blob.length, cipherSize(content.length));
    assert.deepEqual(decryptBytes(key, content.length, blob), content);
    const entry = fileEntry({ attachmentId: ID, key, name: "a.ogg", type: "audio/ogg", size: content.length, stripped: false, recorded: true });
    const opened = await openFile(entry, streamingFetch(blob));
    assert.deepEqual(new Uint8Array(await opened.arrayBuffer()), content);
    assert.equal(opened.type, "audio/ogg");
  });

  it("refuses a damaged or cut blob, and one that is not there for this reader", async () => {
    const content = bytes(1000);
    const { key, cipher } = await encryptFile(new Blob([content]));
    const blob = new Uint8Array(await cipher.arrayBuffer());
    const entry = fileEntry({ attachmentId: ID, key, name: "x", type: "application/pdf", size: 1000, stripped: false });
    const damaged = blob.slice();
    damaged[100] ^= 1;
    await assert.rejects(openFile(entry, streamingFetch(damaged)), /could not be opened/);
    await assert.rejects(openFile(entry, streamingFetch(blob.slice(0, blob.length - 1))), /could not be opened/);
    await assert.rejects(openFile(entry, streamingFetch(blob, 404)), /not available to you/);
  });
});

describe("uploading", () => {
  it("sends every piece at the offset the server holds and completes", async () => {
    const cipher = new Blob([bytes(2 * PIECE_BYTES + 10)]);
    const server = fakeServer();
    const seen = [];
    const id = await uploadBlob({ call: server.call, caseId: "c", messageId: "m", cipher, onProgress: (done) => seen.push(done) });
    assert.equal(id, ID);
    assert.deepEqual(server.stored, bytes(2 * PIECE_BYTES + 10));
    assert.equal(server.complete, true);
    assert.deepEqual(seen, [0, PIECE_BYTES, 2 * PIECE_BYTES, 2 * PIECE_BYTES + 10, 2 * PIECE_BYTES + 10]);
  });

  it("after a dropped connection asks what arrived and carries on from there", async () => {
    const cipher = new Blob([bytes(3 * PIECE_BYTES)]);
    const server = fakeServer({ dropAfterWriteAt: PIECE_BYTES });
    let retries = 0;
    await uploadBlob({ call: server.call, caseId: "c", messageId: "m", cipher, onRetry: () => { retries += 1; }, wait: async () => {} });
    assert.equal(retries, 1);
    assert.deepEqual(server.stored, bytes(3 * PIECE_BYTES));
    // The piece the server had already written was not sent again.
    const pieces = server.calls.filter((c) => c.includes("/pieces"));
    assert.deepEqual(pieces.map((c) => c.split("@")[1]), ["0", String(PIECE_BYTES), String(2 * PIECE_BYTES)]);
    assert.ok(server.calls.includes(`GET /api/attachments/${ID}`));
  });

  it("continues an upload it was given instead of opening another", async () => {
    const content = bytes(PIECE_BYTES + 5);
    const server = fakeServer();
    server.size = content.length;
    server.stored = content.slice(0, PIECE_BYTES);
    await uploadBlob({ call: server.call, caseId: "c", messageId: "m", cipher: new Blob([content]), attachmentId: ID });
    assert.deepEqual(server.stored, content);
    assert.ok(!server.calls.some((c) => c.startsWith("POST /api/attachments ")));
  });

  it("turns a limit refused by the server into plain words", async () => {
    for (const [code, words] of [["file_too_large", /too large to send/], ["case_storage_full", /no room left in your case/]]) {
      const refusal = Object.assign(new Error("raw"), { status: 413, code });
      const server = fakeServer({ failStart: refusal });
      await assert.rejects(uploadBlob({ call: server.call, caseId: "c", messageId: "m", cipher: new Blob([bytes(10)]) }),
        (error) => error instanceof AttachmentError && words.test(error.message) && /Nothing was sent/.test(error.message));
      assert.equal(server.stored.length, 0);
    }
  });

  it("gives up after its retries, and at once on a refusal", async () => {
    const offline = Object.assign(new Error("offline"), { status: 0 });
    let calls = 0;
    const call = async (method) => {
      calls += 1;
      if (method === "POST" && calls === 1) return { attachment_id: ID, size: 10, received: 0, complete: false };
      throw offline;
    };
    await assert.rejects(uploadBlob({ call, caseId: "c", messageId: "m", cipher: new Blob([bytes(10)]), wait: async () => {} }), /offline/);
    const forbidden = Object.assign(new Error("no"), { status: 409, code: "conflict" });
    await assert.rejects(uploadBlob({ call: async () => { throw forbidden; }, caseId: "c", messageId: "m", cipher: new Blob([bytes(10)]) }), /no/);
  });
});

describe("payload entries", () => {
  const key = new Uint8Array(32).fill(7);
  // Made once libsodium is ready: a suite's body runs when the file loads, before any hook.
  let entry;
  before(async () => {
    await crypto.ready();
    entry = fileEntry({ attachmentId: ID, key, name: "Spoken statement.webm", type: "audio/webm", size: 5, stripped: false, recorded: true });
  });

  it("names the file as relay_client does, with whether its details were removed", () => {
    assert.deepEqual(Object.keys(entry).sort(), ["attachment_id", "format", "key", "name", "recorded", "size", "stripped", "type"]);
    assert.equal(entry.format, "relay-file-v1");
    assert.equal(crypto.unb64(entry.key).length, 32);
    assert.equal(fileEntry({ attachmentId: ID, key, name: "a", type: "image/jpeg", size: 1, stripped: true }).recorded, undefined);
  });

  it("opens only well-formed entries and counts the others", () => {
    const bad = [{ ...entry, key: "short" }, { ...entry, attachment_id: "../x" }, { ...entry, size: -1 }, { ...entry, format: "other" }, null];
    assert.deepEqual(attachmentsOf({ body: "", attachments: [entry, ...bad] }), { files: [entry], unreadable: 5 });
    assert.deepEqual(attachmentsOf({ body: "" }), { files: [], unreadable: 0 });
    assert.deepEqual(attachmentsOf({ body: "", attachments: "x" }), { files: [], unreadable: 1 });
  });

  it("carries the entries on in a forward exactly as they were", () => {
    const payload = { body: "hi", attachments: [entry] };
    assert.deepEqual(forwardedFiles(payload), { attachments: [entry] });
    assert.equal(forwardedFiles(payload).attachments, payload.attachments);
    assert.deepEqual(forwardedFiles({ body: "hi" }), {});
    assert.deepEqual(forwardedFiles(undefined), {});
  });

  it("shows only safe kinds; anything else is a plain download", () => {
    assert.equal(kindOf("audio/webm;codecs=opus"), "audio");
    assert.equal(kindOf("image/png"), "image");
    assert.equal(kindOf("image/svg+xml"), null);
    assert.equal(blobType("image/svg+xml"), "application/octet-stream");
    assert.equal(blobType("text/html"), "application/octet-stream");
    assert.equal(blobType("application/pdf"), "application/pdf");
  });
});
