// The browser's words under Node's own test runner: `node --test frontend/test/`.
// t() with a catalogue, the message extractor, and the lint that keeps every word a person
// reads going through t() (docs/frontend.md, "Translating the browser's words").

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, it } from "node:test";

import { catalogueFor, registerCatalogue, t } from "../src/i18n/messages.js";
import { POT, SRC, collect, findProse, messagesIn, sourceFiles } from "../scripts/messages.mjs";
import { formatDate, withElements } from "../src/ui.js";
import { sizeWords } from "../src/attachments.js";

// A page whose <html lang> is `lang`, for t() to read.
function onPage(lang) {
  globalThis.document = { documentElement: { lang } };
}

afterEach(() => {
  delete globalThis.document;
});

describe("t()", () => {
  registerCatalogue("x-test", {
    "Passed on by {name}": "Wedi'i drosglwyddo gan {name}",
    "{count} messages waiting": { one: "{count} neges yn aros", two: "{count} neges yn aros (dwy)", other: "{count} o negeseuon yn aros" },
  });

  it("is English, with its values filled, where there is no page or no catalogue", () => {
    assert.equal(t("Passed on by {name}", { name: "Sam" }), "Passed on by Sam");
    onPage("en-GB");
    assert.equal(t("Passed on by {name}", { name: "Sam" }), "Passed on by Sam");
  });

  it("uses the page's catalogue and fills its placeholders", () => {
    onPage("x-test");
    assert.equal(t("Passed on by {name}", { name: "Sam" }), "Wedi'i drosglwyddo gan Sam");
  });

  it("falls back to English for a message the catalogue lacks", () => {
    onPage("x-test");
    assert.equal(t("Taken back. It will not be passed on."), "Taken back. It will not be passed on.");
  });

  it("leaves a placeholder it was given no value for as it is", () => {
    assert.equal(t("This replaces {link}."), "This replaces {link}.");
  });

  it("finds a catalogue whatever the case of <html lang>, then by the primary language", () => {
    registerCatalogue("cy", { Paused: "Wedi oedi" });
    registerCatalogue("en-GB", { Paused: "Paused (GB)" });
    assert.equal(catalogueFor("CY"), catalogueFor("cy"));
    for (const lang of ["cy", "cy-GB", "cy-gb", "CY-gb"]) {
      onPage(lang);
      assert.equal(t("Paused"), "Wedi oedi", lang);
    }
    onPage("en-gb"); // as Django's LANGUAGE_CODE renders it
    assert.equal(t("Paused"), "Paused (GB)");
    assert.equal(catalogueFor(""), null);
    assert.equal(catalogueFor("fr"), null);
  });

  it("chooses a plural form by the language's rules for {count}", () => {
    onPage("x-test");
    // "x-test" is no language Intl knows: English's one/other apply.
    assert.equal(t("{count} messages waiting", { count: 1 }), "1 neges yn aros");
    assert.equal(t("{count} messages waiting", { count: 3 }), "3 o negeseuon yn aros");
    registerCatalogue("cy", { "{count} messages waiting": { one: "{count} neges", two: "{count} neges (dwy)", other: "{count} o negeseuon" } });
    onPage("cy");
    assert.equal(t("{count} messages waiting", { count: 2 }), "2 neges (dwy)");
  });
});

describe("words with elements, dates and sizes in the page's language", () => {
  it("puts elements where the translation has their placeholders", () => {
    const link = { element: "link" };
    assert.deepEqual(withElements("This replaces {link}.", { link }), ["This replaces ", link, "."]);
    assert.deepEqual(withElements("{link} a ddisodlwyd", { link }), [link, " a ddisodlwyd"]);
    assert.deepEqual(withElements("Kept {other}", { link }), ["Kept ", "{other}"]);
  });

  it("formats dates and numbers in <html lang>", () => {
    const date = new Date("2026-12-06T14:05:00Z");
    const options = { dateStyle: "long", timeZone: "UTC" };
    onPage("de-DE");
    assert.equal(formatDate(date, options), new Intl.DateTimeFormat("de-DE", options).format(date));
    assert.equal(sizeWords(1536), `${new Intl.NumberFormat("de-DE").format(1.5)} KB`);
    onPage("en-gb");
    assert.equal(formatDate(date, options), "6 December 2026");
    assert.equal(sizeWords(1536), "1.5 KB");
    assert.equal(sizeWords(1), "1 byte");
    assert.equal(sizeWords(900), "900 bytes");
  });
});

