// What this tab remembers between pages: the user's private key, unwrapped with their
// password at sign-in. sessionStorage lives only as long as the tab, and quick exit and
// sign-out clear it. The password and the wrap key are never stored.

import * as crypto from "./crypto/index.js";
import { api, get, post } from "./api.js";
import { $, go } from "./ui.js";

const KEY = "relay.device";

export function kdfFloor() {
  const raw = document.body.dataset.kdfFloor;
  if (!raw) return crypto.KDF_FLOOR;
  const [opslimit, memlimit] = raw.split(" ").map(Number);
  return { opslimit, memlimit };
}

export function remember(me, keyPair) {
  sessionStorage.setItem(
    KEY,
    JSON.stringify({ me, secret: crypto.b64(keyPair.secret) }),
  );
}

export function forget() {
  try {
    sessionStorage.clear();
  } catch {
    // nothing to clear
  }
}

// { me, keyPair } or null when this tab has not signed in.
export function recall() {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return null;
  try {
    const { me, secret } = JSON.parse(raw);
    return { me, keyPair: crypto.keyPairFromSecret(crypto.unb64(secret)) };
  } catch {
    forget();
    return null;
  }
}

function paramsFrom(data) {
  return { salt: crypto.unb64(data.salt), opslimit: data.opslimit, memlimit: data.memlimit };
}

// Argon2id runs for a noticeable moment: let the page show that it is working first.
const nextFrame = () => new Promise((resolve) => setTimeout(resolve, 30));

export async function deriveKeys(password, data) {
  await crypto.ready();
  await nextFrame();
  return crypto.derivePasswordKeys(password, paramsFrom(data), kdfFloor());
}

export async function signIn(username, password) {
  await crypto.ready();
  // In the body, not the URL: usernames stay out of access logs.
  const saltInfo = await post("/api/salt", { username });
  const keys = await deriveKeys(password, saltInfo);
  const loginKey = crypto.b64(keys.loginKey);
  const me = await post("/api/session", { username, login_key: loginKey });
  return { me, wrapKey: keys.wrapKey, loginKey, saltInfo };
}

// A new key pair, made here: the pair itself, and what the server stores of it (the public
// key and the private key wrapped with the password's wrap key).
export function newWrappedKeyPair(wrapKey) {
  const pair = crypto.generateKeyPair();
  const wrapped = crypto.wrapSecretKey(pair.secret, wrapKey);
  return {
    pair,
    fields: {
      public_key: crypto.b64(pair.public),
      wrapped_private_key: crypto.b64(wrapped.box),
      wrapped_key_nonce: crypto.b64(wrapped.nonce),
    },
  };
}

// After sign-in (and the second factor for staff): unwrap the stored private key, or make
// and register a first one when the account has none yet (the login key proves the
// password: the server asks for it before it stores a wrapped key).
export async function unlock(me, wrapKey, loginKey) {
  let wrapped;
  try {
    wrapped = await get("/api/keys/wrapped");
  } catch (error) {
    if (error.status !== 404) throw error;
    const { pair, fields } = newWrappedKeyPair(wrapKey);
    await post("/api/keys", { ...fields, login_key: loginKey });
    const fresh = await get("/api/me");
    remember(fresh, pair);
    return { me: fresh, keyPair: pair };
  }
  crypto.checkKdfFloor(paramsFrom(wrapped), kdfFloor());
  const secret = crypto.unwrapSecretKey(
    crypto.unb64(wrapped.wrapped_key_nonce),
    crypto.unb64(wrapped.wrapped_private_key),
    wrapKey,
  );
  const pair = crypto.keyPairFromSecret(secret);
  remember(me, pair);
  return { me, keyPair: pair };
}

// The start of every signed-in page: this tab's { me, keyPair }, or null after sending a
// tab that has not signed in to the sign-in page.
export async function signedInDevice() {
  await crypto.ready();
  const device = recall();
  if (!device) go("/signin");
  return device;
}

// The page's "Sign out" button.
export function installSignOut() {
  $("sign-out").addEventListener("click", async () => {
    await signOut();
    go("/signin");
  });
}

export async function signOut() {
  forget();
  try {
    await api("DELETE", "/api/session");
  } catch {
    // already signed out
  }
}
