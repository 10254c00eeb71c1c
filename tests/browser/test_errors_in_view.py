"""Errors where people look (the GOV.UK patterns), at phone (390x844) and desktop (1280x800)
sizes: a problem with a form's words shows beside the field and in a summary at the top of
the form that takes focus and links to the field; sending while offline shows the error
beside Send, in view and focused, and it gives way to "connected again" when the connection
comes back; a slow conversation page says it is loading instead of showing a blank page."""

from __future__ import annotations

import pytest

from relay.moderation.models import Message
from tests.browser.helpers import Sent, box_of, check_page, expect, new_page, sign_in
from tests.factories import make_case, otp_token

pytestmark = [pytest.mark.browser, pytest.mark.live]

AT_ONCE_MS = 3000


def messages_from(shuttle, person) -> int:  # noqa: ANN001
    return Message.objects.filter(case_id=shuttle.id, sender=person.user).count()


def in_view(page, selector: str) -> dict:  # noqa: ANN001
    """The element's box, asserted inside the viewport and clear of the quick exit bar fixed
    to the bottom of a phone's screen (and of its corner button on a desktop)."""
    box = box_of(page.locator(selector))
    viewport = page.viewport_size
    exit_box = box_of(page.get_by_role("button", name="Leave this site now"))
    assert viewport is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (selector, box)
    staff = page.evaluate("document.body.dataset.staff === 'true'")
    if not staff and exit_box["width"] >= viewport["width"] - 1:  # the phone's bottom bar
        assert box["y"] + box["height"] <= exit_box["y"], (selector, box, exit_box)
    return box


def test_conversation_loading_empty_message_and_offline_send_on_a_phone(browser, relay) -> None:
    shuttle = make_case()
    sent = Sent()
    page = new_page(browser, relay.url, sent)
    sign_in(page, shuttle.harmed)

    # A slow network: the history read is held back, and the page says it is loading.
    held = []
    page.route("**/api/events*", lambda route: held.append(route))
    page.goto("/conversation")
    expect(page.locator("#page-loading")).to_be_visible()
    expect(page.locator("#page-loading")).to_have_attribute("role", "status")
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the history read was not held back"
    expect(page.locator("#page-loading")).to_be_visible()
    expect(page.locator("#conversation")).to_be_hidden()
    for route in held:
        route.continue_()
    page.unroute("**/api/events*")
    expect(page.locator("#conversation")).to_be_visible()
    expect(page.locator("#page-loading")).to_be_hidden()

    # An empty message: the summary at the top of the form takes focus and links to the
    # field, and the message is beside the field.
    send = page.get_by_role("button", name="Send to my facilitator")
    send.scroll_into_view_if_needed()
    send.click()
    summary = page.locator("#compose-problems")
    expect(summary).to_be_focused()
    in_view(page, "#compose-problems")
    expect(summary).to_contain_text("There is a problem")
    expect(page.locator("#compose-body-error")).to_have_text("Error: Write your message first")
    expect(page.locator("#compose-body")).to_have_attribute("aria-invalid", "true")
    check_page(page, "conversation-empty-message")
    summary.get_by_role("link", name="Write your message first").click()
    expect(page.locator("#compose-body")).to_be_focused()
    in_view(page, "#compose-body-error")

    # Offline: the error is beside Send, in view and focused; nothing was stored.
    page.get_by_label("Your message").fill("Are you sorry?")
    page.context.set_offline(True)
    send.click()
    problem = page.locator("#compose-send-problem")
    expect(problem).to_be_focused()
    expect(problem).to_contain_text("not connected to the internet")
    expect(problem).to_have_attribute("role", "alert")
    send_box = box_of(send)
    problem_box = in_view(page, "#compose-send-problem")
    assert 0 <= problem_box["y"] - (send_box["y"] + send_box["height"]) < 40, (
        send_box,
        problem_box,
    )
    expect(page.locator("#compose-body")).to_have_value("Are you sorry?")
    expect(page.locator("#compose-body-error")).to_be_hidden()
    check_page(page, "conversation-offline-send")
    assert messages_from(shuttle, shuttle.harmed) == 0

    # The connection comes back: the error gives way to a notice that says so.
    page.context.set_offline(False)
    expect(problem).to_have_text(
        "You are connected again. You can send your message now.", timeout=AT_ONCE_MS
    )
    expect(problem).to_have_attribute("role", "status")
    send.click()
    expect(page.locator("#messages > li").filter(has_text="Are you sorry?")).to_contain_text(
        "Waiting for your facilitator", timeout=AT_ONCE_MS
    )
    expect(problem).to_be_hidden()
    assert messages_from(shuttle, shuttle.harmed) == 1
    assert sent.problems == [] or all("ERR_INTERNET_DISCONNECTED" in p for p in sent.problems), (
        sent.problems
    )


def test_the_facilitators_review_shows_errors_beside_the_field_on_a_desktop(browser, relay) -> None:
    shuttle = make_case()
    sent = Sent()
    harmed = new_page(browser, relay.url, sent)
    sign_in(harmed, shuttle.harmed)
    harmed.get_by_label("Your message").fill("Why our house?")
    harmed.get_by_role("button", name="Send to my facilitator").click()
    expect(harmed.locator("#messages > li")).to_have_count(1)

    staff = new_page(browser, relay.url, sent, phone=False)
    sign_in(staff, shuttle.facilitator, token=otp_token(shuttle.facilitator))
    staff.goto(f"/cases/{shuttle.id}")
    staff.get_by_role("button", name="Open this message").click()
    expect(staff.locator("#review-heading")).to_be_focused()

    # Return without a note: the summary at the top of the review takes focus, in view, and
    # links to the note field; the message is beside the field.
    staff.get_by_role("button", name="Return it with this note").click()
    summary = staff.locator("#review-problems")
    expect(summary).to_be_focused()
    in_view(staff, "#review-problems")
    expect(staff.locator("#review-return-note-error")).to_have_text(
        "Error: Write a note saying what to change"
    )
    check_page(staff, "case-review-missing-note")
    summary.get_by_role("link", name="Write a note saying what to change").click()
    expect(staff.locator("#review-return-note")).to_be_focused()
    in_view(staff, "#review-return-note-error")

    # Decline without a reason: only that field's problem now.
    staff.get_by_role("button", name="Do not pass it on").click()
    expect(summary.get_by_role("link")).to_have_count(1)
    expect(summary).to_contain_text("Write the reason it will not be passed on")
    expect(staff.locator("#review-return-note-error")).to_be_hidden()

    # Offline: the error is beside "Pass it on", focused and in view; nothing was decided.
    staff.context.set_offline(True)
    staff.get_by_role("button", name="Pass it on", exact=True).click()
    problem = staff.locator("#review-forward-problem")
    expect(problem).to_be_focused()
    in_view(staff, "#review-forward-problem")
    expect(summary).to_be_hidden()
    staff.context.set_offline(False)
    assert messages_from(shuttle, shuttle.facilitator) == 0
    staff.get_by_role("button", name="Pass it on", exact=True).click()
    expect(staff.locator("#review")).to_be_hidden(timeout=AT_ONCE_MS)
    expect(staff.locator("#queue-heading")).to_be_focused()
