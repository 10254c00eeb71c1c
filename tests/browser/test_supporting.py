"""A supporter in the browser: they read their participant's side, opened in the browser
with their own key, and write a draft for them, sealed in the browser to the facilitators,
themselves and their participant. An empty draft is refused beside the field and nothing is
sent; once consent ends a send is refused beside the button. axe checks the page; nothing
typed leaves the browser in clear."""

from __future__ import annotations

import pytest

from relay.cases import supporters
from relay.moderation import actions as moderation
from relay.moderation.models import Message
from tests.browser.helpers import Sent, check_page, expect, new_page, sign_in
from tests.browser.scenario import SENTINEL
from tests.cases.test_supporters import with_supporter
from tests.envelopes import parsed, seal_from
from tests.factories import make_case

pytestmark = [pytest.mark.browser, pytest.mark.live]

THEIRS = f"What should I ask them? {SENTINEL}-theirs"
DRAFT = f"You could ask why it was your house {SENTINEL}-draft"


def test_supporter_reads_their_side_and_sends_a_draft(browser, relay) -> None:
    sc = make_case()
    friend, supporter_id = with_supporter(sc)
    # The person harmed writes to their facilitator, sealed to their supporter too.
    theirs = seal_from(
        sc.harmed, sc, "note_to_facilitator", THEIRS, to=[sc.facilitator, sc.harmed, friend]
    )
    moderation.submit_message(actor=sc.harmed.user, envelope=parsed(theirs))
    sent = Sent()
    page = new_page(browser, relay.url, sent)
    page.goto("/signin")
    page.get_by_label("Username").fill(friend.user.username)
    page.get_by_label("Password").fill(friend.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/supporting")
    name = sc.harmed.user.display_name
    side = page.locator("#side-0")
    expect(side).to_contain_text(THEIRS)
    expect(side.locator(".message-heading").first).to_have_text(f"{name} wrote")
    check_page(page, "supporting")

    # Nothing written: the problem shows beside the field and nothing is sent.
    before = Message.objects.filter(case=sc.case, sender=friend.user).count()
    page.get_by_role("button", name="Send to the facilitator").click()
    expect(page.locator("#draft-body-0-error")).to_contain_text("Write something first.")
    assert Message.objects.filter(case=sc.case, sender=friend.user).count() == before == 0

    page.get_by_label(f"A draft for {name}").check()
    page.get_by_label("Your words").fill(DRAFT)
    page.get_by_role("button", name="Send to the facilitator").click()
    expect(side).to_contain_text(DRAFT)
    expect(side.locator(".message-heading").last).to_have_text(f"Your draft for {name}")
    check_page(page, "supporting")
    draft = Message.objects.get(case=sc.case, sender=friend.user)
    assert draft.kind == "supporter_draft" and draft.state == "delivered"
    named = set(draft.keys.values_list("recipient_key__key_id", flat=True))
    assert named == {
        sc.facilitator.keypair.key_id,
        friend.keypair.key_id,
        sc.harmed.keypair.key_id,
    }
    # Their participant reads the draft on their own page, said to be from their supporter.
    harmed = new_page(browser, relay.url, sent)
    sign_in(harmed, sc.harmed)
    mine = harmed.locator("#messages > li").filter(has_text=DRAFT)
    expect(mine).to_contain_text(f"A draft from your supporter {friend.user.display_name}")
    check_page(harmed, "conversation-with-a-draft")

    # The person harmed ends the support while the page is open: the next send is refused,
    # beside the button, and nothing more is stored.
    supporters.end_supporter(actor=sc.harmed.user, supporter_id=supporter_id)
    page.get_by_label("A note to the facilitator").check()
    page.get_by_label("Your words").fill(f"One more thing {SENTINEL}-late")
    page.get_by_role("button", name="Send to the facilitator").click()
    expect(page.locator("#draft-send-0-problem")).to_contain_text(
        "you are no longer supporting this person"
    )
    assert Message.objects.filter(case=sc.case, sender=friend.user).count() == 1
    assert not any(SENTINEL in body for body in sent.everything())
