"""Calendar files (iCalendar, RFC 5545) for a meeting, made with the ``icalendar`` package.

The file says as little as possible: the title is "Appointment", there is no description,
no organiser or attendee, no case reference and no place — only the time, and the link to
Relay's meeting page if the invitee asks for it. Its UID is the meeting's calendar
identity, kept across reschedules; ``SEQUENCE`` rises with each change, and a cancelled
meeting's file is a cancellation (``METHOD:CANCEL``, ``STATUS:CANCELLED``).
"""

from __future__ import annotations

import datetime

from icalendar import Calendar, Event

from relay.scheduling.models import Meeting, MeetingState

TITLE = "Appointment"


def meeting_calendar(meeting: Meeting, *, link: str | None = None) -> bytes:
    if meeting.starts_at is None:
        raise ValueError("Only a confirmed or cancelled meeting with a time has a calendar file.")
    cancelled = meeting.state == MeetingState.CANCELLED
    cal = Calendar()
    cal.add("prodid", "-//Relay//Appointment//EN")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"{meeting.calendar_uid}@relay")
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", meeting.updated_at.astimezone(datetime.UTC))
    event.add("dtstart", meeting.starts_at.astimezone(datetime.UTC))
    event.add(
        "dtend",
        meeting.starts_at.astimezone(datetime.UTC)
        + datetime.timedelta(minutes=meeting.duration_minutes),
    )
    event.add("summary", TITLE)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if link and not cancelled:
        event.add("url", link)
    cal.add_component(event)
    return cal.to_ical()
