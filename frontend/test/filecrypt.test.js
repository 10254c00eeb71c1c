// Attachment file encryption in the browser (frontend/src/crypto/filecrypt.js): buckets,
// round trips across chunk edges, damage refused, and the Python client's committed blob
// (tests/vectors/files.json) opened. tests/vectors/test_files.py checks both directions.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, describe, it } from "node:test";

import * as crypto from "../src/crypto/index.js";
import * as files from "../src/crypto/filecrypt.js";

before(async () => { await crypto.ready(); });

const bytes = (n) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) % 251);

describe("file encryption", () => {
  it("pads to whole-chunk buckets, at most an eighth above 1 MiB", () => {
    assert.equal(files.paddedSize(0), files.CHUNK);
    assert.equal(files.paddedSize(files.CHUNK + 1), 2 * files.CHUNK);
    for (const size of [1024 * 1024 + 1, 5_000_000, 200 * 1024 * 1024 - 7]) {
      const bucket = files.paddedSize(size);
      assert.ok(bucket >= size && bucket <= size * 1.125 && bucket % files.CHUNK === 0);
    }
  });

  it("round-trips across chunk edges", () => {
    for (const size of [0, 1, files.CHUNK, files.CHUNK + 1, 200_003]) {
      const key = files.newFileKey();
      const blob = files.encryptBytes(key, bytes(size));
      assert.equal(blob.length, files.cipherSize(size));
      assert.deepEqual(files.decryptBytes(key, size, blob), bytes(size));
    }
  });

  it("refuses a wrong key, a truncated blob and a flipped bit", () => {
    const key = files.newFileKey();
    const blob = files.encryptBytes(key, bytes(200_003));
    assert.throws(() => files.decryptBytes(files.newFileKey(), 200_003, blob), files.FileDecryptError);
    assert.throws(() => files.decryptBytes(key, 200_003, blob.subarray(0, blob.length - files.CIPHER_CHUNK)), files.FileDecryptError);
    const flipped = blob.slice();
    flipped[100] ^= 1;
    assert.throws(() => files.decryptBytes(key, 200_003, flipped), files.FileDecryptError);
  });

  it("opens the Python client's committed blob", () => {
    const vectors = JSON.parse(readFileSync(new URL("../../tests/vectors/files.json", import.meta.url), "utf8"));
    assert.equal(vectors.format, files.FILE_FORMAT);
    for (const c of vectors.cases) {
      const opened = files.decryptBytes(crypto.unb64(c.key), c.size, crypto.unb64(c.blob));
      assert.deepEqual(opened, crypto.unb64(c.content));
    }
  });
});
