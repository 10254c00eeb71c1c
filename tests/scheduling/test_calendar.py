"""Calendar files parse with the icalendar library and hold nothing beyond the neutral
title, the time and — only when the invitee asks — the link to the meeting page."""

from __future__ import annotations

import datetime

import pytest
from icalendar import Calendar

from relay.errors import InvalidRequest
from relay.operations import run
from relay.scheduling import actions
from relay.scheduling.models import Slot
from relay.surface import Caller
from tests.factories import make_case
from tests.scheduling.helpers import confirmed, consent_to_all, details_for, soon

pytestmark = pytest.mark.django_db


def calendar_of(person, meeting, **kwargs) -> tuple[Calendar, str]:
    reply = run("meeting_calendar", Caller(person.user), {"meeting_id": str(meeting.pk), **kwargs})
    assert reply["filename"] == "appointment.ics"
    return Calendar.from_ical(reply["ics"]), reply["ics"]


def test_the_file_has_a_neutral_title_and_nothing_about_the_case_or_people():
    sc = make_case()
    consent_to_all(sc)
    start = soon(60 * 50)
    meeting = confirmed(
        sc,
        start,
        medium="in_person",
        details=details_for(sc, [sc.facilitator, sc.harmed, sc.responsible]),
    )
    cal, text = calendar_of(sc.harmed, meeting)
    (event,) = cal.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Appointment"
    assert event.decoded("DTSTART") == start
    assert event.decoded("DTEND") == start + datetime.timedelta(minutes=60)
    assert str(cal["METHOD"]) == "PUBLISH" and str(event["STATUS"]) == "CONFIRMED"
    allowed = {"UID", "SEQUENCE", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "STATUS"}
    assert set(event.keys()) == allowed
    for secret in (
        sc.case.reference,
        sc.harmed.user.username,
        sc.responsible.user.username,
        sc.facilitator.user.username,
        str(sc.case.pk),
        meeting.room,
        "Town Hall",
        sc.harmed.user.display_name or "\0",
        str(meeting.pk),
    ):
        assert secret not in text


def test_the_link_is_there_only_when_the_invitee_asks():
    sc = make_case()
    consent_to_all(sc)
    meeting = confirmed(sc, soon(60 * 50))
    cal, _ = calendar_of(sc.harmed, meeting, include_link="true")
    (event,) = cal.walk("VEVENT")
    assert str(event["URL"]).endswith(f"/meetings/{meeting.pk}")
    cal, _ = calendar_of(sc.harmed, meeting)
    assert "URL" not in cal.walk("VEVENT")[0]


def test_the_entry_keeps_its_identity_across_a_reschedule_and_a_cancellation_cancels_it():
    sc = make_case()
    consent_to_all(sc)
    meeting = confirmed(sc, soon(60 * 50))
    first = calendar_of(sc.responsible, meeting)[0].walk("VEVENT")[0]
    actions.reschedule_meeting(
        actor=sc.facilitator.user, meeting_id=meeting.pk, slots=[soon(60 * 80)]
    )
    with pytest.raises(InvalidRequest, match="no confirmed time"):
        calendar_of(sc.responsible, meeting)
    slot = Slot.objects.get(meeting=meeting)
    meeting = actions.confirm_meeting(
        actor=sc.facilitator.user, meeting_id=meeting.pk, slot_id=slot.pk
    )
    second = calendar_of(sc.responsible, meeting)[0].walk("VEVENT")[0]
    assert str(second["UID"]) == str(first["UID"])
    assert second.decoded("SEQUENCE") > first.decoded("SEQUENCE")
    assert second.decoded("DTSTART") == slot.starts_at
    meeting = actions.cancel_meeting(actor=sc.facilitator.user, meeting_id=meeting.pk)
    cal, _ = calendar_of(sc.responsible, meeting, include_link="true")
    third = cal.walk("VEVENT")[0]
    assert str(cal["METHOD"]) == "CANCEL" and str(third["STATUS"]) == "CANCELLED"
    assert str(third["UID"]) == str(first["UID"])
    assert third.decoded("SEQUENCE") > second.decoded("SEQUENCE")
    assert "URL" not in third
