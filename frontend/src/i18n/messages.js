// The browser's translation machinery. Every word a script puts on a page goes through t():
// the English text is the message id (as in Django's gettext), `{name}` marks a value filled
// in at run time, and a second language is a second catalogue, chosen by <html lang>, that
// maps each English text to its translation. A message missing from a catalogue falls back to
// English, never to nothing.
//
//   t("Passed on by {name}", { name })
//
// `npm run messages` lists every message id in frontend/src (frontend/src/i18n/messages.pot.json),
// which is what a translator starts from. Dates and times go through Intl (ui.js), never t().

import catalogues from "./catalogues.js";

function fill(text, vars) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

export function catalogueFor(lang) {
  if (!lang) return null;
  return catalogues[lang] || catalogues[lang.split("-")[0]] || null;
}

export function t(msgid, vars = {}) {
  const catalogue = catalogueFor(globalThis.document?.documentElement?.lang);
  return fill((catalogue && catalogue[msgid]) || msgid, vars);
}
