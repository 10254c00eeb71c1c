"""Ending a case in browsers: a facilitator concludes with an agreement, the person harmed
answers the survey, and the commissioner sees the figures change, small numbers hidden,
and downloads them as CSV. axe checks every new page. Nothing typed leaves a browser in
clear."""

from __future__ import annotations

import csv
import io

import pytest

from relay.accounts.models import Role
from relay.cases import actions as case_actions
from relay.outcomes.models import SurveyResponse
from tests.browser.helpers import Sent, check_page, expect, new_page, sign_in
from tests.factories import SIMPLE_OUTCOME, make_case, make_person, otp_token

pytestmark = [pytest.mark.browser, pytest.mark.live]

NOTE = "Outcome note canary 7f3e: they will meet at the garden"
COMMENT = "Survey comment canary 91c2: it helped me sleep again"


def row_values(page, figure: str, row: str) -> list[str]:
    cells = (
        page.locator(f"#figure-{figure} table tbody tr")
        .filter(has=page.get_by_role("rowheader", name=row, exact=True))
        .locator("td")
    )
    return cells.all_inner_texts()


def test_conclude_survey_and_the_commissioners_figures(browser, relay) -> None:
    # Five cases concluded before, none with an agreement: the commissioner's figures.
    for _ in range(5):
        earlier = make_case()
        case_actions.conclude_case(
            actor=earlier.facilitator.user, case_id=earlier.case.pk, outcome=SIMPLE_OUTCOME
        )
    sc = make_case()
    commissioner = make_person(Role.COMMISSIONER)
    sent = Sent()

    figures = new_page(browser, relay.url, sent, phone=False)
    sign_in(figures, commissioner, token=otp_token(commissioner))
    expect(figures).to_have_url(f"{relay.url}/statistics")
    assert row_values(figures, "outcome_agreement_reached", "Yes") == ["0"]
    assert row_values(figures, "outcome_agreement_reached", "No") == ["5"]
    check_page(figures, "statistics")

    # The facilitator concludes the case with an agreement and a sealed note.
    staff = new_page(browser, relay.url, sent, phone=False)
    sign_in(staff, sc.facilitator, token=otp_token(sc.facilitator))
    staff.goto(f"/cases/{sc.id}")
    expect(staff.locator("#case-retention")).to_contain_text("kept while the case is open")
    form = staff.locator("#conclude-form")
    form.get_by_label("Questions were answered").check()
    form.get_by_label("An apology was offered").check()
    form.get_by_label("Yes", exact=True).check()
    form.get_by_role("button", name="Add an agreed item").click()
    form.get_by_label("Agreed item 1").select_option("reparation")
    form.get_by_label("Follow up on (optional)").fill("2099-01-15")
    form.get_by_label("Messages passed on by the facilitator").check()
    form.get_by_label("Note for the facilitators (optional)").fill(NOTE)
    check_page(staff, "case-ending")
    form.get_by_role("button", name="Conclude the case").click()
    expect(staff.locator("#outcome-recorded")).to_contain_text("Reparation")
    expect(staff.locator("#outcome-note-text")).to_have_text(NOTE)
    expect(staff.locator("#close-form")).to_be_visible()
    # Concluded is an end: the facilitator sees the day its content will be deleted.
    expect(staff.locator("#case-retention")).to_contain_text("will be deleted on")

    # The person harmed answers the survey, with a comment sealed to the hub managers.
    manager = make_person(Role.HUB_MANAGER)
    harmed = new_page(browser, relay.url, sent)
    sign_in(harmed, sc.harmed)
    expect(harmed.locator("#survey-invite")).to_be_visible()
    harmed.get_by_role("link", name="Tell us how it went").click()
    expect(harmed.get_by_role("group", name="Did you feel safe taking part?")).to_be_visible()
    harmed.get_by_role("group", name="Did you feel safe taking part?").get_by_label("Yes").check()
    harmed.get_by_role("group", name="Overall, how satisfied").get_by_label(
        "Very satisfied"
    ).check()
    harmed.get_by_label("Anything else you want to tell us (optional)").fill(COMMENT)
    check_page(harmed, "survey")
    harmed.get_by_role("button", name="Send my answers").click()
    expect(harmed.locator("#survey-done-text")).to_contain_text("Thank you")
    assert SurveyResponse.objects.count() == 1

    # The commissioner's figures change, with the small numbers hidden.
    figures.reload()
    assert row_values(figures, "outcome_agreement_reached", "Yes") == ["fewer than 5"]
    # 6 - 5 would give the 1 away: the total is withheld too (a 5 cannot go down to 4).
    assert row_values(figures, "outcome_agreement_reached", "No") == ["5"]
    assert row_values(figures, "outcome_agreement_reached", "Total") == ["not shown"]
    assert row_values(figures, "survey_felt_safe", "Yes")[0] == "fewer than 5"
    page_text = figures.locator("main").inner_text()
    assert sc.case.reference not in page_text and sc.harmed.user.username not in page_text
    with figures.expect_download() as download:
        figures.get_by_role("link", name="Download these figures (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    agreement = {r["row"]: r["value"] for r in rows if r["figure"] == "An agreement was reached"}
    assert agreement == {"Yes": "fewer than 5", "No": "5", "Total": "not shown"}
    assert not any(sc.case.reference in value for r in rows for value in r.values())

    # A hub manager opens the comment in the browser.
    hub = new_page(browser, relay.url, sent, phone=False)
    sign_in(hub, manager, token=otp_token(manager))
    hub.get_by_role("link", name="Read participants’ survey comments").click()
    expect(hub.locator("#comment-list")).to_contain_text(COMMENT)
    check_page(hub, "survey-comments")

    assert not sent.problems, sent.problems
    for body in sent.everything():
        assert "canary" not in body, "a note or comment left a browser in clear"