describe("the message extractor", () => {
  it("collects the first argument of every t() with its file and line", () => {
    const { messages, errors } = messagesIn("x.js", 'import { t } from "./i18n/messages.js";\nt("Sent.");\n\nt(`Taken back`, {});\n');
    assert.deepEqual(errors, []);
    assert.deepEqual(messages, [{ msgid: "Sent.", line: 2 }, { msgid: "Taken back", line: 4 }]);
  });

  it("refuses a message id that is not a literal, naming file and line", () => {
    const { errors } = messagesIn("pages/x.js", "const words = 'Hi';\nt(words);\nt(`Hello ${name}`);\nt();\nt('');\n");
    assert.equal(errors.length, 4);
    assert.match(errors[0], /^pages\/x\.js:2: t\(\) needs the English text as a string literal/);
    assert.match(errors[1], /^pages\/x\.js:3: /);
    assert.match(errors[2], /^pages\/x\.js:4: /);
    assert.match(errors[3], /^pages\/x\.js:5: t\(\) has an empty message id/);
  });

  it("finds every message in frontend/src, and messages.pot.json is up to date (npm run messages)", () => {
    const { pot, errors } = collect();
    assert.deepEqual(errors, [], "t() calls that cannot be extracted");
    const committed = JSON.parse(readFileSync(POT, "utf8"));
    assert.deepEqual(committed, pot, "src/i18n/messages.pot.json is out of date: run `npm run messages`");
    assert.deepEqual(Object.keys(committed), Object.keys(committed).sort(), "messages.pot.json is sorted");
  });
});

describe("the lint for words that do not go through t()", () => {
  const found = (source) => findProse("x.js", source).map((f) => `${f.line}: ${f.text}`);

  it("finds prose, labels and sentences outside t(), with values in template literals", () => {
    assert.deepEqual(found('el("p", {}, "Send your message");\nannounce("Sent.");\nshow(`Passed on by ${name}`);\nlabel(`Error: ${e}`);\n'), [
      "1: Send your message",
      "2: Sent.",
      "3: Passed on by {}",
      "4: Error: {}",
    ]);
    assert.deepEqual(found('el("button", { "aria-label": "Close the dialog" });\nt("A", { name: "Your supporter" });\n'), [
      "1: Close the dialog",
      "2: Your supporter",
    ]);
  });

  it("leaves alone t()'s message ids, developer logs, selectors, classes, ids, compared values and module paths", () => {
    assert.deepEqual(found([
      'import { t } from "./i18n/messages.js";',
      't("Send your message");',
      'console.error("the socket closed early", error);',
      'document.querySelector("input[name=kind]:not(:disabled)");',
      'el("p", { class: "message mine", id: "compose hint" });',
      'node.className = "banner action-problem";',
      'node.classList.add("visually hidden");',
      'node.setAttribute("aria-describedby", "a-error b-hint");',
      'if (state === "needs more time") go();',
      "switch (kind) { case \"not yet\": break; }",
      "const words = { \"Send it\": 1 };",
    ].join("\n")), []);
    assert.deepEqual(found('seen.add("Passed on to them");\ntext.replace("{who}", "the other person");\n'), [
      "1: Passed on to them",
      "2: the other person",
    ]);
  });

  it("leaves alone a line marked `// i18n-ignore`, or the line after a comment line saying so", () => {
    assert.deepEqual(found([
      'throw new RangeError("the blob is truncated"); // i18n-ignore',
      "// i18n-ignore: for developers, never shown",
      'throw new Error("not of the kind expected");',
      'throw new Error("Write the case note first.");',
    ].join("\n")), ["4: Write the case note first."]);
  });

  it("finds no words for people outside t() anywhere in frontend/src", () => {
    const findings = sourceFiles().flatMap((file) => findProse(file, readFileSync(join(SRC, file), "utf8")));
    const lines = findings.map((f) => `${f.file}:${f.line}: ${JSON.stringify(f.text)}`);
    assert.deepEqual(lines, [], `Put these through t() (or mark a line that never reaches a person // i18n-ignore):\n${lines.join("\n")}`);
  });
});
