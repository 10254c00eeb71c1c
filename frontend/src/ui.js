// Small DOM helpers shared by the pages. Text always goes in as text, never as HTML.

import { pageLang, t } from "./i18n/messages.js";

export const $ = (id) => document.getElementById(id);

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

// Dates and times in the page's language (<html lang>) and the reader's own time zone.
// `options` are Intl.DateTimeFormat's; the default is a date and a time ("6 Dec 2026, 14:05").
export function formatDate(date, options = { dateStyle: "medium", timeStyle: "short" }) {
  return new Intl.DateTimeFormat(pageLang() || undefined, options).format(date);
}

// A day the server gives as YYYY-MM-DD, in the page's language: the day itself, whatever the
// reader's time zone.
export function dayWords(isoDay) {
  return formatDate(new Date(`${isoDay}T00:00:00Z`), { dateStyle: "medium", timeZone: "UTC" });
}

export function when(iso) {
  const date = new Date(iso);
  return el("time", { datetime: date.toISOString(), text: formatDate(date) });
}

// Words with page elements inside them: `text` (from t()) with `{name}` for each element in
// `nodes`, as a list to append, so a translation can put the element where its grammar needs.
//   el("p", {}, ...withElements(t("This replaces {link}."), { link }))
export function withElements(text, nodes) {
  return text.split(/(\{\w+\})/).filter(Boolean).map((part) => {
    const name = part.slice(1, -1);
    return part.startsWith("{") && name in nodes ? nodes[name] : part;
  });
}

export function showError(message) {
  const box = $("page-error");
  box.textContent = message;
  box.hidden = !message;
}

export function clearError() {
  showError("");
}

// Announce to screen readers through the page's polite live region.
export function announce(message) {
  const region = $("announcer");
  region.textContent = "";
  setTimeout(() => {
    region.textContent = message;
  }, 50);
}

export function loading(on) {
  $("page-loading").hidden = !on;
}

// Move between Relay pages without adding to the history, so that after a quick exit the
// Back button cannot return to Relay.
export function go(url) {
  window.location.replace(url);
}

// Run an action from a button or form: busy while it runs, errors shown in plain words.
export async function busy(button, work) {
  clearError();
  // Disabling a focused button drops focus to the page; give it back afterwards so a
  // keyboard user stays where they were.
  const hadFocus = button && document.activeElement === button;
  if (button) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  }
  try {
    return await work();
  } catch (error) {
    showError(error && error.message ? error.message : t("Something went wrong. Please try again."));
    return undefined;
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      const lost = !document.activeElement || document.activeElement === document.body;
      if (hadFocus && lost && button.isConnected && button.offsetParent !== null) button.focus();
    }
  }
}

export function focusHeading(id) {
  const heading = $(id);
  if (heading) heading.focus();
}

// Pages in steps (enrolment, sign-in): hide this step, show the next and move focus to its
// heading, so a screen reader announces where the user now is.
export function nextStep(fromId, toId, headingId) {
  $(fromId).hidden = true;
  $(toId).hidden = false;
  if (headingId) focusHeading(headingId);
}
