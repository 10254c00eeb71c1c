// One script for every page: quick exit everywhere, then the page's own code.

import { installQuickExit } from "./quickexit.js";
import { showError } from "./ui.js";
import { signinPage } from "./pages/signin.js";
import { enrolPage } from "./pages/enrol.js";
import { conversationPage } from "./pages/conversation.js";
import { casesPage } from "./pages/cases.js";
import { casePage } from "./pages/case.js";
import { surveyPage } from "./pages/survey.js";
import { commentsPage } from "./pages/comments.js";
import { installSignOut } from "./session.js";

const PAGES = {
  signin: signinPage,
  enrol: enrolPage,
  conversation: conversationPage,
  cases: casesPage,
  case: casePage,
  survey: surveyPage,
  comments: commentsPage,
  // Drawn on the server: the script only signs out.
  statistics: async () => installSignOut(),
};

// Links between Relay pages replace the current page in the history (see ui.go).
function replaceLinks() {
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[href]");
    if (!link || link.origin !== window.location.origin || link.hash) return;
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    window.location.replace(link.href);
  });
}

installQuickExit();
replaceLinks();
const page = PAGES[document.body.dataset.page];
if (page) {
  page().catch((error) => showError(error && error.message ? error.message : String(error)));
}
