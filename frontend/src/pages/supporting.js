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
import { listWords, t } from "../i18n/messages.js";
import { $, announce, busy, el, when } from "../ui.js";
import { clearActionProblem, clearFieldProblems, isOffline, showActionProblem, showFieldProblems } from "../problems.js";

// Looked up when the page is drawn, so that t() reads the page's language then.
const sideWords = (side) => ({ harmed: t("the person harmed"), responsible: t("the person responsible") })[side] ?? side;

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
  if (!who) return t("A message");
  if (who.role === "me") return wire.kind === "supporter_draft" ? t("Your draft for {name}", { name }) : t("Your note to the facilitator");
  if (who.role === "participant") return t("{name} wrote", { name });
  const derived = wire.envelope?.header?.derived_from;
  if (derived && authors.get(derived) === "participant") return t("The facilitator passed on {name}'s message", { name });
  if (derived) return t("Passed on from the other person by the facilitator");
  return t("The facilitator wrote");
}

function messageItems(messages, keys, me, name) {
  const opened = messages.map((wire) => ({ wire, ...openMessage(wire, keys, me) }));
  const authors = new Map(opened.map((o) => [o.wire.message_id, o.who?.role]));
  return opened.map((o) => el("li", { class: `message ${o.who?.role === "me" ? "mine" : "theirs"}` },
    el("h4", { class: "message-heading" }, writer(o.wire, o.who, name, authors)),
    el("p", { class: "message-time" }, when(o.wire.at)),
    o.error
      ? el("p", { class: "error" }, t("This message could not be opened: {error}", { error: o.error }))
      : el("p", { class: "message-body" }, o.text ?? "")));
}

function caseSection(entry, index, device) {
  const me = device.keyPair;
  const name = entry.participant.display_name || sideWords(entry.side);
  const keys = supporterKeys(entry, me, device.me.user_id);
  const ids = { body: `draft-body-${index}`, send: `draft-send-${index}`, list: `side-${index}` };
  const form = { fieldIds: [ids.body] };
  const list = el("ol", { id: ids.list, class: "messages" });
  const empty = el("p", { class: "hint" }, t("Nothing from {name}'s side yet.", { name }));

  async function load() {
    const { messages } = await get(`/api/cases/${entry.case_id}/supporter-messages`);
    list.replaceChildren(...messageItems(messages, keys, me, name));
    empty.hidden = messages.length > 0;
  }

  const body = el("textarea", { id: ids.body, rows: "6", "aria-describedby": `draft-hint-${index}` });
  const radio = (value, label, checked) => el("div", { class: "radio" },
    el("input", { type: "radio", name: `kind-${index}`, id: `kind-${value}-${index}`, value, checked }),
    el("label", { for: `kind-${value}-${index}` }, label));
  const send = el("button", { type: "submit", id: ids.send }, t("Send to the facilitator"));
  const formEl = el("form", { class: "stack compose", novalidate: true },
    el("h3", {}, t("Write for {name}", { name })),
    el("fieldset", {}, el("legend", {}, t("What are you writing?")),
      radio("supporter_draft", t("A draft for {name}", { name }), true),
      radio("note_to_facilitator", t("A note to the facilitator"), false)),
    el("p", { class: "hint", id: `draft-hint-${index}` },
      t("What you write goes to the facilitator, and {name} can read it too. The facilitator decides what happens next. The other person never sees anything you write.", { name })),
    el("div", { class: "field" }, el("label", { for: ids.body }, t("Your words")), body),
    send);
  formEl.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = body.value;
    if (showFieldProblems(form, text.trim() ? {} : { [ids.body]: t("Write something first.") })) return;
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
        announce(t("Sent. The facilitator will read it."));
        await load();
      } catch (error) {
        // 404: consent has ended (or the case is gone), so nothing of it is the supporter's now.
        const words = isOffline(error) ? t("You are not connected. Nothing was sent; try again when you are back online.")
          : error.status === 404 ? t("This was not sent: you are no longer supporting this person. Their help may have been ended by them or their facilitator.")
            : error.message;
        showActionProblem(ids.send, words, isOffline(error) ? "offline" : "error");
      }
    });
  });

  const facilitators = entry.facilitators.map((f) => f.display_name);
  const section = el("li", { class: "case-item stack" },
    el("p", {}, t("You are supporting {name} ({side}).", { name, side: sideWords(entry.side) }), " ",
      facilitators.length
        ? t("Their facilitators: {names}.", { names: listWords(facilitators) })
        : t("Their facilitators: none yet.")),
    el("h3", {}, t("{name}'s side of the conversation", { name })),
    empty, list, formEl);
  return { section, load };
}

export async function supportingPage() {
  const device = await signedInDevice();
  if (!device) return;
  installSignOut();
  const { cases } = await get("/api/supporting");
  if (!cases.length) {
    $("supporting").replaceChildren(el("li", {}, t("You are not supporting anyone at the moment. If you think this is wrong, ask the person you support or their facilitator.")));
    return;
  }
  const parts = cases.map((entry, index) => caseSection(entry, index, device));
  $("supporting").replaceChildren(...parts.map((p) => p.section));
  await Promise.all(parts.map((p) => p.load()));
}
