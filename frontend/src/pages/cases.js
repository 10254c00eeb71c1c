// A facilitator's cases, with how many messages wait in each.

import { get } from "../api.js";
import { installSignOut, signedInDevice } from "../session.js";
import { $, el } from "../ui.js";
import { caseStateWords } from "../casestate.js";

export async function casesPage() {
  if (!(await signedInDevice())) return;
  installSignOut();
  const { cases } = await get("/api/cases");
  $("cases-empty").hidden = cases.length > 0;
  const items = await Promise.all(
    cases.map(async (summary) => {
      const { messages } = await get(`/api/cases/${summary.case_id}/queue`);
      return el(
        "li",
        { class: "case-item" },
        el("a", { href: `/cases/${summary.case_id}` }, `Case ${summary.reference}`),
        el("p", {}, caseStateWords(summary)),
        el("p", {}, messages.length === 1 ? "1 message waiting" : `${messages.length} messages waiting`),
      );
    }),
  );
  $("case-list").replaceChildren(...items);
}
