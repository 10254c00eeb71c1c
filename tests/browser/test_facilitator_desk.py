"""The facilitator's desk at 1280x800: the cases list updates live; a participant's note to
the facilitators raises an alert and waits in "Waiting for your decision" until marked read
(on the server, per facilitator: it stays read on another device, and still waits for a
colleague); on a desktop the review sits beside the queue."""

from __future__ import annotations

import pytest

from relay.moderation.models import NoteReading
from tests.browser.helpers import Sent, box_of, check_page, expect, new_page, sign_in
from tests.factories import make_case, otp_token

pytestmark = [pytest.mark.browser, pytest.mark.live]

AT_ONCE_MS = 10000


def test_notes_wait_in_the_queue_the_list_is_live_and_the_review_sits_beside_the_queue(
    browser, relay
) -> None:
    sc = make_case(co_facilitator=True)
    assert sc.co_facilitator is not None
    sent = Sent()
    harmed = new_page(browser, relay.url, sent)
    sign_in(harmed, sc.harmed)
    desk = new_page(browser, relay.url, sent, phone=False)
    sign_in(desk, sc.facilitator, token=otp_token(sc.facilitator))
    item = desk.locator(".case-item").filter(has_text=sc.case.reference)
    expect(item).to_contain_text("0 messages waiting")
    staff = new_page(browser, relay.url, sent, phone=False)
    sign_in(staff, sc.facilitator, token=otp_token(sc.facilitator))
    staff.goto(f"/cases/{sc.id}")
    expect(staff.locator("#queue-empty")).to_be_visible()

    # A note to the facilitators: an alert, and it waits in the queue with its words.
    harmed.get_by_label("A note to my facilitator only").check()
    harmed.get_by_label("Your message").fill("I am finding this hard this week.")
    harmed.get_by_role("button", name="Send to my facilitator").click()
    alert = staff.locator("#note-alert")
    expect(alert).to_be_visible(timeout=AT_ONCE_MS)
    expect(alert).to_have_text("New note to facilitators from the person harmed.")
    expect(alert).to_have_attribute("role", "alert")
    waiting = staff.locator("#queue-notes > li")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("I am finding this hard this week.")
    expect(staff.locator("#queue-empty")).to_be_hidden()

    # A question: the cases list, open in another browser, updates without a reload.
    harmed.get_by_label("A question for the other person").check()
    harmed.get_by_label("Your message").fill("Why our house?")
    harmed.get_by_role("button", name="Send to my facilitator").click()
    expect(item).to_contain_text("1 message waiting", timeout=AT_ONCE_MS)
    check_page(desk, "cases-live")

    # On a desktop the review sits beside the queue.
    staff.get_by_role("button", name="Open this message").click()
    expect(staff.locator("#review-heading")).to_be_focused()
    queue_box = box_of(staff.locator("#queue-heading"))
    review_box = box_of(staff.locator("#review-heading"))
    assert review_box["x"] > queue_box["x"] + queue_box["width"], (queue_box, review_box)
    assert abs(review_box["y"] - queue_box["y"]) < 40, (queue_box, review_box)
    expect(staff.locator("#review-heading")).to_be_in_viewport()
    check_page(staff, "case-queue-beside-review")

    # Offline: the error is beside "Mark as read", focused, and the note still waits.
    old_key = f"relay-notes-read-{sc.facilitator.id}"
    staff.evaluate("key => localStorage.setItem(key, '[]')", old_key)
    staff.context.set_offline(True)
    waiting.get_by_role("button", name="Mark as read").click()
    problem = waiting.locator(".action-problem")
    expect(problem).to_be_focused()
    expect(problem).to_contain_text("not connected to the internet")
    expect(problem).to_have_attribute("role", "alert")
    expect(waiting).to_have_count(1)
    staff.context.set_offline(False)
    assert not NoteReading.objects.exists()

    # Marked read, it leaves the queue, and stays read after a reload; what older pages
    # kept in the browser is gone.
    waiting.get_by_role("button", name="Mark as read").click()
    expect(waiting).to_have_count(0)
    expect(staff.locator("#queue-heading")).to_be_focused()
    staff.reload()
    expect(staff.locator("#queue > li")).to_have_count(1)
    expect(staff.locator("#queue-notes > li")).to_have_count(0)
    assert staff.evaluate("key => localStorage.getItem(key)", old_key) is None

    # On another device (a new browser, nothing kept from this one) it is read too.
    laptop = new_page(browser, relay.url, sent, phone=False)
    sign_in(laptop, sc.facilitator, token=otp_token(sc.facilitator))
    laptop.goto(f"/cases/{sc.id}")
    expect(laptop.locator("#queue > li")).to_have_count(1)
    expect(laptop.locator("#queue-notes > li")).to_have_count(0)

    # Read is per facilitator: it still waits for a colleague on the case.
    colleague = new_page(browser, relay.url, sent, phone=False)
    sign_in(colleague, sc.co_facilitator, token=otp_token(sc.co_facilitator))
    colleague.goto(f"/cases/{sc.id}")
    expect(colleague.locator("#queue > li")).to_have_count(1)
    expect(colleague.locator("#queue-notes > li")).to_have_count(1)
    expect(colleague.locator("#queue-notes > li")).to_contain_text(
        "I am finding this hard this week."
    )
    assert all("ERR_INTERNET_DISCONNECTED" in p for p in sent.problems), sent.problems
