"""Case work in browsers: after the facilitator's assessment and preparation, the person
harmed gives their consent to messages on their own consent page, the person responsible's
is recorded by the facilitator after a phone call (shown on their page as such), the
conversation starts, and the first message goes. axe checks the consent page; nothing typed
leaves a browser in clear."""

from __future__ import annotations

import pytest

from relay.cases import actions as case_actions
from relay.cases import assessment
from relay.cases.models import Case, CaseRecord, Participation
from tests.browser.helpers import Sent, check_page, expect, new_page, sign_in
from tests.browser.scenario import SENTINEL
from tests.factories import make_case, otp_token, record_assessment

pytestmark = [pytest.mark.browser, pytest.mark.live]

FIRST = f"Why our house? {SENTINEL}-first"
NOTE = f"Spoke to her sister too. {SENTINEL}-note"
REASON = f"He denies it now. {SENTINEL}-reason"
TOLD = f"We cannot go on. {SENTINEL}-told"
SAFETY = f"Meet only by video. {SENTINEL}-safety"


def test_assessment_consent_preparing_active_first_message(browser, relay) -> None:
    sc = make_case(active=False)
    f = sc.facilitator.user
    case_actions.begin_assessment(actor=f, case_id=sc.case.pk)
    record_assessment(actor=f, case_id=sc.case.pk)
    assessment.begin_preparation(actor=f, case_id=sc.case.pk)
    sent = Sent()

    harmed = new_page(browser, relay.url, sent)
    sign_in(harmed, sc.harmed)
    harmed.goto(f"/cases/{sc.id}/consent")
    expect(harmed.locator("#consent-form")).to_be_visible()
    expect(harmed.locator("#consent-history")).to_contain_text("Nothing recorded yet.")
    check_page(harmed, "consent")
    harmed.get_by_label("Messages and letters").check()
    harmed.get_by_role("button", name="Save my choices").click()
    expect(harmed.locator("#consent-history")).to_contain_text(
        "Messages and letters agreed, by you, on this page."
    )
    assert Participation.objects.get(case=sc.case, side="harmed").consented_modes == ["messages"]

    # The person responsible said yes on the phone; the facilitator records it, saying so.
    case_actions.give_consent(
        actor=f, case_id=sc.case.pk, modes=["messages"], side="responsible", how="phone"
    )
    responsible = new_page(browser, relay.url, sent)
    sign_in(responsible, sc.responsible)
    responsible.goto(f"/cases/{sc.id}/consent")
    expect(responsible.locator("#consent-history")).to_contain_text(
        "by your facilitator, after a phone call"
    )
    expect(responsible.get_by_label("Messages and letters")).to_be_checked()

    case_actions.start_communication(actor=f, case_id=sc.case.pk)
    harmed.goto("/conversation")
    expect(harmed.locator("#status-banner")).to_contain_text("The conversation is open")
    harmed.get_by_label("Your message").fill(FIRST)
    harmed.get_by_role("button", name="Send to my facilitator").click()
    expect(harmed.locator("#messages > li").filter(has_text=FIRST)).to_contain_text(
        "Waiting for your facilitator"
    )
    assert not any(SENTINEL in body for body in sent.everything())


def test_a_facilitator_records_the_assessment_and_begins_preparation(browser, relay) -> None:
    sc = make_case(active=False)
    f = sc.facilitator
    case_actions.begin_assessment(actor=f.user, case_id=sc.case.pk)
    sent = Sent()
    staff = new_page(browser, relay.url, sent, phone=False)
    sign_in(staff, f, token=otp_token(f))
    staff.goto(f"/cases/{sc.id}")
    expect(staff.locator("#casework-stage")).to_contain_text("Being assessed")

    # Too early: the server names what is missing, beside the forms, and nothing moves.
    staff.get_by_role("button", name="Begin preparation").click()
    expect(staff.locator("#casework-error")).to_contain_text("no risk assessment has been recorded")

    for box in ("Reported to the police", "identifiable person", "admits responsibility",
                "Both people are willing"):
        staff.get_by_label(box).check()
    staff.get_by_role("button", name="Record suitability").click()
    expect(staff.locator("#timeline")).to_contain_text("Suitability: met:")
    staff.get_by_label("Risk level").select_option("medium")
    staff.get_by_label("Risk factors and safety plan").fill(SAFETY)
    staff.get_by_role("button", name="Record the risk assessment").click()
    expect(staff.locator("#timeline")).to_contain_text("Risk assessment: medium risk.")
    staff.get_by_label("Who you tried to contact").select_option("responsible")
    staff.get_by_label("They were reached").check()
    staff.get_by_role("button", name="Record the contact attempt").click()
    staff.get_by_role("button", name="Record the approach").click()
    staff.get_by_label("Case note").fill(NOTE)
    staff.get_by_role("button", name="Add the case note").click()
    timeline = staff.locator("#timeline")
    expect(timeline).to_contain_text(
        "Contact attempt with the person responsible by phone: reached."
    )
    expect(timeline).to_contain_text(NOTE)
    expect(timeline).to_contain_text(SAFETY)
    check_page(staff, "case work")

    staff.get_by_role("button", name="Begin preparation").click()
    expect(staff.locator("#casework-stage")).to_contain_text("In preparation")
    expect(timeline).to_contain_text("Case moved from assessing to preparing.")
    expect(staff.get_by_role("button", name="Start the conversation")).to_be_visible()
    assert Case.objects.get(pk=sc.case.pk).state == "preparing"
    kinds = set(CaseRecord.objects.filter(case=sc.case).values_list("kind", flat=True))
    assert kinds == {"suitability", "risk_assessment", "contact_attempt", "approach", "case_note"}

    # In preparation it turns out not to be suitable: without the notices nothing changes.
    staff.get_by_label("Why it is not suitable").fill(REASON)
    staff.get_by_role("button", name="Find the case unsuitable and close it").click()
    expect(staff.locator("#casework-error")).to_contain_text("Write what to tell each person.")
    staff.get_by_label("What to tell the person harmed").fill(TOLD)
    staff.get_by_label("What to tell the person responsible").fill(TOLD)
    staff.locator("#unsuitable-services input").first.check()
    staff.get_by_role("button", name="Find the case unsuitable and close it").click()
    expect(staff.locator("#casework-stage")).to_contain_text("Closed.")
    expect(timeline).to_contain_text("Case moved from preparing to closed.")
    assert Case.objects.get(pk=sc.case.pk).state == "closed"
    assert not any(SENTINEL in body for body in sent.everything())
