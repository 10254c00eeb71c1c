// The browser's file encryption (frontend/src/crypto/filecrypt.js) against the Python client's.
//
//   node files.mjs decrypt cases.json   opens every case's blob and prints {name: content b64}
//   node files.mjs encrypt cases.json   encrypts every case's content and prints {name: blob b64}
//
// A case is {name, key, size, content?, blob?}, bytes in standard base64.

import { readFileSync } from "node:fs";
import * as crypto from "../../frontend/src/crypto/index.js";
import * as files from "../../frontend/src/crypto/filecrypt.js";

const [mode, file] = process.argv.slice(2);
const cases = JSON.parse(readFileSync(file, "utf8"));
await crypto.ready();

const out = {};
for (const c of cases) {
  const key = crypto.unb64(c.key);
  if (mode === "decrypt") {
    try {
      out[c.name] = crypto.b64(files.decryptBytes(key, c.size, crypto.unb64(c.blob)));
    } catch (error) {
      if (!(error instanceof files.FileDecryptError)) throw error;
      out[c.name] = { refused: error.message };
    }
  } else if (mode === "encrypt") {
    const content = crypto.unb64(c.content);
    out[c.name] = {
      blob: crypto.b64(files.encryptBytes(key, content)),
      padded: files.paddedSize(c.size),
      cipher: files.cipherSize(c.size),
    };
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}
process.stdout.write(JSON.stringify(out));
