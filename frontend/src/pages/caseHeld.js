// The case page's "Taking part without a device" section for a facilitator
// (docs/casework.md): hold a participation for a person with no device, with how and when
// they agreed; enter their words (sealed here to exactly the case's facilitators, as the
// server requires for a held side); pause, resume or withdraw for them; and record reading
// them what was sent to them. The server says who may be held (`may_hold`), who is held
// (`held`) and which messages are for a held person (`to_held`); the page shows that.

import * as crypto from "../crypto/index.js";
import { post } from "../api.js";
import { facilitatorRecipients, openMessage, trustedKeys } from "../casekeys.js";
import { SIDE_WORDS } from "../casestate.js";
import { $, announce, el, when } from "../ui.js";

const HOW = { phone: "on the phone", in_person: "in person", letter: "by letter" };
const KINDS = [
  ["answer", "An answer for the other person"],
  ["question", "A question for the other person"],
  ["statement", "A statement for the other person"],
  ["letter", "A letter for the other person"],
  ["apology", "An apology for the other person"],
  ["note_to_facilitator", "A note for the facilitators only"],
];

export function installHeld({ caseId, device, getSummary, refresh }) {
  const me = device.keyPair;
  const toRead = new Map(); // message id -> wire, for messages sent to a held person

  function problem(message) {
    $("held-error").textContent = message;
    $("held-error").hidden = !message;
  }

  async function attempt(button, work) {
    problem("");
    button.disabled = true;
    try {
      await work();
    } catch (error) {
      problem(error && error.message ? error.message : "Something went wrong. Please try again.");
    } finally {
      button.disabled = false;
    }
  }

  function holdForm(p) {
    const id = (name) => `hold-${p.side}-${name}`;
    const form = el("form", { class: "stack", novalidate: true },
      el("p", {}, `${capital(SIDE_WORDS[p.side])} has not set up an account. If they have no phone or computer, you can take part for them, with their agreement.`),
      el("div", { class: "field" },
        el("label", { for: id("how") }, "How they agreed"),
        el("select", { id: id("how") }, ...Object.entries(HOW).map(([value, words]) => el("option", { value }, capital(words))))),
      el("div", { class: "field" },
        el("label", { for: id("when") }, "When they agreed"),
        el("input", { id: id("when"), type: "datetime-local" })),
      el("button", { type: "submit" }, `Take part for ${SIDE_WORDS[p.side]}`));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      attempt(event.submitter, async () => {
        const when = $(id("when")).value;
        if (!when) throw new Error("Say when they agreed.");
        await post(`/api/cases/${caseId}/held`, {
          side: p.side, consent_how: $(id("how")).value, consent_given_at: new Date(when).toISOString(),
        });
        await refresh();
        announce(`You now take part for ${SIDE_WORDS[p.side]}.`);
      });
    });
    return form;
  }

  function enterForm(p) {
    const id = (name) => `enter-${p.side}-${name}`;
    const form = el("form", { class: "stack", novalidate: true },
      el("div", { class: "field" },
        el("label", { for: id("kind") }, "What it is"),
        el("select", { id: id("kind") }, ...KINDS.map(([value, words]) => el("option", { value }, words)))),
      el("div", { class: "field" },
        el("label", { for: id("body") }, `Their words, as ${SIDE_WORDS[p.side]} gave them to you`),
        el("textarea", { id: id("body"), rows: "4" })),
      el("button", { type: "submit" }, "Enter it for them"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      attempt(event.submitter, async () => {
        const body = $(id("body")).value;
        if (!body.trim()) throw new Error("Write their words first.");
        const envelope = crypto.seal({
          sender: me,
          senderId: device.me.user_id,
          caseId,
          kind: $(id("kind")).value,
          recipients: facilitatorRecipients(getSummary()),
          payload: { body },
        });
        const reply = await post(`/api/cases/${caseId}/held/${p.side}/messages`, { envelope });
        $(id("body")).value = "";
        announce(reply.state === "submitted"
          ? "Entered, marked as entered by you. It waits for a decision like any message."
          : "Entered, marked as entered by you, for the facilitators.");
      });
    });
    return form;
  }

  function controls(p) {
    const button = (label, path, done, extra = {}) => el("button", {
      type: "button",
      ...extra,
      onclick: (event) => attempt(event.currentTarget, async () => {
        if (path === "withdraw" && !window.confirm(`Withdraw ${SIDE_WORDS[p.side]}? This is final.`)) return;
        await post(`/api/cases/${caseId}/held/${p.side}/${path}`);
        await refresh();
        announce(done);
      }),
    }, label);
    const shown = [];
    if (p.state === "active") shown.push(button("Pause for them", "pause", "Paused for them.", { class: "secondary" }));
    if (p.state === "paused") shown.push(button("Resume for them", "resume", "Resumed for them.", { class: "secondary" }));
    if (p.state !== "withdrawn") shown.push(button("Withdraw them, at their request (final)", "withdraw", "They have withdrawn.", { class: "danger" }));
    return el("div", { class: "actions" }, ...shown);
  }

  function readList(p) {
    const keys = trustedKeys(getSummary(), me, device.me.user_id);
    const items = [...toRead.values()].filter((wire) => wire.to_held === p.side).map((wire) => {
      const opened = openMessage(wire, keys, me);
      const item = el("li", { class: "case-item" }, when(wire.at), " ",
        opened.error ? el("span", { class: "error" }, `This could not be opened: ${opened.error}`) : el("span", { class: "message-body" }, opened.text));
      if (wire.read_out_at) {
        item.append(el("p", {}, "Read to them ", when(wire.read_out_at), "."));
      } else {
        item.append(el("button", {
          type: "button",
          class: "secondary",
          onclick: (event) => attempt(event.currentTarget, async () => {
            const reply = await post(`/api/messages/${wire.message_id}/read-out`);
            toRead.set(wire.message_id, { ...wire, read_out_at: reply.read_out_at });
            render();
            announce("Recorded as read to them.");
          }),
        }, "I have read this to them"));
      }
      return item;
    });
    return el("div", { class: "stack" },
      el("h3", {}, `To read to ${SIDE_WORDS[p.side]}`),
      items.length ? el("ul", { class: "case-list" }, ...items) : el("p", {}, "Nothing has been sent to them yet."));
  }

  function render() {
    const summary = getSummary();
    const blocks = [];
    for (const p of summary.participants || []) {
      if (p.held) {
        blocks.push(el("div", { class: "stack" },
          el("h3", {}, `You take part for ${SIDE_WORDS[p.side]}`),
          el("p", {}, `They agreed ${HOW[p.held.consent_how] || p.held.consent_how} on `, when(p.held.consent_given_at),
            `. What is sent to them is encrypted to the facilitators only: read it to them.`),
          p.state === "withdrawn" ? el("p", {}, "They have withdrawn.") : enterForm(p),
          controls(p),
          readList(p)));
      } else if (p.may_hold) {
        blocks.push(holdForm(p));
      }
    }
    $("held-sides").replaceChildren(...blocks);
    $("held-none").hidden = blocks.length > 0;
  }

  // Every message event, replayed or live: those for a held person are kept to read out.
  function onEvent(event) {
    if (event.type === "message" && event.message && event.case_id === caseId && event.message.to_held) {
      const known = toRead.get(event.message.message_id);
      if (!known || !known.read_out_at) toRead.set(event.message.message_id, event.message);
    }
  }

  return { render, onEvent };
}

function capital(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
