// Small DOM helpers shared by the pages. Text always goes in as text, never as HTML.

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

const timeFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: "medium",
  timeStyle: "short",
});

// Times in the reader's own time zone.
export function when(iso) {
  const date = new Date(iso);
  return el("time", { datetime: date.toISOString(), text: timeFormat.format(date) });
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
    showError(error && error.message ? error.message : "Something went wrong. Please try again.");
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
