// node strip.mjs in out: frontend/src/crypto/stripmeta.js over one file; prints {stripped}.
import { readFileSync, writeFileSync } from "node:fs";
import { stripMetadata } from "../../frontend/src/crypto/stripmeta.js";

const [source, target] = process.argv.slice(2);
const result = stripMetadata(new Uint8Array(readFileSync(source)));
writeFileSync(target, result.bytes);
process.stdout.write(JSON.stringify({ stripped: result.stripped }));
