"""Pause in one browser stops forwarding in the facilitator's browser at once; withdrawal
ends the conversation for both parties. Facilitators' reasons and notes stay encrypted."""

from __future__ import annotations

import pytest

from tests.browser.helpers import (
    Sent,
    both_parties_and_staff,
    check_page,
    envelopes_sent,
    expect,
)
from tests.browser.scenario import SENTINEL
from tests.factories import make_case

pytestmark = [pytest.mark.browser, pytest.mark.live]

AT_ONCE_MS = 3000


def test_pause_blocks_forwarding_at_once_and_withdraw_ends_it_for_both(browser, relay) -> None:
    shuttle = make_case()
    sent = Sent()
    harmed, responsible, staff = both_parties_and_staff(browser, relay.url, sent, shuttle)
    expect(staff.locator("#case-state")).to_contain_text("Communicating")

    # Two questions wait; the facilitator opens the first.
    for text in (f"First question {SENTINEL}", f"Second question {SENTINEL}"):
        harmed.get_by_label("Your message").fill(text)
        harmed.get_by_role("button", name="Send to my facilitator").click()
        expect(harmed.locator("#messages > li").filter(has_text=text)).to_be_visible()
    expect(staff.locator("#queue > li")).to_have_count(2)
    staff.get_by_role("button", name="Open this message").first.click()
    forward = staff.get_by_role("button", name="Pass it on", exact=True)
    expect(forward).to_be_enabled()

    # The person responsible pauses: forwarding is disabled in the facilitator's browser.
    responsible.get_by_role("button", name="Pause the conversation").click()
    expect(forward).to_be_disabled(timeout=AT_ONCE_MS)
    expect(staff.locator("#case-state")).to_contain_text(
        "Paused by the person responsible", timeout=AT_ONCE_MS
    )
    expect(staff.locator("#forward-blocked")).to_be_visible()
    expect(responsible.locator("#status-banner")).to_contain_text("You have paused")
    # The other party learns only that it is paused, not by whom.
    expect(harmed.locator("#status-banner")).to_have_text(
        "The conversation is paused. You can still write to your facilitator.",
        timeout=AT_ONCE_MS,
    )
    check_page(responsible, "conversation-paused")
    check_page(staff, "case-paused")

    # While paused the facilitator can still decline, with a reason that is encrypted.
    staff.get_by_label("Reason it will not be passed on").fill(f"Too early for this {SENTINEL}")
    staff.get_by_role("button", name="Do not pass it on").click()
    first = harmed.locator("#messages > li").filter(has_text="First question")
    expect(first).to_contain_text("Not passed on")
    expect(first).to_contain_text(f"Too early for this {SENTINEL}")

    # The second question, opened while paused, cannot be passed on either.
    staff.get_by_role("button", name="Open this message").click()
    expect(staff.locator("#review-original")).to_have_text(f"Second question {SENTINEL}")
    expect(forward).to_be_disabled()

    # Resuming re-enables forwarding at once, on the message already open.
    responsible.get_by_role("button", name="Resume the conversation").click()
    expect(forward).to_be_enabled(timeout=AT_ONCE_MS)
    expect(staff.locator("#case-state")).to_contain_text("Communicating", timeout=AT_ONCE_MS)
    staff.get_by_role("button", name="Open this message").click()
    expect(forward).to_be_enabled(timeout=AT_ONCE_MS)

    # A note from the facilitator to one participant.
    staff.get_by_label("To", exact=True).select_option("harmed")
    staff.get_by_label("Your note").fill(f"Thinking of you this week {SENTINEL}")
    staff.get_by_role("button", name="Send the note").click()
    note = harmed.locator("#messages > li").filter(has_text="Thinking of you this week")
    expect(note).to_contain_text("From your facilitator")
    expect(responsible.locator("#messages")).not_to_contain_text("Thinking of you")

    # The person harmed withdraws: a confirmation first, then it is final for both.
    harmed.get_by_role("button", name="Withdraw from this process").click()
    dialog = harmed.get_by_role("dialog", name="Withdraw from this process?")
    expect(dialog).to_contain_text("This is final")
    check_page(harmed, "withdraw-confirmation")
    dialog.get_by_role("button", name="No, go back").click()
    expect(dialog).to_be_hidden()
    harmed.get_by_role("button", name="Withdraw from this process").click()
    dialog.get_by_role("button", name="Yes, withdraw").click()
    expect(harmed.locator("#ended")).to_contain_text("You have withdrawn")
    expect(harmed.locator("#compose-form")).to_be_hidden()
    expect(responsible.locator("#status-banner")).to_contain_text(
        "the person harmed has withdrawn", timeout=AT_ONCE_MS
    )
    expect(responsible.get_by_role("button", name="Pause the conversation")).to_be_hidden()
    expect(responsible.get_by_label("A question for the other person")).to_be_disabled()
    expect(responsible.get_by_label("A note to my facilitator only")).to_be_checked()
    expect(staff.locator("#case-state")).to_contain_text("Withdrawn: the person harmed")
    # The second question was never passed on: it left the queue when its sender withdrew.
    expect(staff.locator("#queue > li")).to_have_count(0)
    expect(staff.locator("#review")).to_be_hidden()

    # The two questions, the reason and the note all left as envelopes the watcher saw.
    assert envelopes_sent(sent) >= 4 and sent.frames
    assert [item for item in sent.everything() if SENTINEL in item] == []
    assert sent.problems == []
