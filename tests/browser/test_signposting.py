"""Signposting when the process ends, on a phone (390x844, screenshots at both sizes): after
a withdrawal both people's conversation pages list the hub's services (name, what they help
with, how to reach them) and the hub's contact details; a case found unsuitable shows the
facilitator's notice to the person, opened in the browser, with the services chosen."""

from __future__ import annotations

import pytest

from relay.cases import actions as case_actions
from relay.cases import assessment
from tests.browser.helpers import Sent, check_page, expect, new_page, sign_in
from tests.envelopes import parsed, seal_from
from tests.factories import make_case

pytestmark = [pytest.mark.browser, pytest.mark.live]

# Generous: the page reads the case again, then the notices, on a shared machine.
AT_ONCE_MS = 15000


def test_both_people_are_signposted_after_a_withdrawal(browser, relay) -> None:
    shuttle = make_case()
    sent = Sent()
    harmed = new_page(browser, relay.url, sent)
    sign_in(harmed, shuttle.harmed)
    responsible = new_page(browser, relay.url, sent)
    sign_in(responsible, shuttle.responsible)
    expect(harmed.locator("#conversation")).to_be_visible()
    expect(harmed.locator("#signposting")).to_be_hidden()
    expect(responsible.locator("#signposting")).to_be_hidden()

    harmed.get_by_role("button", name="Withdraw from this process").click()
    harmed.get_by_role("button", name="Yes, withdraw").click()
    expect(harmed.locator("#ended")).to_be_focused()
    support = harmed.locator("#signposting")
    expect(support).to_be_visible()
    expect(support).to_contain_text("Victim Support")
    expect(support).to_contain_text("Free, confidential support for anyone affected by crime")
    expect(support.get_by_role("link", name="08 08 16 89 111")).to_have_attribute(
        "href", "tel:08081689111"
    )
    expect(support.get_by_role("heading", name="Other support")).to_be_visible()
    support.get_by_role("heading", name="Other support").scroll_into_view_if_needed()
    expect(support.get_by_role("heading", name="Other support")).to_be_in_viewport()
    check_page(harmed, "conversation-withdrawn-signposting")

    other = responsible.locator("#signposting")
    expect(other).to_be_visible(timeout=AT_ONCE_MS)
    expect(other).to_contain_text("Victim Support")
    expect(responsible.locator("#status-banner")).to_contain_text("has withdrawn")
    check_page(responsible, "conversation-other-withdrew-signposting")
    assert sent.problems == []


def test_a_case_found_unsuitable_shows_the_notice_and_the_services_chosen(browser, relay) -> None:
    sc = make_case(active=False)
    f = sc.facilitator
    case_actions.begin_assessment(actor=f.user, case_id=sc.case.pk)
    sent = Sent()
    harmed = new_page(browser, relay.url, sent)
    sign_in(harmed, sc.harmed)
    expect(harmed.locator("#conversation")).to_be_visible()
    expect(harmed.locator("#signposting")).to_be_hidden()

    reason = parsed(seal_from(f, sc, "unsuitable_reason", "Risk cannot be managed", to=[f]))
    notices = [
        parsed(
            seal_from(f, sc, "unsuitable_notice", f"We cannot go on, {p.user.username}.", to=[f, p])
        )
        for p in (sc.harmed, sc.responsible)
    ]
    assessment.find_unsuitable(
        actor=f.user,
        case_id=sc.case.pk,
        reason=reason,
        notices=notices,
        signposting=["victim-support"],
    )
    notice = harmed.locator("#case-notices")
    expect(notice).to_be_visible(timeout=AT_ONCE_MS)
    expect(notice).to_contain_text(
        f"From your facilitator: We cannot go on, {sc.harmed.user.username}."
    )
    expect(notice).not_to_contain_text(sc.responsible.user.username)
    expect(notice.locator("li")).to_have_count(1)
    expect(notice.locator("li")).to_contain_text("Victim Support")
    expect(harmed.locator("#status-banner")).to_contain_text("This process has ended.")
    expect(harmed.locator("#signposting")).to_contain_text("Other support")
    check_page(harmed, "conversation-unsuitable-signposting")
    assert sent.problems == []
