"""Quick exit: Escape or the button replaces Relay with a neutral page, Back does not
return to Relay, and the session is gone."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.browser.helpers import Sent, expect, new_page, sign_in
from tests.factories import make_case, otp_token

pytestmark = [pytest.mark.browser, pytest.mark.live]


def session_cookie(page) -> str:  # noqa: ANN001
    return next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")


def assert_left_for_good(page, relay, old_session: str) -> None:  # noqa: ANN001
    expect(page).to_have_url(re.compile(r"/weather$"))
    expect(page.get_by_role("heading", name="Weather forecast")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0
    # The session ended on the server: the old session cookie no longer works.
    expect_signed_out(relay, old_session)
    page.go_back()
    assert not page.url.startswith(relay.url), page.url
    page.go_forward()
    expect(page).to_have_url(re.compile(r"/weather$"))


def expect_signed_out(relay, old_session: str) -> None:  # noqa: ANN001
    with httpx.Client(base_url=relay.url, cookies={"sessionid": old_session}) as client:
        assert client.get("/api/me").status_code == 401


def test_escape_leaves_to_the_neutral_page_and_ends_the_session(browser, relay) -> None:
    shuttle = make_case()
    page = new_page(browser, relay.url, Sent())
    page.goto("/")
    page.get_by_role("link", name="Sign in").click()
    sign_in(page, shuttle.harmed)
    expect(page.locator("#status-banner")).to_contain_text("open")
    page.get_by_label("Your message").fill("half-written")
    old_session = session_cookie(page)
    page.keyboard.press("Escape")
    assert_left_for_good(page, relay, old_session)


def test_quick_exit_button_on_every_page(browser, relay) -> None:
    shuttle = make_case()
    for path in ("/", "/signin", "/enrol"):
        page = new_page(browser, relay.url, Sent())
        page.goto(path)
        page.get_by_role("button", name="Leave this site now").click()
        expect(page).to_have_url(re.compile(r"/weather$"))
        page.go_back()
        assert not page.url.startswith(relay.url), page.url
        page.context.close()
    staff = new_page(browser, relay.url, Sent())
    sign_in(staff, shuttle.facilitator, token=otp_token(shuttle.facilitator))
    staff.get_by_role("link", name=f"Case {shuttle.case.reference}").click()
    expect(staff.locator("#case-state")).to_contain_text("Communicating")
    old_session = session_cookie(staff)
    staff.get_by_role("button", name="Leave this site now").click()
    assert_left_for_good(staff, relay, old_session)


def test_escape_closes_the_withdraw_confirmation_before_leaving(browser, relay) -> None:
    shuttle = make_case()
    page = new_page(browser, relay.url, Sent())
    sign_in(page, shuttle.responsible)
    page.get_by_role("button", name="Withdraw from this process").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(re.compile(r"/conversation$"))
    old_session = session_cookie(page)
    page.keyboard.press("Escape")
    assert_left_for_good(page, relay, old_session)
