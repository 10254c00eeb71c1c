// One script for every page: quick exit everywhere, then the page's own code.

import { installQuickExit } from "./quickexit.js";
import { showError } from "./ui.js";
import { signinPage } from "./pages/signin.js";
import { enrolPage } from "./pages/enrol.js";
import { conversationPage } from "./pages/conversation.js";
import { casesPage } from "./pages/cases.js";
import { casePage } from "./pages/case.js";
import { surveyPage } from "./pages/survey.js";
import { consentPage } from "./pages/consent.js";
import { supportersPage } from "./pages/supporters.js";
import { supportingPage } from "./pages/supporting.js";
import { commentsPage } from "./pages/comments.js";
import { meetingPage, meetingsPage } from "./pages/meetings.js";
import { installSignOut } from "./session.js";
import { referPage } from "./pages/refer.js";
import { referralStatusPage } from "./pages/referralStatus.js";
import { intakePage } from "./pages/intake.js";
import { referralsPage } from "./pages/referrals.js";
import { passwordPage } from "./pages/password.js";

const PAGES = {
  signin: signinPage,
  enrol: enrolPage,
  conversation: conversationPage,
  cases: casesPage,
  case: casePage,
  survey: surveyPage,
  consent: consentPage,
  supporters: supportersPage,
  supporting: supportingPage,
  comments: commentsPage,
  refer: referPage,
  referral_status: referralStatusPage,
  intake: intakePage,
  referrals: referralsPage,
  meetings: meetingsPage,
  meeting: meetingPage,
  password: passwordPage,
  // Drawn on the server: the script only signs out.
  statistics: async () => installSignOut(),
};

// Links between Relay pages replace the current page in the history (see ui.go).
function replaceLinks() {
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[href]");
    // A download (a decrypted attachment's "Save a copy") is not a page to move to.
    if (!link || link.origin !== window.location.origin || link.hash || link.hasAttribute("download")) return;
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
