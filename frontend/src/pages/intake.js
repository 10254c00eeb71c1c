// The hub manager's intake: the hub's intake key (made here, its private half sealed to
// each hub manager's and admin's key), the referrals waiting, opened here, and for each
// either a case (then its facilitator) or a decline with signposting (docs/intake.md).

import * as crypto from "../crypto/index.js";
import { get, post } from "../api.js";
import { installSignOut, signedInDevice } from "../session.js";
import { $, announce, busy, el, showError, when } from "../ui.js";

const choices = () => JSON.parse($("intake-choices").dataset.choices);

function wrapsFor(intake, holders) {
  return holders.map((holder) => ({
    key_id: holder.key_id,
    sealed_secret: crypto.b64(crypto.sealSecretTo(intake.secret, crypto.unb64(holder.public_key))),
  }));
}

// The intake keys this person holds, by intake key id.
function openWraps(reply, device) {
  const keys = new Map();
  for (const wrap of reply.wraps) {
    try {
      keys.set(wrap.intake_key_id, crypto.openSealedSecret(crypto.unb64(wrap.sealed_secret), device.keyPair));
    } catch {
      // A wrap to an older key of ours: that intake key is not ours to open any more.
    }
  }
  return keys;
}

function showKey(reply, keys) {
  const current = reply.intake_key;
  const missing = reply.holders.filter((h) => !h.has_intake_key);
  const mine = current && keys.has(current.key_id);
  let status;
  if (!current) status = "The hub has no intake key yet: nobody can refer themselves online until you create it.";
  else if (!mine) status = "You do not hold the intake key yet. Ask a hub manager who holds it to give it to you.";
  else status = `You hold the intake key (key id ${current.key_id}).`;
  if (mine && missing.length) status += ` ${missing.length} manager(s) or admin(s) do not hold it yet.`;
  $("intake-key-status").textContent = status;
  $("intake-key-create").hidden = Boolean(current);
  $("intake-key-share").hidden = !(mine && missing.length);
}

function select(id, label, options) {
  return el(
    "div",
    { class: "field" },
    el("label", { for: id, text: label }),
    el("select", { id }, ...options.map(([value, text]) => el("option", { value, text }))),
  );
}

function contentLines(content) {
  if (!content) return [el("p", { class: "error", text: "This referral could not be opened with the intake keys you hold." })];
  const contact = content.contact || {};
  const line = (label, text) => (text ? el("p", {}, el("strong", { text: `${label}: ` }), text) : null);
  return [
    line("What happened", content.what_happened),
    line("When", content.when),
    line("Reported to the police", content.reported_to_police),
    line("Name", contact.name || content.person_name),
    line("Contact by", (contact.methods || []).join(", ")),
    line("Phone", contact.phone),
    line("Email", contact.email),
    line("Post", contact.post),
    line("Safe times", contact.safe_times),
    line("How to contact", content.person_contact),
    line("Support needs", content.support_needs),
  ].filter(Boolean);
}

function assignForm(caseId, facilitators, n) {
  const id = `assign-${n}`;
  const form = el(
    "form",
    { class: "stack", novalidate: true, "aria-label": "Assign a facilitator" },
    select(id, "Facilitator", facilitators.map((f) => [f.user_id, `${f.display_name} (${f.training_level} training, ${f.cases} cases)`])),
    el("div", { class: "actions" }, el("button", { type: "submit", text: "Assign" })),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form.querySelector("button"), async () => {
      const done = await post(`/api/cases/${caseId}/facilitators`, { facilitator_id: $(id).value });
      const names = done.facilitators.map((f) => f.display_name).join(" and ");
      form.after(el("p", { class: "banner", text: `Case ${done.reference}: assigned to ${names}.` }));
      announce(`Assigned to ${names}.`);
    });
  });
  return form;
}

