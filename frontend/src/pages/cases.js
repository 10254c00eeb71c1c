// A facilitator's cases, with how many messages wait in each.

import { get } from "../api.js";
import { installSignOut, signedInDevice } from "../session.js";
import { $, announce, dayWords, el, showError } from "../ui.js";
import { followEvents } from "../socket.js";
import { oneAtATime } from "../oneatatime.js";
import { caseStateWords } from "../casestate.js";
import { t } from "../i18n/messages.js";
import { agreementKinds } from "./ending.js";

export async function casesPage() {
  if (!(await signedInDevice())) return;
  installSignOut();
  await showCases();
  // The list follows the live stream: a new message, a decision, a pause or a change of
  // case reads the list again (one read at a time), and says so.
  const reread = oneAtATime(showCases, () => {});
  await followEvents({
    onEvent: (event, live) => {
      if (!live || !LIST_EVENTS.includes(event.type)) return;
      reread().then(() => announce(t("Your cases have been updated."))).catch((error) => showError(error.message));
    },
  });
}

const LIST_EVENTS = ["message", "message_state", "communication", "participation", "case"];

async function showCases() {
  const { cases } = await get("/api/cases");
  $("cases-empty").hidden = cases.length > 0;
  const items = await Promise.all(
    cases.map(async (summary) => {
      const { messages } = await get(`/api/cases/${summary.case_id}/queue`);
      return el(
        "li",
        { class: "case-item" },
        el("a", { href: `/cases/${summary.case_id}` }, t("Case {reference}", { reference: summary.reference })),
        el("p", {}, caseStateWords(summary)),
        el("p", {}, messages.length === 1 ? t("1 message waiting") : t("{count} messages waiting", { count: messages.length })),
      );
    }),
  );
  $("case-list").replaceChildren(...items);
  const { follow_ups: due } = await get("/api/follow-ups");
  $("follow-ups").hidden = due.length === 0;
  $("follow-up-list").replaceChildren(...due.map((item) => el(
    "li",
    { class: "case-item" },
    el("a", { href: `/cases/${item.case_id}` }, t("Case {reference}", { reference: item.reference })),
    el("p", {}, t("{agreed}: follow up on {day}", {
      agreed: agreementKinds()[item.kind] ?? item.kind, day: dayWords(item.follow_up_on),
    })),
  )));
}
