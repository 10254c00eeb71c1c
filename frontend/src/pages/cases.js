// A facilitator's cases, with how many messages wait in each.

import * as crypto from "../crypto/index.js";
import { get } from "../api.js";
import { recall, signOut } from "../session.js";
import { $, el, go } from "../ui.js";
import { caseStateWords } from "./case.js";

export async function casesPage() {
  await crypto.ready();
  if (!recall()) {
    go("/signin");
    return;
  }
  $("sign-out").addEventListener("click", async () => {
    await signOut();
    go("/signin");
  });
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
