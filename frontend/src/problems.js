// Errors where people look, in the GOV.UK Design System's patterns: the message beside the
// field it is about; for a form with several fields, also a summary at the top of the form
// that takes focus and links to each field; an error about an action (the network, the
// server's refusal) beside the button that was pressed, focused so it is in view and read out.

import { $, el } from "./ui.js";
import { t } from "./i18n/messages.js";

// The slot for a field's message: a paragraph just before the field, after its label, that
// the field names in aria-describedby (made the first time it is needed).
function fieldSlot(fieldId) {
  const slotId = `${fieldId}-error`;
  let slot = $(slotId);
  if (!slot) {
    slot = el("p", { id: slotId, class: "field-error", hidden: true });
    $(fieldId).before(slot);
  }
  const field = $(fieldId);
  const described = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
  if (!described.includes(slotId)) field.setAttribute("aria-describedby", [slotId, ...described].join(" "));
  return slot;
}

function setFieldProblem(fieldId, message) {
  const field = $(fieldId);
  if (!field) return;
  if (!message && !$(`${fieldId}-error`)) return;
  const slot = fieldSlot(fieldId);
  slot.replaceChildren(...(message ? [el("span", { class: "visually-hidden" }, t("Error: ")), message] : []));
  slot.hidden = !message;
  if (message) field.setAttribute("aria-invalid", "true");
  else field.removeAttribute("aria-invalid");
}

// Show `problems` ({fieldId: message}) for the fields `fieldIds` of one form, clearing the
// others. With a summary (the id of a `.error-summary` holding a <ul>), the summary lists
// each problem as a link to its field and takes focus; without one, the first field with a
// problem takes focus. Returns whether there was any problem.
export function showFieldProblems({ summaryId = null, fieldIds }, problems = {}) {
  const summary = summaryId ? $(summaryId) : null;
  const list = summary ? summary.querySelector("ul") : null;
  if (list) list.replaceChildren();
  let first = null;
  for (const id of fieldIds) {
    const message = problems[id];
    setFieldProblem(id, message);
    if (!message) continue;
    first ??= id;
    if (list) {
      const link = el("a", { href: `#${id}`, text: message });
      link.addEventListener("click", (event) => {
        event.preventDefault();
        $(id).focus();
      });
      list.append(el("li", {}, link));
    }
  }
  if (summary) summary.hidden = !first;
  if (!first) return false;
  if (summary) summary.focus();
  else $(first).focus();
  return true;
}

export function clearFieldProblems(form) {
  showFieldProblems(form, {});
}

// An error about what a button did, shown just after the button (or its row of actions) and
// focused. `kind` is remembered on the message, so a page can clear the offline one when the
// connection comes back. Returns the message element.
export function showActionProblem(buttonId, message, kind = "error") {
  const slotId = `${buttonId}-problem`;
  let slot = $(slotId);
  if (!slot) {
    const button = $(buttonId);
    const row = button.parentElement && button.parentElement.classList.contains("actions") ? button.parentElement : button;
    slot = el("p", { id: slotId, tabindex: "-1" });
    row.after(slot);
  }
  slot.className = "error action-problem";
  slot.setAttribute("role", "alert");
  slot.dataset.problem = kind;
  slot.textContent = message;
  slot.hidden = false;
  slot.focus();
  return slot;
}

export function clearActionProblem(buttonId) {
  const slot = $(`${buttonId}-problem`);
  if (slot) {
    slot.hidden = true;
    slot.textContent = "";
    delete slot.dataset.problem;
  }
}

// The connection is back: an offline problem beside `buttonId` becomes a calm notice that
// says so. Returns whether there was one.
export function connectionBack(buttonId, words) {
  const slot = $(`${buttonId}-problem`);
  if (!slot || slot.hidden || slot.dataset.problem !== "offline") return false;
  slot.className = "banner action-problem";
  slot.setAttribute("role", "status");
  slot.dataset.problem = "back";
  slot.textContent = words;
  return true;
}

export const isOffline = (error) => Boolean(error) && error.code === "offline";
