// The browser's message ids, read from the sources with a real JavaScript parser (acorn):
// the first argument of every t(...) call under frontend/src. `npm run messages` writes
//
//   src/i18n/messages.pot.json    { "<English text>": "", ... } sorted: what a translator
//                                 copies to <lang>.json and fills in;
//   src/i18n/messages.where.json  { "<English text>": ["pages/case.js:12", ...] }: where each
//                                 message is used, for a translator's context.
//
// A t() whose first argument is not a string literal (or a template literal without ${...})
// cannot be extracted, so it is an error naming file:line, and nothing is written.
// The same parsing serves the lint in test/i18n.test.js (findProse).

import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import * as acorn from "acorn";
import * as walk from "acorn-walk";

export const SRC = join(dirname(fileURLToPath(import.meta.url)), "..", "src");
export const POT = join(SRC, "i18n", "messages.pot.json");
export const WHERE = join(SRC, "i18n", "messages.where.json");

// Every .js file under `root`, as paths relative to it with "/" separators, sorted.
export function sourceFiles(root = SRC) {
  const found = [];
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith(".js")) found.push(relative(root, path).split(sep).join("/"));
    }
  };
  visit(root);
  return found.sort();
}

// The module's syntax tree (with line numbers) and its comments.
export function parse(text) {
  const comments = [];
  const ast = acorn.parse(text, {
    ecmaVersion: "latest",
    sourceType: "module",
    locations: true,
    onComment: comments,
  });
  return { ast, comments };
}

const isT = (node) => node.type === "CallExpression" && node.callee.type === "Identifier" && node.callee.name === "t";

// The English text of a literal that is a message id, or null when it is not one.
function literalText(node) {
  if (!node) return null;
  if (node.type === "Literal" && typeof node.value === "string") return node.value;
  if (node.type === "TemplateLiteral" && node.expressions.length === 0) return node.quasis[0].value.cooked;
  return null;
}

// { messages: [{ msgid, line }], errors: ["file:line: why"] } for one file's source text.
export function messagesIn(file, text) {
  const { ast } = parse(text);
  const messages = [];
  const errors = [];
  walk.simple(ast, {
    CallExpression(node) {
      if (!isT(node)) return;
      const line = node.loc.start.line;
      const msgid = literalText(node.arguments[0]);
      if (msgid === null) {
        errors.push(`${file}:${line}: t() needs the English text as a string literal, with {name} for values`);
      } else if (!msgid.trim()) {
        errors.push(`${file}:${line}: t() has an empty message id`);
      } else {
        messages.push({ msgid, line });
      }
    },
  });
  return { messages, errors };
}

// The catalogue template and the references for every file under `root`:
// { pot, where, errors }, each object with its keys sorted.
export function collect(root = SRC) {
  const where = new Map();
  const errors = [];
  for (const file of sourceFiles(root)) {
    const found = messagesIn(file, readFileSync(join(root, file), "utf8"));
    errors.push(...found.errors);
    for (const { msgid, line } of found.messages) {
      if (!where.has(msgid)) where.set(msgid, []);
      where.get(msgid).push(`${file}:${line}`);
    }
  }
  const ids = [...where.keys()].sort();
  return {
    pot: Object.fromEntries(ids.map((id) => [id, ""])),
    where: Object.fromEntries(ids.map((id) => [id, where.get(id)])),
    errors,
  };
}

export const asJson = (value) => `${JSON.stringify(value, null, 2)}\n`;

// --- The lint: prose that does not go through t() -------------------------------------
//
// Text "looks like prose" when it has two words side by side ("Send message") or ends a
// sentence or a label ("Sent.", "Error: {name}", "Ready?"). Such a literal must be the first
// argument of t(), unless it is in one of the contexts below, which never reach a person,
// or its line (or a comment line just above it) carries `// i18n-ignore` with a reason.

const PROSE = [/\p{L}+[ \u00a0]+\p{L}+/u, /\p{L}[.?!:…](\s|$)/u];

export const looksLikeProse = (text) => PROSE.some((pattern) => pattern.test(text.trim()));

// Calls whose string arguments are for developers or for the DOM, never for people.
const QUIET_CALLS = new Set([
  "querySelector", "querySelectorAll", "closest", "matches", // CSS selectors
  "getElementById", "addEventListener", "removeEventListener", // ids and event names
  "getAttribute", "removeAttribute", "hasAttribute",
]);
// node.classList.add("…") and the like: class names.
const CLASS_LIST_CALLS = new Set(["add", "remove", "toggle", "contains", "replace"]);
const DEVELOPER_OBJECTS = new Set(["console"]);

