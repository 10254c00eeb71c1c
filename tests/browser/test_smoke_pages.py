from __future__ import annotations

import pytest

from tests.browser.helpers import Sent, check_page, expect, new_page, sign_in
from tests.factories import make_case, otp_token

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_participant_and_facilitator_sign_in(browser, relay) -> None:
    shuttle = make_case()
    sent = Sent()
    page = new_page(browser, relay.url, sent)
    sign_in(page, shuttle.harmed)
    expect(page.locator("#status-banner")).to_contain_text("open")
    check_page(page, "conversation-empty")
    staff = new_page(browser, relay.url, sent, phone=False)
    sign_in(staff, shuttle.facilitator, token=otp_token(shuttle.facilitator))
    staff.get_by_role("link", name=f"Case {shuttle.case.reference}").click()
    expect(staff.locator("#case-state")).to_contain_text("Communicating")
    check_page(staff, "case")
    assert sent.problems == []
