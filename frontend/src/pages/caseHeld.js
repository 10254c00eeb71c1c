// The case page's "Taking part without a device" section for a facilitator
// (docs/casework.md): hold a participation for a person with no device, with how and when
// they agreed; enter their words (sealed here to exactly the case's facilitators, as the
// server requires for a held side); pause, resume or withdraw for them; and record reading
// them what was sent to them. The server says who may be held (`may_hold`), who is held
// (`held`) and which messages are for a held person (`to_held`); the page shows that.

import * as crypto from "../crypto/index.js";
import { post } from "../api.js";
import { facilitatorRecipients, openMessage, trustedKeys } from "../casekeys.js";
import { t } from "../i18n/messages.js";
import { $, announce, el, when, withElements } from "../ui.js";

// Words are looked up when the section is drawn, so that t() reads the page's language then.
// Each sentence naming a side is one whole message per side, so a translation may decline
// or order the words as its grammar needs.
const HOW_VALUES = ["phone", "in_person", "letter"];
const howOptions = () => ({ phone: t("On the phone"), in_person: t("In person"), letter: t("By letter") });
const kinds = () => [
  ["answer", t("An answer for the other person")],
  ["question", t("A question for the other person")],
  ["statement", t("A statement for the other person")],
  ["letter", t("A letter for the other person")],
  ["apology", t("An apology for the other person")],
  ["note_to_facilitator", t("A note for the facilitators only")],
];
const bySide = (side, words) => words[side] ?? words.harmed;