function referralItem(referral, n, lists, reload) {
  const picked = choices();
  const source = Object.fromEntries(picked.sources)[referral.source] || referral.source;
  const head = el("p", { class: "message-time" }, `${referral.reference} · ${source} · received `, when(referral.received_at));
  const item = el("li", { class: "message" }, el("h3", { text: `Referral ${referral.reference}` }), head, ...contentLines(referral.content));
  if (referral.consent) {
    item.append(el("p", { text: `Consent given by ${referral.consent.given_by}, ${referral.consent.method}, on ${referral.consent.given_on} (recorded by ${referral.referrer.display_name}).` }));
  }
  if (referral.state !== "waiting") {
    item.append(el("p", { class: "banner", text: referral.state === "accepted" ? `Accepted: case ${referral.case_reference}.` : `Declined (${referral.decline_reason}).` }));
    if (referral.state === "accepted") item.append(assignForm(referral.case_id, lists.facilitators, `d${n}`));
    return item;
  }
  const accept = el(
    "form",
    { class: "stack", novalidate: true, "aria-label": `Accept ${referral.reference}` },
    el("h4", { text: "Take it on" }),
    select(`category-${n}`, "Kind of offence", picked.offence_categories),
    select(`complexity-${n}`, "Complexity", picked.complexities),
    el("div", { class: "actions" }, el("button", { type: "submit", text: "Accept and create the case" })),
  );
  accept.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(accept.querySelector("button"), async () => {
      const done = await post(`/api/referrals/${referral.referral_id}/accept`, {
        offence_category: $(`category-${n}`).value,
        complexity: $(`complexity-${n}`).value,
      });
      accept.replaceWith(
        el("p", { class: "banner", text: `Case ${done.case_reference} created. Assign its facilitator.` }),
        assignForm(done.case_id, lists.facilitators, n),
      );
      decline.remove();
      announce(`Case ${done.case_reference} created.`);
    });
  });
  const services = picked.signposting.map((service, i) =>
    el("div", { class: "radio" }, el("input", { type: "checkbox", id: `sign-${n}-${i}`, value: service.key }), el("label", { for: `sign-${n}-${i}`, text: service.name })),
  );
  const decline = el(
    "form",
    { class: "stack", novalidate: true, "aria-label": `Decline ${referral.reference}` },
    el("h4", { text: "Or decline it" }),
    select(`reason-${n}`, "Why", picked.decline_reasons),
    el("fieldset", { class: "field" }, el("legend", { text: "Point them to" }), ...services),
    el("div", { class: "actions" }, el("button", { type: "submit", class: "secondary", text: "Decline with these services" })),
  );
  decline.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(decline.querySelector("button"), async () => {
      const keys = [...decline.querySelectorAll("input[type=checkbox]:checked")].map((box) => box.value);
      await post(`/api/referrals/${referral.referral_id}/decline`, { reason: $(`reason-${n}`).value, signposting: keys });
      announce(`Referral ${referral.reference} declined.`);
      await reload();
    });
  });
  item.append(accept, decline);
  return item;
}

export async function intakePage() {
  const device = await signedInDevice();
  if (!device) return;
  installSignOut();
  let keyReply = await get("/api/hub/intake-key");
  let keys = openWraps(keyReply, device);
  showKey(keyReply, keys);

  async function reload() {
    const [{ waiting, decided }, { facilitators }] = await Promise.all([get("/api/referrals"), get("/api/facilitators")]);
    const lists = { facilitators };
    const open = (referral) => {
      const key = keys.get(referral.intake_key_id);
      try {
        return { ...referral, content: key ? crypto.openReferral(referral.sealed, key) : null };
      } catch {
        return { ...referral, content: null };
      }
    };
    $("waiting-empty").hidden = waiting.length > 0;
    $("waiting-list").replaceChildren(...waiting.map((r, i) => referralItem(open(r), `w${i}`, lists, reload)));
    $("decided-empty").hidden = decided.length > 0;
    $("decided-list").replaceChildren(...decided.map((r, i) => referralItem(open(r), i, lists, reload)));
  }

  $("intake-key-create").addEventListener("click", () =>
    busy($("intake-key-create"), async () => {
      const intake = crypto.generateKeyPair();
      keyReply = await post("/api/hub/intake-key", {
        public_key: crypto.b64(intake.public),
        wraps: wrapsFor(intake, keyReply.holders),
      });
      keys = openWraps(keyReply, device);
      showKey(keyReply, keys);
      announce("The intake key is ready.");
    }),
  );
  $("intake-key-share").addEventListener("click", () =>
    busy($("intake-key-share"), async () => {
      const current = keyReply.intake_key;
      const missing = keyReply.holders.filter((h) => !h.has_intake_key);
      keyReply = await post("/api/hub/intake-key/share", {
        intake_key_id: current.key_id,
        wraps: wrapsFor(keys.get(current.key_id), missing),
      });
      showKey(keyReply, keys);
      announce("The intake key was given to them.");
    }),
  );
  await reload().catch((error) => showError(error.message));
}
