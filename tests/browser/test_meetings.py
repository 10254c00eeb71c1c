"""A facilitator offers two times for a joint video conference; each participant answers
privately; the facilitator confirms; the Join button appears inside the window and gives a
token for this room; a pause by the person harmed takes the person responsible's button
away (and shuts the room they are in) within seconds. axe checks each new page."""

from __future__ import annotations

import datetime
import zoneinfo

import jwt
import pytest

from tests.browser.helpers import Sent, both_parties_and_staff, check_page, expect
from tests.conftest import DaphneProcess
from tests.factories import make_case
from tests.scheduling.helpers import JITSI_SETTINGS, SECRET, consent_to_all

pytestmark = [pytest.mark.browser, pytest.mark.live]

LONDON = zoneinfo.ZoneInfo("Europe/London")


class JitsiDaphne(DaphneProcess):
    def env(self) -> dict[str, str]:
        env = super().env()
        env.update({k: str(v) for k, v in JITSI_SETTINGS.items()})
        return env


@pytest.fixture
def jitsi_relay(browser, transactional_db):  # noqa: ANN001
    server = JitsiDaphne().start()
    try:
        yield server
    finally:
        server.stop()


def local_input(moment: datetime.datetime) -> str:
    """What a datetime-local field holds for ``moment`` in the browser's zone (London)."""
    return moment.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


def test_schedule_answer_confirm_join_and_a_pause_shuts_the_room(browser, jitsi_relay) -> None:
    shuttle = make_case()
    consent_to_all(shuttle)
    harmed, responsible, staff = both_parties_and_staff(browser, jitsi_relay.url, Sent(), shuttle)
    now = datetime.datetime.now(datetime.UTC)

    # The facilitator offers two times: one in a few minutes, one in two days.
    expect(staff.locator("#case-state")).to_contain_text("Communicating")
    expect(staff.locator("#case-meetings-empty")).to_have_attribute("data-ready", "true")
    staff.get_by_label("Meeting", exact=True).select_option("conference")
    expect(staff.locator("#schedule-side-field")).to_be_hidden()
    staff.get_by_label("How").select_option("video")
    staff.get_by_label("First time to offer").fill(local_input(now + datetime.timedelta(minutes=7)))
    staff.get_by_label("Second time to offer (optional)").fill(
        local_input(now + datetime.timedelta(days=2))
    )
    staff.get_by_role("button", name="Offer these times").click()
    expect(staff.locator("#case-meetings > li")).to_have_count(1)
    expect(staff.locator("#case-meetings")).to_contain_text("no answer yet")
    check_page(staff, "case-meetings")

    # The facilitator thinks better of the times and offers two others instead.
    staff.locator("#case-meetings summary", has_text="Offer different times").click()
    new_time = local_input(now + datetime.timedelta(minutes=8))
    staff.get_by_label("New time", exact=True).fill(new_time)
    staff.get_by_label("Another new time (optional)").fill(
        local_input(now + datetime.timedelta(days=3))
    )
    staff.get_by_role("button", name="Offer these times instead").click()
    expect(staff.locator("#announcer")).to_contain_text("new times are offered")
    check_page(staff, "case-meetings")

    # Each participant answers privately: yes to the first time, no to the second.
    for page in (harmed, responsible):
        page.get_by_role("link", name="Your meetings").click()
        expect(page.locator("#meeting-list > li")).to_have_count(1)
        slots = page.get_by_role("group", name="Your answer")
        slots.nth(0).get_by_role("button", name="I can come").click()
        expect(slots.nth(0).get_by_role("button", name="I can come")).to_have_attribute(
            "aria-pressed", "true"
        )
        slots.nth(1).get_by_role("button", name="I cannot come").click()
        expect(slots.nth(1).get_by_role("button", name="I cannot come")).to_have_attribute(
            "aria-pressed", "true"
        )
    # The other party's answers are nowhere on a participant's page.
    expect(harmed.locator("#meeting-list")).not_to_contain_text("The person responsible")
    check_page(harmed, "meetings")

    # The facilitator sees both answers and confirms the first time.
    staff.reload()
    expect(staff.locator("#case-meetings")).to_contain_text("The person harmed: I can come")
    expect(staff.locator("#case-meetings")).to_contain_text("The person responsible: I can come")
    staff.get_by_role("button", name="Confirm this time").first.click()
    expect(staff.locator("#case-meetings")).to_contain_text("Confirmed")

    # Inside the window the Join button shows; joining frames Jitsi with this person's token.
    for page in (harmed, responsible):
        page.reload()
        page.get_by_role("link", name="Open the meeting page").click()
        expect(page.get_by_role("button", name="Join the meeting")).to_be_visible()
    check_page(responsible, "meeting")
    responsible.get_by_role("button", name="Join the meeting").click()
    frame = responsible.locator("iframe[title='Video meeting']")
    expect(frame).to_have_count(1)
    src = frame.get_attribute("src") or ""
    assert src.startswith("https://meet.example.org/relay")
    token = src.split("?jwt=", 1)[1]
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="jitsi", issuer="relay-test")
    assert claims["context"]["user"]["id"] == shuttle.responsible.id
    assert claims["moderator"] is False
    assert src.split("?", 1)[0].endswith("/" + claims["room"])

    # The person harmed pauses: the person responsible's room shuts within seconds.
    harmed.get_by_role("link", name="All your meetings").click()
    harmed.get_by_role("link", name="Your conversation").click()
    harmed.get_by_role("button", name="Pause the conversation").click()
    expect(harmed.locator("#status-banner")).to_contain_text("You have paused")
    expect(responsible.locator("#join-status")).to_contain_text("paused", timeout=8000)
    expect(responsible.get_by_role("button", name="Join the meeting")).to_be_hidden()
    expect(frame).to_have_count(0)
