// Change password: both passwords become keys here; the private key this tab already holds
// is wrapped again under the new wrap key, so the server never sees either password and the
// history still opens (docs/accounts.md, "Changing the password").

import * as crypto from "../crypto/index.js";
import { post } from "../api.js";
import { deriveKeys, installSignOut, signedInDevice } from "../session.js";
import { t } from "../i18n/messages.js";
import { $, announce, busy, el, loading } from "../ui.js";

const MIN_PASSWORD = 10;
const FIELDS = { current: "password-current", new: "password-new", confirm: "password-confirm" };

// GOV.UK pattern: a summary at the top that takes focus and links to each field, and the
// message beside the field.
function showProblems(problems) {
  const list = $("error-summary-list");
  list.replaceChildren();
  for (const [field, id] of Object.entries(FIELDS)) {
    const message = problems[field];
    const slot = $(`${id}-error`);
    slot.hidden = !message;
    slot.textContent = message ? message : "";
    $(id).setAttribute("aria-invalid", message ? "true" : "false");
    if (message) {
      const link = el("a", { href: `#${id}`, text: message });
      link.addEventListener("click", (event) => {
        event.preventDefault();
        $(id).focus();
      });
      list.append(el("li", {}, link));
    }
  }
  const summary = $("error-summary");
  summary.hidden = list.children.length === 0;
  if (!summary.hidden) summary.focus();
}

function check(current, next, confirm) {
  const problems = {};
  if (!current) problems.current = t("Enter your current password");
  if (next.length < MIN_PASSWORD) problems.new = t("Your new password needs at least {count} characters", { count: MIN_PASSWORD });
  else if (next === current) problems.new = t("Your new password must be different from the current one");
  if (!problems.new && confirm !== next) problems.confirm = t("The two new passwords are not the same");
  return problems;
}

export async function passwordPage() {
  installSignOut();
  const device = await signedInDevice();
  if (!device) return;
  $("password-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const current = $(FIELDS.current).value;
    const next = $(FIELDS.new).value;
    const problems = check(current, next, $(FIELDS.confirm).value);
    showProblems(problems);
    if (Object.keys(problems).length) return;
    busy(event.submitter, async () => {
      loading(true);
      try {
        const saltInfo = await post("/api/salt", { username: device.me.username });
        const old = await deriveKeys(current, saltInfo);
        const fresh = await deriveKeys(next, saltInfo);
        const wrapped = crypto.wrapSecretKey(device.keyPair.secret, fresh.wrapKey);
        try {
          await post("/api/password", {
            login_key: crypto.b64(old.loginKey),
            new_login_key: crypto.b64(fresh.loginKey),
            wrapped_private_key: crypto.b64(wrapped.box),
            wrapped_key_nonce: crypto.b64(wrapped.nonce),
          });
        } catch (error) {
          if (error.code === "bad_credentials") {
            showProblems({ current: t("Your current password is not right") });
            return;
          }
          throw error;
        }
        for (const id of Object.values(FIELDS)) $(id).value = "";
        $("password-form").hidden = true;
        $("password-done").hidden = false;
        announce(t("Your password has been changed"));
      } finally {
        loading(false);
      }
    });
  });
}
