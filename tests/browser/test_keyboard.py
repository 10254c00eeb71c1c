"""The participant's whole flow with the keyboard alone: enrol, write, pause, resume,
withdraw. Every action is a key press; the test reads focus only to know where it is."""

from __future__ import annotations

import pytest

from tests.browser.helpers import Sent, check_page, envelopes_sent, expect, new_page
from tests.browser.scenario import (
    SENTINEL,
    case_awaiting_enrolment,
    invitation_code,
    start_communication,
)

pytestmark = [pytest.mark.browser, pytest.mark.live]

MAX_TABS = 40


def tab_to(page, description: str, *, role: str | None = None, name: str | None = None) -> None:  # noqa: ANN001
    """Press Tab until the focused element is the one described (by id, or role and name)."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const e = document.activeElement;
                return { id: e.id, text: (e.textContent || '').trim(), tag: e.tagName }; }"""
        )
        if (description and focused["id"] == description) or (
            name is not None and focused["text"] == name
        ):
            return
    raise AssertionError(f"Tab never reached {description or name}")


def test_participant_flow_with_the_keyboard_alone(browser, relay) -> None:
    scenario = case_awaiting_enrolment()
    code = invitation_code(scenario, "harmed")
    sent = Sent()
    page = new_page(browser, relay.url, sent)
    page.goto("/")

    tab_to(page, "", name="I have a code from my facilitator")
    page.keyboard.press("Enter")
    expect(page.locator("#enrol-code")).to_be_visible()
    tab_to(page, "enrol-code")
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    expect(page.locator("#enrol-password-heading")).to_be_focused()
    password = f"{SENTINEL} keyboard password"
    tab_to(page, "enrol-password")
    page.keyboard.type(password)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    expect(page.locator("#enrol-done-heading")).to_be_focused()
    start_communication(scenario)
    tab_to(page, "enrol-continue")
    page.keyboard.press("Enter")

    expect(page.locator("#status-banner")).to_contain_text("The conversation is open")
    tab_to(page, "kind-question")
    page.keyboard.press("ArrowDown")  # radio group: move to "An answer"
    page.keyboard.press("ArrowDown")  # and on to "A statement"
    expect(page.locator("#kind-statement")).to_be_checked()
    tab_to(page, "compose-body")
    text = f"What happened to you that day matters to me {SENTINEL}"
    page.keyboard.type(text)
    # Past the optional recording and file controls to the send button.
    tab_to(page, "compose-send")
    page.keyboard.press("Enter")
    item = page.locator("#messages > li").filter(has_text=text)
    expect(item).to_contain_text("You wrote: Statement")
    expect(item).to_contain_text("Waiting for your facilitator")
    expect(page.locator("#announcer")).to_have_text("Sent. Your facilitator will read it first.")

    page.locator("#main").focus()
    tab_to(page, "pause-toggle")
    page.keyboard.press("Enter")
    expect(page.locator("#status-banner")).to_contain_text("You have paused")
    expect(page.locator("#pause-toggle")).to_be_focused()
    expect(page.locator("#pause-toggle")).to_have_text("Resume the conversation")
    page.keyboard.press("Enter")
    expect(page.locator("#pause-toggle")).to_have_text("Pause the conversation")

    tab_to(page, "withdraw-start")
    page.keyboard.press("Enter")
    expect(page.locator("#withdraw-cancel")).to_be_focused()  # the safe choice comes first
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#withdraw-confirm")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#ended")).to_contain_text("You have withdrawn")
    check_page(page, "conversation-withdrawn")

    # The watcher saw the enrolment (with its login key) and the statement's envelope.
    assert any('"login_key"' in body for body in sent.bodies)
    assert envelopes_sent(sent) >= 1
    assert [item for item in sent.everything() if SENTINEL in item] == []
    assert sent.problems == []
