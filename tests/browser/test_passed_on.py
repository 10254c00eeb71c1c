"""Passed on with changes: when a facilitator edits a message before passing it on, its
writer (on a phone, 390x844) reads "Passed on with changes" and the version the other person
received, which the browser's forward seals to them too; a new version of a returned message
links to the message it replaces, and the link moves focus there. The facilitator works on a
desktop (1280x800)."""

from __future__ import annotations

import pytest

from relay.moderation.models import Message
from tests.browser.helpers import Sent, both_parties_and_staff, box_of, check_page, expect
from tests.factories import make_case

pytestmark = [pytest.mark.browser, pytest.mark.live]

AT_ONCE_MS = 5000


def test_the_writer_sees_what_was_passed_on_and_revisions_link_what_they_replace(
    browser, relay
) -> None:
    sc_ = make_case()
    sent = Sent()
    harmed, responsible, staff = both_parties_and_staff(browser, relay.url, sent, sc_)

    harmed.get_by_label("Your message").fill("Why did you pick our house that night?")
    harmed.get_by_role("button", name="Send to my facilitator").click()
    staff.get_by_role("button", name="Open this message").click()
    staff.get_by_label("What will be passed on").fill("Why did you pick our house?")
    staff.get_by_role("button", name="Pass it on", exact=True).click()
    expect(staff.locator("#queue-heading")).to_be_focused(timeout=AT_ONCE_MS)

    mine = harmed.locator("#messages > li").filter(has_text="that night")
    expect(mine).to_contain_text("Passed on with changes by your facilitator", timeout=AT_ONCE_MS)
    version = mine.locator(".passed-on-version")
    expect(version).to_contain_text(
        "What the person responsible received, with your facilitator’s changes:"
    )
    expect(version.locator("blockquote")).to_have_text("Why did you pick our house?")
    # Shown under the writer's own message, not as a message from the other person.
    expect(harmed.locator("#messages > li")).to_have_count(1)
    expect(harmed.locator("#messages")).not_to_contain_text(
        "from the person responsible, passed on"
    )
    # A message without files shows nothing where files would be (not the word "null").
    expect(harmed.locator("#messages")).not_to_contain_text("null")
    assert box_of(version)["width"] <= 390
    check_page(harmed, "conversation-passed-on-with-changes")
    forward = Message.objects.get(case_id=sc_.id, derived_from__isnull=False)
    assert forward.edited is True
    assert {k.recipient_key.user_id for k in forward.keys.select_related("recipient_key")} == {
        sc_.facilitator.user.pk,
        sc_.responsible.user.pk,
        sc_.harmed.user.pk,
    }
    received = responsible.locator("#messages > li")
    expect(received).to_contain_text("Why did you pick our house?", timeout=AT_ONCE_MS)
    expect(received).not_to_contain_text("that night")

    # The answer is returned; the new version links to it.
    responsible.get_by_label("An answer for the other person").check()
    responsible.get_by_label("Your message").fill("No.")
    responsible.get_by_role("button", name="Send to my facilitator").click()
    staff.get_by_role("button", name="Open this message").click()
    staff.get_by_label("Note asking them to change it").fill("Could you say a little more?")
    staff.get_by_role("button", name="Return it with this note").click()
    first = responsible.locator("#messages > li").filter(has_text="No.").filter(has_text="Returned")
    first.get_by_role("button", name="Write a new version").click(timeout=AT_ONCE_MS)
    responsible.get_by_label("Your message").fill("No, I thought the house was empty.")
    responsible.get_by_role("button", name="Send to my facilitator").click()
    revision = responsible.locator("#messages > li").filter(has_text="house was empty")
    expect(revision).to_contain_text(
        "This replaces the message your facilitator returned", timeout=AT_ONCE_MS
    )
    expect(first).to_contain_text("Replaced by your new version")
    revision.get_by_role("link", name="the message your facilitator returned").click()
    expect(first).to_be_focused()
    expect(first).to_be_in_viewport()
    check_page(responsible, "conversation-revision-replaces")
    assert [p for p in sent.problems] == []
