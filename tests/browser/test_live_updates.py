"""Live updates: a facilitator's safety pause reaches both parties at once, and a browser
whose server was killed reconnects and catches up on what it missed, by sequence number."""

from __future__ import annotations

import json

import pytest

from relay.accounts.models import PublicKey
from relay.moderation import actions as moderation
from tests.browser.helpers import Sent, both_parties_and_staff, expect, new_page, sign_in
from tests.conftest import DaphneProcess
from tests.envelopes import parsed, seal_from
from tests.factories import make_case

pytestmark = [pytest.mark.browser, pytest.mark.live]

AT_ONCE_MS = 3000


def test_safety_pause_reaches_both_parties_at_once(browser, relay) -> None:
    shuttle = make_case()
    sent = Sent()
    harmed, responsible, staff = both_parties_and_staff(browser, relay.url, sent, shuttle)

    # The facilitator reads the fingerprint with the person harmed and records it.
    key = PublicKey.objects.get(user=shuttle.harmed.user, retired_at__isnull=True)
    harmed_card = staff.locator("#participants > li").filter(has_text="the person harmed")
    expect(harmed_card.locator(".fingerprint")).to_have_text(key.fingerprint)
    harmed_card.get_by_role("button", name="I have read this fingerprint").click()
    expect(harmed_card).to_contain_text("checked this fingerprint")
    assert key.verifications.filter(verified_by=shuttle.facilitator.user).exists()

    # A question waits and the facilitator has it open, ready to pass on.
    harmed.get_by_label("Your message").fill("Can we meet next month?")
    harmed.get_by_role("button", name="Send to my facilitator").click()
    staff.get_by_role("button", name="Open this message").click()
    forward = staff.get_by_role("button", name="Pass it on", exact=True)
    expect(forward).to_be_enabled()

    staff.get_by_role("button", name="Pause this case for safety").click()
    expect(staff.locator("#case-state")).to_contain_text("Paused by a facilitator")
    expect(forward).to_be_disabled()
    expect(staff.locator("#forward-blocked")).to_be_visible()
    for page in (harmed, responsible):
        expect(page.locator("#status-banner")).to_have_text(
            "The conversation is paused. You can still write to your facilitator.",
            timeout=AT_ONCE_MS,
        )
        # Their own control stays "Pause": a facilitator's pause is not theirs to lift.
        expect(page.get_by_role("button", name="Pause the conversation")).to_be_visible()
    staff.get_by_role("button", name="Lift the safety pause").click()
    for page in (harmed, responsible):
        expect(page.locator("#status-banner")).to_contain_text(
            "The conversation is open", timeout=AT_ONCE_MS
        )
    expect(forward).to_be_enabled()
    assert sent.problems == []


def test_reconnects_after_the_server_is_killed_and_catches_up(browser, relay) -> None:
    shuttle = make_case()
    sent = Sent()
    harmed = new_page(browser, relay.url, sent)
    sign_in(harmed, shuttle.harmed)
    expect(harmed.locator("#status-banner")).to_contain_text("The conversation is open")
    hellos_before = sum('"type":"hello"' in f for f in sent.frames)

    relay.kill()
    # Written while the server is down: no push can reach the browser.
    text = "We will talk on Thursday as planned."
    envelope = seal_from(
        shuttle.facilitator,
        shuttle,
        "facilitator_note",
        text,
        to=[shuttle.harmed, shuttle.facilitator],
    )
    moderation.send_facilitator_note(actor=shuttle.facilitator.user, envelope=parsed(envelope))
    restarted = DaphneProcess(port=relay.port).start()
    try:
        note = harmed.locator("#messages > li").filter(has_text=text)
        expect(note).to_contain_text("From your facilitator", timeout=20_000)
        assert sum('"type":"hello"' in f for f in sent.frames) > hellos_before
        # It caught up from where it was, by sequence number, not from the start.
        hellos = [json.loads(f) for f in sent.frames if '"type":"hello"' in f]
        assert hellos[0]["last_seq"] > 0
        assert hellos[-1]["last_seq"] >= hellos[0]["last_seq"]
        # Exactly once, even after replay.
        expect(note).to_have_count(1)
    finally:
        restarted.stop()
