// The JSON API: one place that adds the CSRF header and turns errors into plain messages.

import { t } from "./i18n/messages.js";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

function cookie(name) {
  const found = document.cookie.split("; ").find((c) => c.startsWith(`${name}=`));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

let csrfReady = null;

async function ensureCsrf() {
  if (cookie("csrftoken")) return;
  csrfReady ??= fetch("/api/csrf", { credentials: "same-origin" });
  await csrfReady;
}

export function csrfHeaders() {
  return { "X-CSRFToken": cookie("csrftoken") };
}

export async function api(method, url, body = undefined) {
  const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (method !== "GET") {
    await ensureCsrf();
    Object.assign(options.headers, csrfHeaders());
  }
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch {
    throw new ApiError(0, "offline", t("Relay could not be reached. Check your connection and try again."));
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data && data.error;
    throw new ApiError(
      response.status,
      (error && error.code) || "error",
      (error && error.message) || t("Something went wrong. Please try again."),
    );
  }
  return data;
}

export const get = (url) => api("GET", url);
export const post = (url, body = {}) => api("POST", url, body);

// Signs out even while the page is being replaced: keepalive lets the request finish.
// Resolves when the server has answered or after `waitMs`, whichever is first.
export function signOutInBackground(waitMs = 0) {
  let request;
  try {
    request = fetch("/api/session", {
      method: "DELETE",
      credentials: "same-origin",
      keepalive: true,
      headers: csrfHeaders(),
    }).catch(() => undefined);
  } catch {
    // Leaving matters more than the request; the idle timeout ends the session anyway.
    request = Promise.resolve();
  }
  return Promise.race([request, new Promise((resolve) => setTimeout(resolve, waitMs))]);
}
