"""Change password in the browser: a wrong current password shows the error summary (focused,
linking to the field) and changes nothing; the right one re-wraps the key here, so the old
password no longer signs in and the history opens with the new one."""

from __future__ import annotations

import pytest

from tests.browser.helpers import Sent, check_page, expect, new_page, sign_in
from tests.factories import make_case

pytestmark = [pytest.mark.browser, pytest.mark.live]

NEW_PASSWORD = "a brand new passphrase"


def test_change_password_in_the_browser(browser, relay) -> None:
    shuttle = make_case()
    sent = Sent()
    page = new_page(browser, relay.url, sent)
    sign_in(page, shuttle.harmed)
    page.get_by_label("Your message").fill("written before the change")
    page.get_by_role("button", name="Send to my facilitator").click()
    expect(page.get_by_text("written before the change")).to_be_visible()
    page.goto("/password")
    page.get_by_label("Current password", exact=True).fill("not my password at all")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Type the new password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text("Your current password is not right")
    expect(page.locator("#password-current-error")).to_be_visible()
    check_page(page, "change-password-error")
    page.get_by_label("Current password", exact=True).fill(shuttle.harmed.password)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#password-done")).to_be_visible()
    page.context.close()

    again = new_page(browser, relay.url, sent)
    again.goto("/signin")
    again.get_by_label("Username").fill(shuttle.harmed.user.username)
    again.get_by_label("Password").fill(shuttle.harmed.password)
    again.get_by_role("button", name="Sign in").click()
    expect(again.locator("#page-error")).to_be_visible()
    sign_in(again, shuttle.harmed, password=NEW_PASSWORD)
    expect(again.get_by_text("written before the change")).to_be_visible()
    assert all(NEW_PASSWORD not in body for body in sent.everything())
