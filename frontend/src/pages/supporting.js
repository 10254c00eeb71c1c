// A supporter's home: for each case they support (GET /api/supporting, only while the
// participant's consent lasts), their participant's side as sealed to them (GET
// /api/cases/<id>/supporter-messages, opened here with their key, oldest first) and a form
// to write a draft for their participant or a note to the facilitators, sealed here to the
// facilitators, themselves and their participant (POST /api/messages). When consent ends
// the list no longer holds the case and the server closes this page's socket.

import * as crypto from "../crypto/index.js";
import { get, post } from "../api.js";
import { openMessage, recipientsOf } from "../casekeys.js";
import { installSignOut, signedInDevice } from "../session.js";
import { $, announce, busy, el, when } from "../ui.js";
import { clearActionProblem, clearFieldProblems, isOffline, showActionProblem, showFieldProblems } from "../problems.js";

const SIDES = { harmed: "the person harmed", responsible: "the person responsible" };

// Key id -> { publicKey, who } for the keys a supporter trusts in one case: the
// facilitators', their participant's and their own, as GET /api/supporting lists them.
function supporterKeys(entry, me, myUserId) {
  const keys = new Map();
  const add = (person, who) => {
    const [key] = recipientsOf([person]);
    if (key) keys.set(key.keyId, { publicKey: key.publicKey, who });
  };
  for (const f of entry.facilitators) add(f, { role: "facilitator", userId: f.user_id, name: f.display_name });
  add(entry.participant, { role: "participant", userId: entry.participant.user_id });
  keys.set(me.keyId, { publicKey: me.public, who: { role: "me", userId: myUserId } });
  return keys;
}

// Plain words for who wrote a message the supporter can read. A facilitator's message made
// from another (header derived_from) was passed on: of their participant's own message when
// that one is among the supporter's, from the other person otherwise.
function writer(wire, who, name, authors) {
  if (!who) return "A message";
  if (who.role === "me") return wire.kind === "supporter_draft" ? `Your draft for ${name}` : "Your note to the facilitator";
  if (who.role === "participant") return `${name} wrote`;
  const derived = wire.envelope?.header?.derived_from;
  if (derived && authors.get(derived) === "participant") return `The facilitator passed on ${name}'s message`;
  if (derived) return "Passed on from the other person by the facilitator";
  return "The facilitator wrote";
}

function messageItems(messages, keys, me, name) {
  const opened = messages.map((wire) => ({ wire, ...openMessage(wire, keys, me) }));
  const authors = new Map(opened.map((o) => [o.wire.message_id, o.who?.role]));
  return opened.map((o) => el("li", { class: `message ${o.who?.role === "me" ? "mine" : "theirs"}` },
    el("h4", { class: "message-heading" }, writer(o.wire, o.who, name, authors)),
    el("p", { class: "message-time" }, when(o.wire.at)),
    o.error
      ? el("p", { class: "error" }, `This message could not be opened: ${o.error}`)
      : el("p", { class: "message-body" }, o.text ?? "")));
}

function caseSection(entry, index, device) {
  const me = device.keyPair;
  const name = entry.participant.display_name || SIDES[entry.side];
  const keys = supporterKeys(entry, me, device.me.user_id);
  const ids = { body: `draft-body-${index}`, send: `draft-send-${index}`, list: `side-${index}` };
  const form = { fieldIds: [ids.body] };
  const list = el("ol", { id: ids.list, class: "messages" });
  const empty = el("p", { class: "hint" }, `Nothing from ${name}'s side yet.`);

  async function load() {
    const { messages } = await get(`/api/cases/${entry.case_id}/supporter-messages`);
    list.replaceChildren(...messageItems(messages, keys, me, name));
    empty.hidden = messages.length > 0;
  }

  const body = el("textarea", { id: ids.body, rows: "6", "aria-describedby": `draft-hint-${index}` });
  const radio = (value, label, checked) => el("div", { class: "radio" },
    el("input", { type: "radio", name: `kind-${index}`, id: `kind-${value}-${index}`, value, checked }),
    el("label", { for: `kind-${value}-${index}` }, label));
  const send = el("button", { type: "submit", id: ids.send }, "Send to the facilitator");
  const formEl = el("form", { class: "stack compose", novalidate: true },
    el("h3", {}, `Write for ${name}`),
    el("fieldset", {}, el("legend", {}, "What are you writing?"),
      radio("supporter_draft", `A draft for ${name}`, true),
      radio("note_to_facilitator", "A note to the facilitator", false)),
    el("p", { class: "hint", id: `draft-hint-${index}` },
      `What you write goes to the facilitator, and ${name} can read it too. The facilitator decides what happens next. The other person never sees anything you write.`),
    el("div", { class: "field" }, el("label", { for: ids.body }, "Your words"), body),
    send);
  formEl.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = body.value;
    if (showFieldProblems(form, text.trim() ? {} : { [ids.body]: "Write something first." })) return;
    const kind = formEl.querySelector(`input[name=kind-${index}]:checked`).value;
    busy(send, async () => {
      try {
        const envelope = crypto.seal({
          sender: me,
          senderId: device.me.user_id,
          caseId: entry.case_id,
          kind,
          recipients: [...recipientsOf(entry.facilitators), ...recipientsOf([entry.participant]),
            { keyId: me.keyId, publicKey: me.public }],
          payload: { body: text },
          messageId: crypto.newMessageId(),
        });
        await post("/api/messages", { envelope });
        body.value = "";
        clearFieldProblems(form);
        clearActionProblem(ids.send);
        announce("Sent. The facilitator will read it.");
        await load();
      } catch (error) {
        // 404: consent has ended (or the case is gone), so nothing of it is the supporter's now.
        const words = isOffline(error) ? "You are not connected. Nothing was sent; try again when you are back online."
          : error.status === 404 ? "This was not sent: you are no longer supporting this person. Their help may have been ended by them or their facilitator."
            : error.message;
        showActionProblem(ids.send, words, isOffline(error) ? "offline" : "error");
      }
    });
  });

  const section = el("li", { class: "case-item stack" },
    el("p", {}, `You are supporting ${name} (${SIDES[entry.side]}). `,
      `Their facilitators: ${entry.facilitators.map((f) => f.display_name).join(", ") || "none yet"}.`),
    el("h3", {}, `${name}'s side of the conversation`),
    empty, list, formEl);
  return { section, load };
}

export async function supportingPage() {
  const device = await signedInDevice();
  if (!device) return;
  installSignOut();
  const { cases } = await get("/api/supporting");
  if (!cases.length) {
    $("supporting").replaceChildren(el("li", {}, "You are not supporting anyone at the moment. If you think this is wrong, ask the person you support or their facilitator."));
    return;
  }
  const parts = cases.map((entry, index) => caseSection(entry, index, device));
  $("supporting").replaceChildren(...parts.map((p) => p.section));
  await Promise.all(parts.map((p) => p.load()));
}
