// Builds the browser client into dist/: one script and one style sheet for every page.
import { build } from "esbuild";
import { rmSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
await build({
  entryPoints: { relay: "src/main.js", "relay-style": "src/relay.css" },
  bundle: true,
  format: "esm",
  target: ["es2022"],
  minify: true,
  sourcemap: false,
  outdir: "dist",
  legalComments: "linked",
  logLevel: "warning",
});
