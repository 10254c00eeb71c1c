// The catalogues of languages other than English, by BCP 47 tag as <html lang> gives it: each
// maps an English message id to its translation. English needs none (the ids are English).
// The tag's case does not matter ("cy", "en-GB"): messages.js compares them in lower case.
// Add a language: copy messages.pot.json to <lang>.json, translate the values, import it here,
// and add the language to Django's LANGUAGES with its own locale/<lang>/django.po:
//
//   import cy from "./cy.json" with { type: "json" };
//   export default { cy };
// (docs/frontend.md, "Translating the browser's words")

export default {};
