// Quick exit: the button and the Escape key replace Relay with a neutral site, so Back does
// not return, and end the session.

import { signOutInBackground } from "./api.js";
import { forget } from "./session.js";

// Wait this long at most for the sign-out to be answered before leaving. The page is
// blanked at once, so nothing of Relay stays on screen meanwhile.
const SIGN_OUT_WAIT_MS = 800;
let leaving = false;

export async function leave() {
  if (leaving) return;
  leaving = true;
  const target = document.body.dataset.quickExit || "https://www.bbc.co.uk/weather";
  document.body.hidden = true;
  document.title = "";
  forget();
  await signOutInBackground(SIGN_OUT_WAIT_MS);
  window.location.replace(target);
}

export function installQuickExit() {
  document.getElementById("quick-exit")?.addEventListener("click", leave);
  // On staff pages Escape belongs to the page (closing, cancelling, mid-edit), never to
  // leaving: staff leave with their visible Sign out or the button.
  if (document.body.dataset.staff) return;
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    // Escape closes an open dialog first; a second press leaves.
    if (document.querySelector("dialog[open]")) return;
    event.preventDefault();
    leave();
  });
}
