// Enrolment: the code the facilitator gave, then a password; the key pair is made here and
// only the public key and the password-wrapped private key leave the browser.

import * as crypto from "../crypto/index.js";
import { post } from "../api.js";
import { deriveKeys, newWrappedKeyPair, remember } from "../session.js";
import { t } from "../i18n/messages.js";
import { $, busy, go, loading, nextStep, showError } from "../ui.js";

const MIN_PASSWORD = 10;

export async function enrolPage() {
  let invitation = null;
  let code = "";
  let home = "/conversation";

  $("enrol-code-form").addEventListener("submit", (event) => {
    event.preventDefault();
    code = $("enrol-code").value.trim();
    if (!code) {
      showError(t("Enter the code your facilitator gave you."));
      return;
    }
    busy(event.submitter, async () => {
      invitation = await post("/api/enrol/check", { code });
      $("enrol-display-name").textContent = invitation.display_name || t("there");
      nextStep("enrol-code-form", "enrol-password-form", "enrol-password-heading");
    });
  });

  $("enrol-password-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const password = $("enrol-password").value;
    if (password.length < MIN_PASSWORD) {
      showError(t("Your password needs at least {count} characters.", { count: MIN_PASSWORD }));
      return;
    }
    if (password !== $("enrol-password-again").value) {
      showError(t("The two passwords are not the same. Type them again."));
      return;
    }
    busy(event.submitter, async () => {
      loading(true);
      try {
        const keys = await deriveKeys(password, invitation);
        const { pair, fields } = newWrappedKeyPair(keys.wrapKey);
        const me = await post("/api/enrol", { code, login_key: crypto.b64(keys.loginKey), ...fields });
        $("enrol-password").value = "";
        $("enrol-password-again").value = "";
        remember(me, pair);
        $("enrol-username").textContent = me.username;
        $("enrol-fingerprint").textContent = crypto.fingerprintFor(pair.public);
        if (me.role === "supporter") {
          home = "/supporting";
          $("enrol-continue").textContent = t("See who you are supporting");
        }
        nextStep("enrol-password-form", "enrol-done", "enrol-done-heading");
      } finally {
        loading(false);
      }
    });
  });

  $("enrol-continue").addEventListener("click", () => go(home));
  await crypto.ready();
}
