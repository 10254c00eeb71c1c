"""Signing in sends a login key, never the password, for participants and for staff."""

from __future__ import annotations

import pytest

from relay.accounts.models import Role
from tests.browser.helpers import Sent, check_page, expect, new_page, sign_in
from tests.browser.scenario import SENTINEL
from tests.factories import make_person, otp_token

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_sign_in_never_sends_the_password(browser, relay) -> None:
    participant = make_person(Role.PARTICIPANT, password=f"{SENTINEL} participant pass")
    facilitator = make_person(Role.FACILITATOR, password=f"{SENTINEL} facilitator pass")
    sent = Sent()
    page = new_page(browser, relay.url, sent)
    sign_in(page, participant)
    expect(page.locator("#page-error")).to_contain_text("not part of a conversation yet")
    staff = new_page(browser, relay.url, sent, phone=False)
    sign_in(staff, facilitator, token=otp_token(facilitator))
    expect(staff.locator("#cases-empty")).to_be_visible()
    assert any('"login_key"' in body for body in sent.bodies)
    assert [item for item in sent.everything() if SENTINEL in item] == []
    assert sent.problems == []


def test_wrong_password_and_wrong_code_are_explained(browser, relay) -> None:
    participant = make_person(Role.PARTICIPANT)
    sent = Sent()
    page = new_page(browser, relay.url, sent)
    page.goto("/signin")
    page.get_by_label("Username").fill(participant.user.username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("That username and password do not match.")
    check_page(page, "signin-error")
    page.goto("/enrol")
    page.get_by_label("Your code").fill("AAAA-BBBB-CCCC-DDDD")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not valid")
    expect(page.locator("#enrol-password-form")).to_be_hidden()
    # The browser refused nothing and leaked nothing; only the expected 4xx answers.
    assert all("Failed to load resource" in p for p in sent.problems)
