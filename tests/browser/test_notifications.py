"""Notifications in a browser: a participant opts in from their conversation page, then
unsubscribes with the email's link. axe checks every new page."""

from __future__ import annotations

import pytest

from relay.notifications.models import NotificationPreference
from tests.browser.helpers import Sent, check_page, expect, new_page, sign_in
from tests.factories import make_case

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_a_participant_opts_in_and_unsubscribes_in_one_click(browser, relay) -> None:
    shuttle = make_case()
    sent = Sent()
    page = new_page(browser, relay.url, sent)
    sign_in(page, shuttle.harmed)
    page.get_by_role("link", name="Notifications").click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    check_page(page, "notifications")

    page.get_by_label("By email").check()
    page.get_by_label("Email address").fill("not an address")
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_role("alert")).to_contain_text("email address does not look right")
    assert not NotificationPreference.objects.filter(user=shuttle.harmed.user).exists()

    page.get_by_label("Email address").fill("harmed@example.org")
    page.get_by_label("From").fill("22:00")
    page.get_by_label("Until").fill("07:00")
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_role("status").filter(has_text="saved")).to_be_visible()
    check_page(page, "notifications-saved")
    pref = NotificationPreference.objects.get(user=shuttle.harmed.user)
    assert pref.channels == ["email"] and pref.quiet_start is not None

    # The link from an email, opened in a fresh browser: no session needed.
    outsider = new_page(browser, relay.url, sent)
    outsider.goto(f"/notifications/unsubscribe/{pref.unsubscribe_token}")
    check_page(outsider, "unsubscribe")
    outsider.get_by_role("button", name="Stop notifications").click()
    expect(outsider.get_by_role("heading", name="Notifications stopped")).to_be_visible()
    check_page(outsider, "unsubscribed")
    pref.refresh_from_db()
    assert pref.channels == []
