"""The participant's conversation page in plain words: a message waiting for a decision can
be taken back, and then never reaches the facilitator's queue; the facilitator's case page
says each participant's part in words, not the server's state names."""

from __future__ import annotations

import pytest

from tests.browser.helpers import Sent, both_parties_and_staff, check_page, expect
from tests.browser.scenario import SENTINEL
from tests.factories import make_case

pytestmark = [pytest.mark.browser, pytest.mark.live]

AT_ONCE_MS = 3000


def test_a_waiting_message_is_taken_back_and_leaves_the_queue(browser, relay) -> None:
    shuttle = make_case()
    sent = Sent()
    harmed, _responsible, staff = both_parties_and_staff(browser, relay.url, sent, shuttle)
    expect(staff.locator("#participants")).to_contain_text("Taking part.")
    expect(staff.locator("#participants")).not_to_contain_text("active")

    text = f"Maybe not yet {SENTINEL}"
    harmed.get_by_label("Your message").fill(text)
    harmed.get_by_role("button", name="Send to my facilitator").click()
    mine = harmed.locator("#messages > li").filter(has_text=text)
    expect(mine).to_contain_text("Waiting for your facilitator")
    expect(staff.locator("#queue > li")).to_have_count(1, timeout=AT_ONCE_MS)
    take_back = mine.get_by_role("button", name="Take it back")
    expect(take_back).to_be_visible(timeout=AT_ONCE_MS)
    check_page(harmed, "conversation-take-back")

    take_back.click()
    expect(mine).to_contain_text("Taken back", timeout=AT_ONCE_MS)
    expect(mine.get_by_role("button", name="Take it back")).to_have_count(0)
    expect(staff.locator("#queue > li")).to_have_count(0, timeout=AT_ONCE_MS)
    expect(staff.locator("#record")).to_contain_text("taken back by its writer", timeout=AT_ONCE_MS)
    expect(staff.locator("#record")).not_to_contain_text("retracted")
