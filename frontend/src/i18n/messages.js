// The browser's translation machinery. Every word a script puts on a page goes through t():
// the English text is the message id (as in Django's gettext), `{name}` marks a value filled
// in at run time, and a second language is a second catalogue, chosen by <html lang>, that
// maps each English text to its translation. A message missing from a catalogue falls back to
// English, never to nothing.
//
//   t("Passed on by {name}", { name })
//
// The message id must be a literal: `npm run messages` lists every one in frontend/src
// (frontend/src/i18n/messages.pot.json), which is what a translator starts from, and a test
// fails on words for people that bypass t(). Dates, numbers and lists go through Intl in the
// page's language (ui.js formatDate), never t(). See docs/frontend.md, "Translating the
// browser's words".

import catalogues from "./catalogues.js";

// Catalogues added at run time (tests, or a page that loads one): they win over the bundled ones.
const registered = {};

// The page's language as <html lang> gives it ("en-GB", or Django's "en-gb"), or "" where
// there is no page (Node's tests).
export function pageLang() {
  return globalThis.document?.documentElement?.lang || "";
}

// Items as one phrase in the page's language: "a, b and c" ("conjunction"), or "a, b, c"
// ("unit").
export function listWords(items, type = "conjunction") {
  return new Intl.ListFormat(pageLang() || "en", { style: "long", type }).format(items);
}

// Add (or replace) the catalogue of `lang`: { "<English text>": "<translation>" }. A
// translation may instead be an object of plural forms by Intl.PluralRules category
// ({ one, two, few, many, other }), chosen by the message's {count}.
export function registerCatalogue(lang, catalogue) {
  registered[lang.toLowerCase()] = catalogue;
}

function fill(text, vars) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

// The catalogue for a BCP 47 tag, whatever its case: the exact tag ("en-gb" finds "en-GB"),
// then its primary language ("cy-GB" finds "cy"), or null (English).
export function catalogueFor(lang) {
  if (!lang) return null;
  const wanted = lang.toLowerCase();
  const primary = wanted.split("-")[0];
  const all = { ...lowerKeys(catalogues), ...registered };
  return all[wanted] || all[primary] || null;
}

function lowerKeys(object) {
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key.toLowerCase(), value]));
}

// The plural category of `count` in `lang` ("one", "two", "few", "many", "other"), by
// English's rules for a tag Intl does not know.
function pluralOf(lang, count) {
  try {
    return new Intl.PluralRules(lang).select(count);
  } catch {
    return new Intl.PluralRules("en").select(count);
  }
}

// The words of `msgid` in the page's language (English when there is no translation), with
// `{name}` filled from `vars`.
export function t(msgid, vars = {}) {
  const lang = pageLang();
  const catalogue = catalogueFor(lang);
  let text = catalogue && catalogue[msgid];
  if (text && typeof text === "object") text = text[pluralOf(lang, Number(vars.count))] || text.other;
  return fill(text || msgid, vars);
}
