// Survey comments for a hub manager: each sealed to the hub managers' keys, opened here.
// They carry the month only: nothing says who wrote them or in which case.

import * as crypto from "../crypto/index.js";
import { get } from "../api.js";
import { installSignOut, signedInDevice } from "../session.js";
import { t } from "../i18n/messages.js";
import { $, el, formatDate } from "../ui.js";

// The month a comment was written (YYYY-MM), in the page's language.
function monthWords(month) {
  return formatDate(new Date(`${month}-01T00:00:00Z`), { month: "long", year: "numeric", timeZone: "UTC" });
}

export async function commentsPage() {
  const device = await signedInDevice();
  if (!device) return;
  installSignOut();
  const { comments } = await get("/api/survey-comments");
  $("comments-empty").hidden = comments.length > 0;
  $("comment-list").replaceChildren(...comments.map((item) => {
    let text;
    try {
      text = crypto.openComment(item.comment, device.keyPair).body;
    } catch (error) {
      text = t("(This comment could not be opened: {error})", { error: error.message });
    }
    return el("li", { class: "message" }, el("p", { class: "message-time" }, t("Written in {month}", { month: monthWords(item.month) })), el("p", { class: "message-body" }, text));
  }));
}
