"""Taking part without a device, in browsers: the facilitator takes part for the person
responsible (who has no device) with their agreement recorded, enters their answer (sealed
in the browser to the facilitators only, marked as entered by the facilitator), passes it
on; the person harmed reads that it was written down for them; the person harmed's question
is passed on to the facilitators only, and the facilitator records reading it to them, then
pauses and resumes for them. axe checks the section; nothing typed leaves a browser in
clear."""

from __future__ import annotations

import pytest

from relay.cases.models import Hold, Participation
from relay.moderation.models import Message
from tests.browser.helpers import Sent, check_page, expect, new_page, sign_in
from tests.browser.scenario import SENTINEL
from tests.factories import make_newcomer_case, otp_token, prepare_and_start

pytestmark = [pytest.mark.browser, pytest.mark.live]

ANSWER = f"I am sorry for what I did. {SENTINEL}-answer"
QUESTION = f"Why our house? {SENTINEL}-question"


def test_a_facilitator_takes_part_for_a_person_with_no_device(browser, relay) -> None:
    sc = make_newcomer_case()
    sent = Sent()
    staff = new_page(browser, relay.url, sent, phone=False)
    sign_in(staff, sc.facilitator, token=otp_token(sc.facilitator))
    staff.goto(f"/cases/{sc.id}")
    section = staff.locator("#held-sides")
    expect(section).to_contain_text("The person responsible has not set up an account.")
    check_page(staff, "case-held-offer")
    staff.get_by_role("button", name="Take part for the person responsible").click()
    expect(staff.locator("#held-error")).to_contain_text("Say when they agreed.")
    assert not Hold.objects.exists()
    staff.get_by_label("How they agreed").select_option("letter")
    staff.get_by_label("When they agreed").fill("2026-11-30T10:00")
    staff.get_by_role("button", name="Take part for the person responsible").click()
    expect(section).to_contain_text("You take part for the person responsible")
    expect(section).to_contain_text("They agreed by letter on")
    assert Hold.objects.get().consent_how == "letter"

    prepare_and_start(sc)
    staff.reload()
    staff.get_by_label("What it is").select_option("answer")
    staff.get_by_label("Their words, as the person responsible gave them to you").fill(ANSWER)
    staff.get_by_role("button", name="Enter it for them").click()
    queue = staff.locator("#queue")
    expect(queue).to_contain_text("Answer from the person responsible")
    entered = Message.objects.get(case=sc.case, state="submitted")
    assert entered.entered_by_id == sc.facilitator.user.pk
    assert entered.sender_id == sc.responsible.user.pk
    check_page(staff, "case-held")
    staff.get_by_role("button", name="Open this message").click()
    expect(staff.locator("#review-original")).to_have_text(ANSWER)
    staff.get_by_role("button", name="Pass it on", exact=True).click()
    expect(staff.locator("#queue-empty")).to_be_visible()

    harmed = new_page(browser, relay.url, sent)
    sign_in(harmed, sc.harmed)
    passed = harmed.locator("#messages > li").filter(has_text=ANSWER)
    expect(passed).to_contain_text("written down for them and passed on by your facilitator")
    harmed.get_by_label("Your message").fill(QUESTION)
    harmed.get_by_role("button", name="Send to my facilitator").click()
    expect(harmed.locator("#messages > li").filter(has_text=QUESTION)).to_contain_text(
        "Waiting for your facilitator"
    )

    # Passed on to the person responsible: sealed to the facilitators, read to them.
    staff.get_by_role("button", name="Open this message").click()
    expect(staff.locator("#review-original")).to_have_text(QUESTION)
    staff.get_by_role("button", name="Pass it on", exact=True).click()
    to_read = section.locator("li").filter(has_text=QUESTION)
    expect(to_read).to_be_visible()
    staff.get_by_role("button", name="I have read this to them").click()
    expect(to_read).to_contain_text("Read to them")
    forwarded = Message.objects.get(case=sc.case, derived_from__sender=sc.harmed.user)
    assert forwarded.read_out_by_id == sc.facilitator.user.pk
    # The facilitators, and the writer's own copy of what was passed on: nobody else.
    assert {k.recipient_key.user_id for k in forwarded.keys.all()} == {
        sc.facilitator.user.pk, sc.harmed.user.pk
    }

    staff.get_by_role("button", name="Pause for them").click()
    expect(staff.get_by_role("button", name="Resume for them")).to_be_visible()
    assert Participation.objects.get(case=sc.case, side="responsible").state == "paused"
    staff.get_by_role("button", name="Resume for them").click()
    expect(staff.get_by_role("button", name="Pause for them")).to_be_visible()
    assert not any(SENTINEL in body for body in sent.everything())
