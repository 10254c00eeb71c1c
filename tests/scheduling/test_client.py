"""The Python client against a real Daphne: a facilitator offers times with sealed
details, a participant answers, reads the details and the calendar file, joins."""

from __future__ import annotations

import pytest
from django.conf import settings
from icalendar import Calendar

from relay_client.client import RelayClient
from tests.factories import make_case, otp_token
from tests.scheduling.helpers import consent_to_all, soon

pytestmark = [pytest.mark.live]


def client(url: str) -> RelayClient:
    return RelayClient(
        url,
        kdf_floor_opslimit=settings.RELAY_KDF_OPSLIMIT,
        kdf_floor_memlimit=settings.RELAY_KDF_MEMLIMIT,
    )


def test_schedule_answer_confirm_and_read_through_the_client(daphne):
    sc = make_case()
    consent_to_all(sc)
    staff = client(daphne.url)
    staff.sign_in(
        sc.facilitator.user.username, sc.facilitator.password, otp_token=otp_token(sc.facilitator)
    )
    harmed = client(daphne.url)
    harmed.sign_in(sc.harmed.user.username, sc.harmed.password)
    meeting = staff.schedule_meeting(
        sc.id,
        kind="preparation",
        medium="in_person",
        side="harmed",
        slots=[soon(3000).isoformat(), soon(4000).isoformat()],
        details="Room 3, Town Hall",
    )
    (mine,) = harmed.meetings()
    assert mine["meeting_id"] == meeting["meeting_id"]
    assert harmed.meeting_details(mine) == "Room 3, Town Hall"
    first = mine["slots"][0]["slot_id"]
    answered = harmed.answer_meeting(mine["meeting_id"], {first: "accept"})
    assert answered["slots"][0]["my_answer"] == "accept"
    confirmed = staff.confirm_meeting(meeting["meeting_id"], first)
    assert confirmed["state"] == "confirmed"
    ics = harmed.meeting_calendar(meeting["meeting_id"])
    (event,) = Calendar.from_ical(ics).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Appointment"
    assert staff.cancel_meeting(meeting["meeting_id"])["state"] == "cancelled"
    assert harmed.meetings(sc.id)[0]["state"] == "cancelled"
