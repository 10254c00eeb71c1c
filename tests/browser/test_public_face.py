"""The hub's public face in a browser, at phone (390x844) and desktop (1280x800) sizes: every
public page and the not-found page keep the quick exit in the viewport after scrolling to the
bottom, axe finds nothing, and a tap on the quick exit leaves. On a facilitator's page Escape
does not sign out."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.browser.helpers import Sent, box_of, check_page, expect, new_page, sign_in
from tests.factories import make_case, otp_token

pytestmark = [pytest.mark.browser, pytest.mark.live]

PUBLIC = ["/", "/about", "/help", "/contact", "/privacy", "/accessibility", "/cookies"]


def assert_quick_exit_in_view_after_scrolling(page) -> None:  # noqa: ANN001
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_timeout(50)
    assert page.evaluate("window.scrollY") > 0 or page.evaluate(
        "document.documentElement.scrollHeight <= window.innerHeight"
    )
    box = box_of(page.get_by_role("button", name="Leave this site now"))
    viewport = page.viewport_size
    assert viewport is not None
    assert 0 <= box["y"] and box["y"] + box["height"] <= viewport["height"], (page.url, box)
    assert 0 <= box["x"] and box["x"] + box["width"] <= viewport["width"], (page.url, box)


def test_public_pages_keep_the_quick_exit_in_reach(browser, relay) -> None:
    sent = Sent()
    for phone in (True, False):
        page = new_page(browser, relay.url, sent, phone=phone)
        for path in [*PUBLIC, "/no-such-page"]:
            page.goto(path)
            assert_quick_exit_in_view_after_scrolling(page)
            if phone:
                name = "public-" + (path.strip("/").replace("-", "_") or "home")
                check_page(page, name)
        page.context.close()
    # The one expected console error is the not-found page's own 404 status.
    assert [p for p in sent.problems if "status of 404" not in p] == []
    phone = new_page(browser, relay.url, sent)
    phone.goto("/help")
    phone.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    phone.get_by_role("button", name="Leave this site now").click()
    expect(phone).to_have_url(re.compile(r"/weather$"))


def test_escape_on_a_facilitators_page_does_not_sign_out(browser, relay) -> None:
    shuttle = make_case()
    staff = new_page(browser, relay.url, Sent(), phone=False)
    sign_in(staff, shuttle.facilitator, token=otp_token(shuttle.facilitator))
    expect(staff.get_by_role("button", name="Sign out")).to_be_visible()
    staff.keyboard.press("Escape")
    staff.wait_for_timeout(300)
    expect(staff).to_have_url(re.compile(r"/cases$"))
    session = next(c["value"] for c in staff.context.cookies() if c["name"] == "sessionid")
    with httpx.Client(base_url=relay.url, cookies={"sessionid": session}) as client:
        assert client.get("/api/me").status_code == 200
