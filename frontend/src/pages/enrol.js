// Enrolment: the code the facilitator gave, then a password; the key pair is made here and
// only the public key and the password-wrapped private key leave the browser.

import * as crypto from "../crypto/index.js";
import { post } from "../api.js";
import { deriveKeys, remember } from "../session.js";
import { $, busy, focusHeading, go, loading, showError } from "../ui.js";

const MIN_PASSWORD = 10;

export async function enrolPage() {
  let invitation = null;
  let code = "";

  $("enrol-code-form").addEventListener("submit", (event) => {
    event.preventDefault();
    code = $("enrol-code").value.trim();
    if (!code) {
      showError("Enter the code your facilitator gave you.");
      return;
    }
    busy(event.submitter, async () => {
      invitation = await post("/api/enrol/check", { code });
      $("enrol-display-name").textContent = invitation.display_name || invitation.username;
      $("enrol-username").textContent = invitation.username;
      $("enrol-code-form").hidden = true;
      $("enrol-password-form").hidden = false;
      focusHeading("enrol-password-heading");
    });
  });

  $("enrol-password-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const password = $("enrol-password").value;
    if (password.length < MIN_PASSWORD) {
      showError(`Your password needs at least ${MIN_PASSWORD} characters.`);
      return;
    }
    if (password !== $("enrol-password-again").value) {
      showError("The two passwords are not the same. Type them again.");
      return;
    }
    busy(event.submitter, async () => {
      loading(true);
      try {
        const keys = await deriveKeys(password, invitation);
        const pair = crypto.generateKeyPair();
        const wrapped = crypto.wrapSecretKey(pair.secret, keys.wrapKey);
        const me = await post("/api/enrol", {
          code,
          login_key: crypto.b64(keys.loginKey),
          public_key: crypto.b64(pair.public),
          wrapped_private_key: crypto.b64(wrapped.box),
          wrapped_key_nonce: crypto.b64(wrapped.nonce),
        });
        $("enrol-password").value = "";
        $("enrol-password-again").value = "";
        remember(me, pair);
        $("enrol-fingerprint").textContent = crypto.fingerprintFor(pair.public);
        $("enrol-password-form").hidden = true;
        $("enrol-done").hidden = false;
        focusHeading("enrol-done-heading");
      } finally {
        loading(false);
      }
    });
  });

  $("enrol-continue").addEventListener("click", () => go("/conversation"));
  await crypto.ready();
}