// A translated text with `{name}` places for page nodes (a <time>): the text split around
// them, so a translation can put the node where its grammar needs it.
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
      problem(error && error.message ? error.message : t("Something went wrong. Please try again."));
    } finally {
      button.disabled = false;
    }
  }

  function holdForm(p) {
    const id = (name) => `hold-${p.side}-${name}`;
    const form = el("form", { class: "stack", novalidate: true },
      el("p", {}, bySide(p.side, {
        harmed: t("The person harmed has not set up an account. If they have no phone or computer, you can take part for them, with their agreement."),
        responsible: t("The person responsible has not set up an account. If they have no phone or computer, you can take part for them, with their agreement."),
      })),
      el("div", { class: "field" },
        el("label", { for: id("how") }, t("How they agreed")),
        el("select", { id: id("how") }, ...HOW_VALUES.map((value) => el("option", { value }, howOptions()[value])))),
      el("div", { class: "field" },
        el("label", { for: id("when") }, t("When they agreed")),
        el("input", { id: id("when"), type: "datetime-local" })),
      el("button", { type: "submit" }, bySide(p.side, {
        harmed: t("Take part for the person harmed"),
        responsible: t("Take part for the person responsible"),
      })));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      attempt(event.submitter, async () => {
        const when = $(id("when")).value;
        if (!when) throw new Error(t("Say when they agreed."));
        await post(`/api/cases/${caseId}/held`, {
          side: p.side, consent_how: $(id("how")).value, consent_given_at: new Date(when).toISOString(),
        });
        await refresh();
        announce(bySide(p.side, {
          harmed: t("You now take part for the person harmed."),
          responsible: t("You now take part for the person responsible."),
        }));
      });
    });
    return form;
  }

  function enterForm(p) {
    const id = (name) => `enter-${p.side}-${name}`;
    const form = el("form", { class: "stack", novalidate: true },
      el("div", { class: "field" },
        el("label", { for: id("kind") }, t("What it is")),
        el("select", { id: id("kind") }, ...kinds().map(([value, words]) => el("option", { value }, words)))),
      el("div", { class: "field" },
        el("label", { for: id("body") }, bySide(p.side, {
          harmed: t("Their words, as the person harmed gave them to you"),
          responsible: t("Their words, as the person responsible gave them to you"),
        })),
        el("textarea", { id: id("body"), rows: "4" })),
      el("button", { type: "submit" }, t("Enter it for them")));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      attempt(event.submitter, async () => {
        const body = $(id("body")).value;
        if (!body.trim()) throw new Error(t("Write their words first."));
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
          ? t("Entered, marked as entered by you. It waits for a decision like any message.")
          : t("Entered, marked as entered by you, for the facilitators."));
      });
    });
    return form;
  }

  function controls(p) {
    const button = (label, path, done, extra = {}) => el("button", {
      type: "button",
      ...extra,
      onclick: (event) => attempt(event.currentTarget, async () => {
        const question = bySide(p.side, {
          harmed: t("Withdraw the person harmed? This is final."),
          responsible: t("Withdraw the person responsible? This is final."),
        });
        if (path === "withdraw" && !window.confirm(question)) return;
        await post(`/api/cases/${caseId}/held/${p.side}/${path}`);
        await refresh();
        announce(done);
      }),
    }, label);
    const shown = [];
    if (p.state === "active") shown.push(button(t("Pause for them"), "pause", t("Paused for them."), { class: "secondary" }));
    if (p.state === "paused") shown.push(button(t("Resume for them"), "resume", t("Resumed for them."), { class: "secondary" }));
    if (p.state !== "withdrawn") {
      shown.push(button(t("Withdraw them, at their request (final)"), "withdraw", t("They have withdrawn."), { class: "danger" }));
    }
    return el("div", { class: "actions" }, ...shown);
  }

  function readList(p) {
    const keys = trustedKeys(getSummary(), me, device.me.user_id);
    const items = [...toRead.values()].filter((wire) => wire.to_held === p.side).map((wire) => {
      const opened = openMessage(wire, keys, me);
      const item = el("li", { class: "case-item" }, when(wire.at), " ",
        opened.error ? el("span", { class: "error" }, t("This could not be opened: {error}", { error: opened.error })) : el("span", { class: "message-body" }, opened.text));
      if (wire.read_out_at) {
        item.append(el("p", {}, ...withElements(t("Read to them {when}."), { when: when(wire.read_out_at) })));
      } else {
        item.append(el("button", {
          type: "button",
          class: "secondary",
          onclick: (event) => attempt(event.currentTarget, async () => {
            const reply = await post(`/api/messages/${wire.message_id}/read-out`);
            toRead.set(wire.message_id, { ...wire, read_out_at: reply.read_out_at });
            render();
            announce(t("Recorded as read to them."));
          }),
        }, t("I have read this to them")));
      }
      return item;
    });
    return el("div", { class: "stack" },
      el("h3", {}, bySide(p.side, { harmed: t("To read to the person harmed"), responsible: t("To read to the person responsible") })),
      items.length ? el("ul", { class: "case-list" }, ...items) : el("p", {}, t("Nothing has been sent to them yet.")));
  }

  function render() {
    const summary = getSummary();
    const blocks = [];
    for (const p of summary.participants || []) {
      if (p.held) {
        blocks.push(el("div", { class: "stack" },
          el("h3", {}, bySide(p.side, {
            harmed: t("You take part for the person harmed"),
            responsible: t("You take part for the person responsible"),
          })),
          el("p", {}, ...withElements(agreedWords(p.held.consent_how), { when: when(p.held.consent_given_at) })),
          p.state === "withdrawn" ? el("p", {}, t("They have withdrawn.")) : enterForm(p),
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

// How and when a held person agreed, with {when} for the time.
function agreedWords(how) {
  const words = {
    phone: t("They agreed on the phone on {when}. What is sent to them is encrypted to the facilitators only: read it to them."),
    in_person: t("They agreed in person on {when}. What is sent to them is encrypted to the facilitators only: read it to them."),
    letter: t("They agreed by letter on {when}. What is sent to them is encrypted to the facilitators only: read it to them."),
  };
  return words[how] ?? t("They agreed ({how}) on {when}. What is sent to them is encrypted to the facilitators only: read it to them.", { how });
}
