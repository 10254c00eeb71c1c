// Quick exit: the button and the Escape key replace Relay with a neutral site, so Back does
// not return, and end the session.

import { signOutInBackground } from "./api.js";
import { forget } from "./session.js";

export function leave() {
  const target = document.body.dataset.quickExit || "https://www.bbc.co.uk/weather";
  forget();
  signOutInBackground();
  document.body.hidden = true;
  window.location.replace(target);
}

export function installQuickExit() {
  document.getElementById("quick-exit")?.addEventListener("click", leave);
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    // Escape closes an open dialog first; a second press leaves.
    if (document.querySelector("dialog[open]")) return;
    event.preventDefault();
    leave();
  });
}
