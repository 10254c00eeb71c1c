// Sign in: the password becomes a login key and a wrap key here; staff then confirm their
// second factor before their private key is fetched and unwrapped.

import * as crypto from "../crypto/index.js";
import { get, post } from "../api.js";
import { signIn, unlock } from "../session.js";
import { t } from "../i18n/messages.js";
import { $, busy, go, loading, nextStep, showError } from "../ui.js";

function homeFor(me) {
  if (me.role === "participant") return "/conversation";
  if (me.role === "commissioner" || me.role === "hub_manager") return "/statistics";
  if (me.role === "referrer") return "/referrals";
  if (me.role === "supporter") return "/supporting";
  return "/cases";
}

export async function signinPage() {
  let pending = null; // { me, wrapKey, loginKey } between password and second factor

  async function finish(me) {
    await unlock(me, pending.wrapKey, pending.loginKey);
    go(homeFor(me));
  }

  $("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const username = $("signin-username").value.trim();
    const password = $("signin-password").value;
    if (!username || !password) {
      showError(t("Enter your username and your password."));
      return;
    }
    busy(event.submitter, async () => {
      loading(true);
      try {
        const result = await signIn(username, password);
        $("signin-password").value = "";
        pending = { me: result.me, wrapKey: result.wrapKey, loginKey: result.loginKey };
        if (result.me.second_factor_required && !result.me.second_factor_verified) {
          nextStep("signin-form", "second-factor-form", "second-factor-heading");
          return;
        }
        await finish(result.me);
      } finally {
        loading(false);
      }
    });
  });

  $("second-factor-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("second-factor-token").value.trim();
    if (!token) {
      showError(t("Enter the code from your authenticator app or a backup code."));
      return;
    }
    busy(event.submitter, async () => {
      const me = await post("/api/otp/verify", { token });
      await finish(me);
    });
  });

  $("second-factor-setup-start").addEventListener("click", (event) => {
    busy(event.currentTarget, async () => {
      const setup = await get("/api/otp/setup");
      $("second-factor-qr").src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(setup.qr_svg)}`;
      $("second-factor-uri").textContent = setup.otpauth_uri;
      nextStep("second-factor-form", "second-factor-setup", "second-factor-setup-heading");
    });
  });

  $("second-factor-confirm-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("second-factor-confirm-token").value.trim();
    busy(event.submitter, async () => {
      const result = await post("/api/otp/confirm", { token });
      const list = $("backup-code-list");
      list.replaceChildren(...result.backup_codes.map((code) => {
        const item = document.createElement("li");
        item.textContent = code;
        return item;
      }));
      nextStep("second-factor-confirm-form", "backup-codes");
    });
  });

  $("backup-codes-done").addEventListener("click", (event) => {
    busy(event.currentTarget, async () => finish(await get("/api/me")));
  });

  await crypto.ready();
  $("signin-username").focus();
}
