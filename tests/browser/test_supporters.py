"""Supporters in browsers: the person harmed asks for a supporter on their own page (who it
is goes to the facilitators as a sealed note), the facilitator approves it on the case page
and gives the code, the supporter enrols and sees whom they support, the person harmed ends
the support and both pages say so; a second request is declined and the participant's page
says that too. axe checks every page; nothing typed leaves a browser in clear."""

from __future__ import annotations

import pytest

from relay.accounts.models import Role, User
from relay.cases.models import Supporter, SupporterState
from relay.moderation.models import Message
from tests.browser.helpers import Sent, check_page, expect, new_page, sign_in
from tests.browser.scenario import SENTINEL
from tests.factories import make_case, otp_token

pytestmark = [pytest.mark.browser, pytest.mark.live]

WHO = f"My sister Sam {SENTINEL}-who"


def test_ask_approve_enrol_end_and_decline(browser, relay) -> None:
    sc = make_case()
    sent = Sent()
    harmed = new_page(browser, relay.url, sent)
    sign_in(harmed, sc.harmed)
    harmed.get_by_role("link", name="Your supporters").click()
    expect(harmed.locator("#supporters")).to_contain_text("You have not asked for a supporter.")
    check_page(harmed, "supporters")
    harmed.get_by_label("Who you would like").fill(WHO)
    harmed.get_by_role("button", name="Ask for a supporter").click()
    expect(harmed.locator("#supporters")).to_contain_text("You asked for a supporter.")
    # The page says so once the note saying who is sent too (the list may update first).
    expect(harmed.locator("#announcer")).to_contain_text("Your facilitator will talk to you")
    note = Message.objects.get(case=sc.case, sender=sc.harmed.user)
    assert note.kind == "note_to_facilitator" and note.state == "delivered"

    staff = new_page(browser, relay.url, sent, phone=False)
    sign_in(staff, sc.facilitator, token=otp_token(sc.facilitator))
    staff.goto(f"/cases/{sc.id}")
    supporters = staff.locator("#case-supporters")
    expect(supporters).to_contain_text("The person harmed asked for a supporter.")
    check_page(staff, "case-supporters")
    # No user name: nothing is sent, and the page says what is missing.
    staff.get_by_role("button", name="Approve and make an enrolment code").click()
    expect(staff.locator("#supporters-error")).to_contain_text("Choose a user name")
    assert Supporter.objects.get(participation__case=sc.case).state == SupporterState.REQUESTED
    staff.get_by_label("The supporter's name").fill("Sam")
    staff.get_by_label("A user name for the supporter's account").fill(f"sam-{sc.case.reference}")
    staff.get_by_role("button", name="Approve and make an enrolment code").click()
    expect(supporters).to_contain_text("Sam supports the person harmed")
    code = staff.locator("#case-supporters .invitation .code").inner_text()
    assert User.objects.get(username=f"sam-{sc.case.reference}").role == Role.SUPPORTER

    # The supporter enrols with the code, like a participant, and sees whom they support.
    friend = new_page(browser, relay.url, sent)
    friend.goto("/enrol")
    friend.get_by_label("Your code").fill(code)
    friend.get_by_role("button", name="Continue").click()
    password = f"{SENTINEL}-a long enough password"
    friend.get_by_label("Password", exact=True).fill(password)
    friend.get_by_label("Type the password again").fill(password)
    friend.get_by_role("button", name="Set up my account").click()
    friend.get_by_role("button", name="See who you are supporting").click()
    expect(friend.locator("#supporting")).to_contain_text(
        f"You are supporting {sc.harmed.user.display_name} (the person harmed)."
    )
    check_page(friend, "supporting")

    harmed.reload()
    expect(harmed.locator("#supporters")).to_contain_text("Sam is supporting you.")
    # What the participant writes now is sealed to their supporter too, who reads it.
    supporters_page = harmed.url
    harmed.goto("/conversation")
    harmed.get_by_label("Your message").fill(f"Why our house? {SENTINEL}-q")
    harmed.get_by_role("button", name="Send to my facilitator").click()
    expect(harmed.locator("#announcer")).to_contain_text("Sent.")
    question = Message.objects.get(case=sc.case, sender=sc.harmed.user, kind="question")
    sam = User.objects.get(username=f"sam-{sc.case.reference}")
    assert {k.recipient_key.user_id for k in question.keys.all()} == {
        sc.facilitator.user.pk, sc.harmed.user.pk, sam.pk
    }
    friend.reload()
    expect(friend.locator("body")).to_contain_text(f"Why our house? {SENTINEL}-q")
    harmed.goto(supporters_page)
    harmed.get_by_role("button", name="End this supporter's help").click()
    expect(harmed.locator("#supporters")).to_contain_text("You ended Sam's support.")
    # The facilitator's page hears of it live.
    expect(supporters).to_contain_text(
        "Sam no longer supports the person harmed: ended by the participant."
    )
    friend.reload()
    expect(friend.locator("#supporting")).to_contain_text("not supporting anyone")

    # A second request, declined: the participant's page says so as it happens.
    harmed.get_by_role("button", name="Ask for a supporter").click()
    expect(harmed.locator("#supporters")).to_contain_text("You asked for a supporter.")
    expect(supporters).to_contain_text("The person harmed asked for a supporter.")
    staff.get_by_role("button", name="Decline this request").click()
    expect(supporters).to_contain_text(
        "A request from the person harmed for a supporter was declined."
    )
    expect(harmed.locator("#supporters")).to_contain_text("Your facilitator did not agree")
    assert Supporter.objects.filter(participation__case=sc.case, state="ended").count() == 2
    assert not any(SENTINEL in body for body in sent.everything())
