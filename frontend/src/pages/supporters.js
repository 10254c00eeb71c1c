// A participant's supporters: ask for one (who it is goes to the facilitators as a note,
// sealed here to them and this participant's own key), see where each request stands, take
// a request back or end a supporter's help. The server decides what is allowed; the page
// shows the state it reports and follows supporter changes live.

import * as crypto from "../crypto/index.js";
import { get, post } from "../api.js";
import { facilitatorRecipients } from "../casekeys.js";
import { installSignOut, signedInDevice } from "../session.js";
import { followEvents } from "../socket.js";
import { supporterActions, supporterWordsForParticipant } from "../supporters.js";
import { t } from "../i18n/messages.js";
import { $, announce, busy, el, when } from "../ui.js";

// Looked up when the page is drawn, so that t() reads the page's language then.
const buttons = () => ({
  take_back: { label: t("Take back this request"), done: t("Your request was taken back.") },
  end: { label: t("End this supporter's help"), done: t("Their help has ended. They can no longer see anything in your case.") },
});

export async function supportersPage() {
  const device = await signedInDevice();
  if (!device) return;
  installSignOut();
  const me = device.keyPair;
  const caseId = document.body.dataset.caseId;
  let summary = await get(`/api/cases/${caseId}`);

  async function render() {
    const { supporters } = await get(`/api/cases/${caseId}/supporters`);
    $("supporters").replaceChildren(...supporters.slice().reverse().map((s) => el("li", { class: "case-item" },
      when(s.ended_at || s.requested_at), " ", supporterWordsForParticipant(s),
      ...supporterActions(s, "participant").map((action) => el("button", {
        type: "button",
        class: "secondary",
        onclick: (event) => busy(event.currentTarget, async () => {
          await post(`/api/supporters/${s.supporter_id}/end`);
          await render();
          announce(buttons()[action].done);
        }),
      }, buttons()[action].label)))));
    if (!supporters.length) $("supporters").replaceChildren(el("li", {}, t("You have not asked for a supporter.")));
    $("supporter-form").hidden = summary.participation === "withdrawn";
  }

  $("supporter-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy(event.submitter, async () => {
      const who = $("supporter-who").value;
      await post(`/api/cases/${caseId}/supporters`);
      if (who.trim()) {
        const envelope = crypto.seal({
          sender: me,
          senderId: device.me.user_id,
          caseId,
          kind: "note_to_facilitator",
          recipients: [...facilitatorRecipients(summary), { keyId: me.keyId, publicKey: me.public }],
          payload: { body: t("I would like a supporter: {who}", { who }) },
        });
        await post("/api/messages", { envelope });
        $("supporter-who").value = "";
      }
      await render();
      announce(t("You asked for a supporter. Your facilitator will talk to you about it."));
    });
  });

  await render();
  await followEvents({
    onEvent: (event, live) => {
      if (!live || event.type !== "case" || event.case_id !== caseId) return;
      const change = event.data && event.data.change;
      if (change === "facilitators") get(`/api/cases/${caseId}`).then((fresh) => { summary = fresh; });
      if (change === "supporter") render();
    },
  });
}
