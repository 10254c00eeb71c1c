// The satisfaction survey a participant is offered when their part ends: every question may
// be skipped, and so may the whole survey. The answers are counted, never shown to the
// facilitator as theirs; the comment is sealed here to the hub managers.

import * as crypto from "../crypto/index.js";
import { get, post } from "../api.js";
import { installSignOut, signedInDevice } from "../session.js";
import { t } from "../i18n/messages.js";
import { $, announce, busy, el, focusHeading } from "../ui.js";

function question(q) {
  return el("fieldset", { class: "stack" },
    el("legend", {}, q.question),
    ...q.choices.map((choice) => {
      const id = `${q.name}-${choice.value}`;
      return el("div", { class: "radio" },
        el("input", { type: "radio", name: q.name, id, value: choice.value }),
        el("label", { for: id }, choice.label));
    }));
}

function finished(words) {
  $("survey-form").hidden = true;
  $("survey-done").hidden = false;
  $("survey-done-text").textContent = words;
  focusHeading("survey-done-heading");
}

export async function surveyPage() {
  const device = await signedInDevice();
  if (!device) return;
  installSignOut();
  const caseId = document.body.dataset.caseId;
  const survey = await get(`/api/cases/${caseId}/survey`);
  if (!survey.may_answer) {
    finished(survey.state === "answered" ? t("You have answered the survey. Thank you.") : t("There is no survey for you to answer here."));
    return;
  }
  $("survey-questions").replaceChildren(...survey.questions.map(question));
  $("survey-form").hidden = false;
  $("survey-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy(event.submitter, async () => {
      const answers = {};
      for (const q of survey.questions) {
        const chosen = document.querySelector(`input[name="${q.name}"]:checked`);
        if (chosen) answers[q.name] = chosen.value;
      }
      const text = $("survey-comment").value.trim();
      const comment = text
        ? crypto.sealComment({
          recipients: survey.comment_recipients.map((r) => ({ keyId: r.key_id, publicKey: crypto.unb64(r.public_key) })),
          payload: { body: text },
        })
        : null;
      await post(`/api/cases/${caseId}/survey`, { answers, comment });
      $("survey-comment").value = "";
      announce(t("Thank you. Your answers were sent."));
      finished(t("Thank you. Your answers were sent. They are counted together with everyone else's."));
    });
  });
  $("survey-skip").addEventListener("click", (event) => busy(event.currentTarget, async () => {
    await post(`/api/cases/${caseId}/survey/decline`);
    finished(t("You chose not to take the survey. You will not be asked again."));
  }));
}
