"""The whole shuttle in three browsers: enrol, ask, edit and pass on, answer, return with a
note, revise, pass on, read. Nothing typed leaves a browser in clear."""

from __future__ import annotations

import re

import pytest

from relay.accounts.models import PublicKey
from tests.browser.helpers import Sent, check_page, envelopes_sent, expect, new_page, sign_in
from tests.browser.scenario import SENTINEL, case_awaiting_enrolment, start_communication
from tests.factories import otp_token

pytestmark = [pytest.mark.browser, pytest.mark.live]

QUESTION = f"Why did you pick our house that night? {SENTINEL}-question"
EDITED = f"Why did you pick our house? {SENTINEL}-question"
ANSWER = f"It was dark and I was angry, {SENTINEL}-answer"
RETURN_NOTE = f"Please say a little more about why, {SENTINEL}-note"
REVISED = f"It was dark, I was angry about losing my job, and I am sorry. {SENTINEL}-revised"


def test_whole_shuttle_in_three_browsers(browser, relay) -> None:
    scenario = case_awaiting_enrolment()
    sent = Sent()
    reference = scenario.case.reference

    # The facilitator signs in with a backup code and makes an enrolment code.
    staff = new_page(browser, relay.url, sent, phone=False)
    staff.goto("/signin")
    check_page(staff, "signin")
    sign_in(staff, scenario.facilitator, token=otp_token(scenario.facilitator))
    check_page(staff, "cases")
    staff.get_by_role("link", name=f"Case {reference}").click()
    staff.get_by_role("button", name="Make an enrolment code for the person harmed").click()
    code = staff.locator(".invitation .code").inner_text()
    assert re.fullmatch(r"[A-Z0-9-]{8,}", code)

    # The person harmed enrols: the key pair is made in the browser.
    harmed = new_page(browser, relay.url, sent)
    harmed.goto("/")
    check_page(harmed, "home")
    harmed.get_by_role("link", name="I have a code from my facilitator").click()
    expect(harmed).to_have_url(re.compile(r"/enrol$"))
    check_page(harmed, "enrol-code")
    harmed.get_by_label("Your code").fill(code)
    harmed.get_by_role("button", name="Continue").click()
    expect(harmed.locator("#enrol-display-name")).to_have_text(scenario.harmed.user.display_name)
    check_page(harmed, "enrol-password")
    password = f"{SENTINEL}-a long enough password"
    harmed.get_by_label("Password", exact=True).fill(password)
    harmed.get_by_label("Type the password again").fill(password)
    harmed.get_by_role("button", name="Set up my account").click()
    expect(harmed.locator("#enrol-done")).to_be_visible()
    # The username is shown only once the code and a password proved who this is.
    expect(harmed.locator("#enrol-username")).to_have_text(scenario.harmed.user.username)
    key = PublicKey.objects.get(user=scenario.harmed.user, retired_at__isnull=True)
    expect(harmed.locator("#enrol-fingerprint")).to_have_text(key.fingerprint)
    check_page(harmed, "enrol-done")

    start_communication(scenario)

    harmed.get_by_role("button", name="Go to your conversation").click()
    expect(harmed.locator("#status-banner")).to_contain_text("The conversation is open")
    harmed.get_by_label("Your message").fill(QUESTION)
    harmed.get_by_role("button", name="Send to my facilitator").click()
    mine = harmed.locator("#messages > li").filter(has_text=QUESTION)
    expect(mine).to_contain_text("Waiting for your facilitator")

    # The facilitator sees it in the live queue, edits it and passes it on.
    staff.reload()
    expect(staff.locator("#case-state")).to_contain_text("Communicating")
    staff.get_by_role("button", name="Open this message").click()
    expect(staff.locator("#review-original")).to_have_text(QUESTION)
    staff.get_by_label("What will be passed on").fill(EDITED)
    expect(staff.locator("#review-diff del")).to_contain_text("that night?")
    expect(staff.locator("#review-diff ins")).to_contain_text("house?")
    check_page(staff, "case-review")
    staff.get_by_role("button", name="Pass it on", exact=True).click()
    expect(staff.locator("#queue-empty")).to_be_visible()
    # It was edited: the writer is told so and reads the version passed on.
    expect(mine).to_contain_text("Passed on with changes by your facilitator")
    expect(mine.locator(".passed-on-version blockquote")).to_have_text(EDITED)

    # The person responsible reads the edited question and answers.
    responsible = new_page(browser, relay.url, sent)
    sign_in(responsible, scenario.responsible)
    forwarded = responsible.locator("#messages > li").filter(has_text=EDITED)
    expect(forwarded).to_contain_text(
        "Question from the person harmed, passed on by your facilitator"
    )
    expect(responsible.locator("#messages")).not_to_contain_text("that night")
    responsible.get_by_label("An answer for the other person").check()
    responsible.get_by_label("Your message").fill(ANSWER)
    responsible.get_by_role("button", name="Send to my facilitator").click()
    answer = responsible.locator("#messages > li").filter(has_text=ANSWER)
    expect(answer).to_contain_text("Waiting for your facilitator")

    # The facilitator returns the answer with a note.
    staff.get_by_role("button", name="Open this message").click()
    expect(staff.locator("#review-original")).to_have_text(ANSWER)
    staff.get_by_label("Note asking them to change it").fill(RETURN_NOTE)
    staff.get_by_role("button", name="Return it with this note").click()
    expect(staff.locator("#queue-empty")).to_be_visible()

    # The person responsible sees the note and writes a new version.
    expect(answer).to_contain_text("Returned by your facilitator")
    expect(answer).to_contain_text(RETURN_NOTE)
    check_page(responsible, "conversation-returned")
    answer.get_by_role("button", name="Write a new version").click()
    expect(responsible.locator("#revising")).to_be_visible()
    expect(responsible.get_by_label("Your message")).to_have_value(ANSWER)
    responsible.get_by_label("Your message").fill(REVISED)
    responsible.get_by_role("button", name="Send to my facilitator").click()
    revised = responsible.locator("#messages > li").filter(has_text=REVISED)
    expect(revised).to_contain_text("Waiting for your facilitator")
    expect(answer.get_by_role("button", name="Write a new version")).to_have_count(0)

    # The facilitator passes the new version on unchanged.
    staff.get_by_role("button", name="Open this message").click()
    expect(staff.locator("#review-original")).to_have_text(REVISED)
    expect(staff.locator("#review-diff")).to_contain_text("No changes")
    staff.get_by_role("button", name="Pass it on", exact=True).click()
    expect(revised).to_contain_text("Passed on by your facilitator")

    # The person harmed reads the revised answer, and never the first one.
    reply = harmed.locator("#messages > li").filter(has_text=REVISED)
    expect(reply).to_contain_text(
        "Answer from the person responsible, passed on by your facilitator"
    )
    expect(harmed.locator("#messages")).not_to_contain_text(ANSWER)
    expect(harmed.locator("#messages")).not_to_contain_text(RETURN_NOTE)
    check_page(harmed, "conversation")
    expect(staff.locator("#record")).to_contain_text(REVISED)

    # Every body, address and socket frame the three browsers sent: no sentinel in any.
    assert sent.bodies and sent.frames
    # Question, edited question, answer, return note, revision, passed-on revision.
    assert envelopes_sent(sent) >= 6
    leaks = [item for item in sent.everything() if SENTINEL in item]
    assert leaks == []
    assert sent.problems == []
