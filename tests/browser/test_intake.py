"""The intake in browsers: a hub manager makes the intake key on their device, a person
refers themselves on the public page (sealed in the browser, with the proof of work), the
manager opens it, accepts it into a case and assigns a facilitator (a facilitator without
the training the case needs is refused, plainly); a second referral is declined with
signposting that the person sees on the status page; quick exit works on the public page.
axe checks every new page. Nothing typed leaves a browser in clear."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from relay.accounts.models import Role
from relay.cases.models import Case
from relay.referrals.models import Referral
from tests.browser.helpers import Sent, check_page, expect, new_page, sign_in
from tests.factories import make_person, otp_token

pytestmark = [pytest.mark.browser, pytest.mark.live]

CANARY = "Referral canary 5d1a: the blue van on Elm Street"
SECOND = "Referral canary 8b2c: outside my area"


def refer_yourself(page: Page, what: str, *, check: bool = False) -> tuple[str, str]:
    page.goto("/refer")
    expect(page.get_by_role("heading", name="What is restorative justice?")).to_be_visible()
    page.get_by_label("What happened?").fill(what)
    page.get_by_label("Roughly when did it happen?").fill("Last spring")
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("Your name, or what we should call you").fill("Sam")
    page.get_by_label("By phone").check()
    page.get_by_label("Phone number (optional)").fill("01632 960555")
    page.get_by_label("When is it safe to contact you?").fill("Weekdays after six")
    if check:
        check_page(page, "refer")
    page.get_by_role("button", name="Send securely").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_focused()
    reference = page.locator("#refer-reference").inner_text()
    check_code = page.locator("#refer-check-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", reference)
    return reference, check_code


def test_self_referral_to_a_case_and_a_decline_seen_with_signposting(browser, relay) -> None:
    manager = make_person(Role.HUB_MANAGER)
    untrained = make_person(Role.FACILITATOR, name="frankie")
    trained = make_person(Role.FACILITATOR, name="robin")
    trained.user.training_level = "specialist"
    trained.user.save(update_fields=["training_level"])
    sent = Sent()

    # The hub manager makes the intake key on their device.
    hub = new_page(browser, relay.url, sent, phone=False)
    sign_in(hub, manager, token=otp_token(manager))
    hub.get_by_role("link", name="Referrals waiting").click()
    expect(hub.locator("#intake-key-status")).to_contain_text("no intake key")
    hub.get_by_role("button", name="Create the intake key").click()
    expect(hub.locator("#intake-key-status")).to_contain_text("You hold the intake key")
    check_page(hub, "intake")

    # A person refers themselves on the public page.
    person = new_page(browser, relay.url, sent)
    reference, check_code = refer_yourself(person, CANARY, check=True)

    # The manager opens it, creates the case and assigns its facilitator.
    hub.reload()
    item = hub.locator("#waiting-list > li").filter(has_text=reference)
    expect(item).to_contain_text(CANARY)
    expect(item).to_contain_text("Weekdays after six")
    item.get_by_label("Kind of offence").select_option("domestic_abuse")
    item.get_by_role("button", name="Accept and create the case").click()
    expect(item).to_contain_text(f"Case RJ-{reference} created")
    item.get_by_label("Facilitator", exact=True).select_option(untrained.id)
    item.get_by_role("button", name="Assign").click()
    expect(hub.locator("#page-error")).to_contain_text("needs a facilitator with")
    item.get_by_label("Facilitator", exact=True).select_option(trained.id)
    item.get_by_role("button", name="Assign").click()
    expect(item).to_contain_text("assigned to Robin")
    case = Case.objects.get(reference=f"RJ-{reference}")
    assert case.state == "referred" and case.offence_category == "domestic_abuse"
    assert [a.facilitator_id for a in case.assignments.all()] == [trained.user.pk]

    # A second referral is declined, with signposting.
    reference2, check_code2 = refer_yourself(person, SECOND)
    hub.reload()
    item = hub.locator("#waiting-list > li").filter(has_text=reference2)
    expect(item).to_contain_text(SECOND)
    item.get_by_label("Why").select_option("outside_area")
    item.get_by_label("Victim Support").check()
    item.get_by_label("Samaritans").check()
    item.get_by_role("button", name="Decline with these services").click()
    expect(hub.locator("#decided-list")).to_contain_text(reference2)
    assert Referral.objects.get(reference=reference2).state == "declined"

    # The person sees the decision, with the services, on the status page.
    person.goto("/refer/status")
    person.get_by_label("Reference").fill(reference2)
    person.get_by_label("Check code").fill(check_code2)
    person.get_by_role("button", name="Check").click()
    expect(person.locator("#status-heading")).to_contain_text("not the right service")
    expect(person.locator("#status-reason")).to_contain_text("outside the area")
    services = person.locator("#status-services")
    expect(services).to_contain_text("Victim Support")
    expect(services).to_contain_text("Samaritans")
    check_page(person, "referral-status")
    # The first one says it was taken on.
    person.get_by_label("Reference").fill(reference)
    person.get_by_label("Check code").fill(check_code)
    person.get_by_role("button", name="Check").click()
    expect(person.locator("#status-heading")).to_contain_text("taking your referral on")

    # A professional referrer refers someone with their consent and sees it listed.
    referrer = make_person(Role.REFERRER)
    office = new_page(browser, relay.url, sent, phone=False)
    sign_in(office, referrer, token=otp_token(referrer))
    expect(office).to_have_url(f"{relay.url}/referrals")
    office.get_by_label("You refer from").select_option("probation")
    office.get_by_label("is responsible for the harm").check()
    office.get_by_label("Their name").fill("Referral canary 3e9f: Alex")
    office.get_by_label("How and when to contact them safely").fill("Through probation")
    office.get_by_label("What happened, and roughly when").fill("Burglary, last winter")
    office.get_by_label("How", exact=True).select_option("in_person")
    check_page(office, "referrals")
    office.get_by_role("button", name="Send the referral securely").click()
    expect(office.get_by_role("heading", name="Referral sent")).to_be_focused()
    professional = office.locator("#professional-reference").inner_text()
    expect(office.locator("#mine-list")).to_contain_text(professional)
    consented = Referral.objects.get(reference=professional)
    assert (consented.source, consented.side, consented.consent_method) == (
        "probation",
        "responsible",
        "in_person",
    )

    # The one refusal the pages met was the training rule's.
    assert len(sent.problems) == 1 and "status of 400" in sent.problems[0], sent.problems

    # Quick exit on the public page (the neutral page's own favicon may 404 afterwards).
    person.goto("/refer")
    person.keyboard.press("Escape")
    expect(person).to_have_url(re.compile(r"/weather$"))

    assert sum('"sealed"' in body for body in sent.bodies) >= 2
    for body in sent.everything():
        assert "canary" not in body, "a referral left a browser in clear"
        assert "Weekdays after six" not in body