// Attributes and el() options whose values are never read by a person. Any attribute not
// listed (aria-label, title, placeholder, alt, value, text, …) is checked.
const QUIET_KEYS = new Set([
  "class", "className", "id", "type", "role", "href", "src", "method", "rel", "target",
  "for", "htmlFor", "autocomplete", "inputmode", "pattern", "accept", "datetime", "download",
  "aria-describedby", "aria-labelledby", "aria-controls", "aria-live", "aria-hidden", "aria-busy",
  "tabindex", "style",
]);

const keyName = (key) => (key.type === "Identifier" ? key.name : key.type === "Literal" ? String(key.value) : null);

// Why a literal, given its chain of ancestors (the literal last), needs no t(): a short
// reason, or null when it does.
function quietContext(node, ancestors) {
  const parent = ancestors[ancestors.length - 2];
  if (!parent) return null;
  switch (parent.type) {
    case "ImportDeclaration":
    case "ExportNamedDeclaration":
    case "ExportAllDeclaration":
    case "ImportExpression":
      return "module path";
    case "ExpressionStatement":
      return parent.directive ? "directive" : null;
    case "Property":
      if (parent.key === node) return "property name";
      if (QUIET_KEYS.has(keyName(parent.key)) || keyName(parent.key)?.startsWith("data-")) return "attribute";
      return null;
    case "BinaryExpression":
      return ["===", "!==", "==", "!="].includes(parent.operator) ? "compared wire value" : null;
    case "SwitchCase":
      return "compared wire value";
    case "MemberExpression":
      return parent.property === node ? "property name" : null;
    case "AssignmentExpression": {
      const target = parent.left;
      if (parent.right === node && target.type === "MemberExpression" && !target.computed) {
        if (["className", "id", "href", "type"].includes(target.property.name)) return "attribute";
      }
      return null;
    }
    default:
      break;
  }
  if (parent.type === "CallExpression" || parent.type === "NewExpression") {
    const callee = parent.callee;
    if (isT(parent) && parent.arguments[0] === node) return "message id";
    if (callee.type === "MemberExpression" && !callee.computed) {
      const method = callee.property.name;
      if (callee.object.type === "Identifier" && DEVELOPER_OBJECTS.has(callee.object.name)) return "developer log";
      if (QUIET_CALLS.has(method)) return "DOM name or selector";
      const onClassList = callee.object.type === "MemberExpression" && callee.object.property.name === "classList";
      if (onClassList && CLASS_LIST_CALLS.has(method)) return "class name";
      if ((method === "setAttribute" || method === "toggleAttribute") && parent.arguments[0] === node) return "attribute name";
      if (method === "setAttribute" && QUIET_KEYS.has(literalText(parent.arguments[0]))) return "attribute";
    }
    if (callee.type === "Identifier" && ["el", "$"].includes(callee.name) && parent.arguments[0] === node) return "tag or id";
  }
  return null;
}

// Lines that carry an `// i18n-ignore` comment, and the line after such a comment when it
// stands on a line of its own.
function ignoredLines(text, comments) {
  const lines = new Set();
  const source = text.split("\n");
  for (const comment of comments) {
    if (!/^\s*i18n-ignore\b/.test(comment.value)) continue;
    const line = comment.loc.start.line;
    lines.add(line);
    const before = source[line - 1].slice(0, comment.loc.start.column);
    if (!before.trim()) lines.add(comment.loc.end.line + 1);
  }
  return lines;
}

// [{ file, line, text, start, end, template }] for every literal in one file that looks like prose for people and
// does not go through t().
export function findProse(file, text) {
  const { ast, comments } = parse(text);
  const ignored = ignoredLines(text, comments);
  const found = [];
  const check = (node, ancestors, literal) => {
    if (!looksLikeProse(literal)) return;
    const line = node.loc.start.line;
    if (ignored.has(line) || quietContext(node, ancestors)) return;
    found.push({ file, line, text: literal, start: node.start, end: node.end, template: node.type === "TemplateLiteral" });
  };
  walk.ancestor(ast, {
    Literal(node, _state, ancestors) {
      if (typeof node.value === "string") check(node, ancestors, node.value);
    },
    TemplateLiteral(node, _state, ancestors) {
      check(node, ancestors, node.quasis.map((q) => q.value.cooked ?? q.value.raw).join("{}"));
    },
  });
  return found;
}

// --- `npm run messages` -----------------------------------------------------------------

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { pot, where, errors } = collect();
  if (errors.length) {
    for (const error of errors) console.error(error);
    console.error(`${errors.length} message(s) cannot be extracted; nothing written.`);
    process.exit(1);
  }
  writeFileSync(POT, asJson(pot));
  writeFileSync(WHERE, asJson(where));
  console.log(`${Object.keys(pot).length} messages: ${relative(process.cwd(), POT)}`);
}
