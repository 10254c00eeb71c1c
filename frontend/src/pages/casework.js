// The case page's "Case work" section for a facilitator: the stage and the next steps the
// server offers, forms for assessment records (their words sealed in the browser to exactly
// the case's current facilitators, as relay_client's seal_for_facilitators does) and the
// timeline with each record's words opened here.

import * as crypto from "../crypto/index.js";
import { get, post } from "../api.js";
import { facilitatorRecipients, openMessage, recipientsOf, trustedKeys } from "../casekeys.js";
import { STAGE_WORDS, STEPS, entryWords, recordWords, stepsOffered } from "../casework.js";
import { t } from "../i18n/messages.js";
import { $, announce, el, when } from "../ui.js";

export function installCasework({ caseId, device, getSummary, refresh }) {
  const me = device.keyPair;
  const criteria = Object.fromEntries(
    [...document.querySelectorAll("#suitability-form input[type=checkbox]")]
      .map((box) => [box.name, document.querySelector(`label[for="${box.id}"]`).textContent.toLocaleLowerCase(document.documentElement.lang || undefined)]),
  );

  function showProblem(message) {
    const box = $("casework-error");
    box.textContent = message;
    box.hidden = !message;
  }

  // Run a step or a record from its button; a refusal is shown beside the forms.
  async function attempt(button, work) {
    showProblem("");
    button.disabled = true;
    try {
      await work();
    } catch (error) {
      showProblem(error && error.message ? error.message : t("Something went wrong. Please try again."));
    } finally {
      button.disabled = false;
    }
  }

  function sealNote(kind, text) {
    if (!text.trim()) return null;
    return crypto.seal({
      sender: me,
      senderId: device.me.user_id,
      caseId,
      kind,
      recipients: facilitatorRecipients(getSummary()),
      payload: { body: text },
    });
  }

  async function addRecord(kind, facts, noteField) {
    const text = noteField ? $(noteField).value : "";
    await post(`/api/cases/${caseId}/records`, { kind, facts, envelope: sealNote(kind, text) });
    if (noteField) $(noteField).value = "";
    await renderTimeline();
    announce(t("Recorded."));
  }

  function onSubmit(formId, work) {
    $(formId).addEventListener("submit", (event) => {
      event.preventDefault();
      attempt(event.submitter || $(formId).querySelector("button"), work);
    });
  }

  onSubmit("suitability-form", () => addRecord("suitability", Object.fromEntries(
    [...document.querySelectorAll("#suitability-form input[type=checkbox]")].map((box) => [box.name, box.checked]),
  ), "suitability-note"));
  onSubmit("risk-form", () => addRecord("risk_assessment", { level: $("risk-level").value }, "risk-note"));
  onSubmit("contact-form", () => addRecord("contact_attempt", {
    side: $("contact-side").value, method: $("contact-method").value, reached: $("contact-reached").checked,
  }, "contact-note"));
  onSubmit("approach-form", () => addRecord("approach", { response: $("approach-response").value }, null));
  onSubmit("case-note-form", async () => {
    if (!$("case-note").value.trim()) throw new Error(t("Write the case note first."));
    await addRecord("case_note", {}, "case-note");
  });

  // Finding the case unsuitable: the reason sealed to the facilitators, a notice to each
  // person with a key sealed to them and the facilitators, services from the hub's list.
  get("/api/hub").then((hub) => {
    $("unsuitable-services").replaceChildren(...hub.signposting.map((service) => el("div", { class: "field" },
      el("input", { type: "checkbox", id: `service-${service.key}`, value: service.key }),
      el("label", { for: `service-${service.key}` }, service.name))));
  }).catch((error) => showProblem(error.message));

  const keyedSides = () => getSummary().participants.filter((p) => p.key);
  onSubmit("unsuitable-form", async () => {
    const reason = $("unsuitable-reason").value;
    if (!reason.trim()) throw new Error(t("Write why the case is not suitable."));
    const notices = keyedSides().map((person) => {
      const text = $(`unsuitable-notice-${person.side}`).value;
      if (!text.trim()) throw new Error(t("Write what to tell each person."));
      return crypto.seal({
        sender: me,
        senderId: device.me.user_id,
        caseId,
        kind: "unsuitable_notice",
        recipients: [...facilitatorRecipients(getSummary()), ...recipientsOf([person])],
        payload: { body: text },
      });
    });
    const signposting = [...document.querySelectorAll("#unsuitable-services input:checked")].map((box) => box.value);
    await post(`/api/cases/${caseId}/unsuitable`, {
      reason: sealNote("unsuitable_reason", reason), notices, signposting,
    });
    await refresh();
    await renderTimeline();
    announce(t("The case was found unsuitable and is closed."));
  });

  async function renderTimeline() {
    const timeline = await get(`/api/cases/${caseId}/timeline`);
    const keys = trustedKeys(getSummary(), me, device.me.user_id);
    $("timeline").replaceChildren(...timeline.entries.map((entry) => {
      const item = el("li", { class: "case-item" }, when(entry.at), " ",
        entry.record ? recordWords(entry.record, criteria) : entryWords(entry),
        entry.by ? [" ", t("By {name}.", { name: entry.by })] : "");
      if (entry.record && entry.record.envelope) {
        const opened = openMessage({ envelope: entry.record.envelope }, keys, me);
        item.append(opened.error
          ? el("p", { class: "error" }, t("These words could not be opened: {error}", { error: opened.error }))
          : el("p", { class: "message-body" }, opened.text));
      }
      return item;
    }));
  }

  function render() {
    const summary = getSummary();
    $("casework-stage").textContent = STAGE_WORDS[summary.state] || summary.state;
    const assessing = summary.state === "assessing";
    for (const id of ["suitability-form", "risk-form", "contact-form", "approach-form"]) {
      $(id).hidden = !assessing;
    }
    $("case-note-form").hidden = summary.state === "closed";
    $("unsuitable-form").hidden = !(summary.case_steps || []).includes("find_unsuitable");
    const keyed = new Set(summary.participants.filter((p) => p.key).map((p) => p.side));
    for (const side of ["harmed", "responsible"]) $(`unsuitable-notice-${side}-field`).hidden = !keyed.has(side);
    $("casework-steps").replaceChildren(...stepsOffered(summary.case_steps).map((name) => el("button", {
      type: "button",
      onclick: (event) => attempt(event.currentTarget, async () => {
        await post(`/api/cases/${caseId}/${STEPS[name].path}`);
        await refresh();
        await renderTimeline();
        announce(STEPS[name].done);
      }),
    }, STEPS[name].label)));
  }

  return { render, renderTimeline };
}
