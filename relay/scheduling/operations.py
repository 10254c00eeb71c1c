"""The scheduling operations (docs/api.md, "Meetings")."""

from __future__ import annotations

import datetime
import uuid
from typing import Any, Literal

from django.conf import settings
from django.utils.translation import gettext
from pydantic import Field

from relay.envelopes import Envelope, parse_envelope
from relay.errors import InvalidRequest
from relay.scheduling import actions
from relay.scheduling.access import access_meeting
from relay.scheduling.calendar import meeting_calendar
from relay.scheduling.selectors import meeting_wire, meetings_for
from relay.surface import Caller, Input, Operation, Route


class MeetingsIn(Input):
    case_id: uuid.UUID | None = None


class MeetingRef(Input):
    meeting_id: uuid.UUID


class ScheduleIn(Input):
    case_id: uuid.UUID
    kind: Literal["preparation", "conference"]
    medium: Literal["video", "phone", "in_person"]
    duration_minutes: int
    slots: list[datetime.datetime] = Field(min_length=1, max_length=5)
    side: Literal["harmed", "responsible"] | None = None
    details: dict[str, Any] | None = None


class AnswerIn(Input):
    meeting_id: uuid.UUID
    answers: dict[str, str]


class ConfirmIn(Input):
    meeting_id: uuid.UUID
    slot_id: uuid.UUID


class RescheduleIn(Input):
    meeting_id: uuid.UUID
    slots: list[datetime.datetime] = Field(min_length=1, max_length=5)
    duration_minutes: int | None = None


class DetailsIn(Input):
    meeting_id: uuid.UUID
    details: dict[str, Any]


class CalendarIn(Input):
    meeting_id: uuid.UUID
    include_link: bool = False


def envelope(raw: dict[str, Any] | None) -> Envelope | None:
    if raw is None:
        return None
    return parse_envelope(raw, max_ciphertext=settings.RELAY_MAX_CIPHERTEXT_BYTES)


def reply(caller: Caller, meeting_id: Any) -> dict[str, Any]:
    meeting, invitee = access_meeting(caller.user, meeting_id)
    return meeting_wire(meeting, caller.user, invitee)


def list_meetings(caller: Caller, data: MeetingsIn) -> dict[str, Any]:
    return {"meetings": meetings_for(caller.user, data.case_id)}


def get_meeting(caller: Caller, data: MeetingRef) -> dict[str, Any]:
    return reply(caller, data.meeting_id)


def schedule(caller: Caller, data: ScheduleIn) -> dict[str, Any]:
    meeting = actions.schedule_meeting(
        actor=caller.user, case_id=data.case_id, kind=data.kind, medium=data.medium,
        duration_minutes=data.duration_minutes, slots=data.slots, side=data.side,
        details=envelope(data.details),
    )
    return reply(caller, meeting.pk)


def answer(caller: Caller, data: AnswerIn) -> dict[str, Any]:
    actions.answer_meeting(actor=caller.user, meeting_id=data.meeting_id, answers=data.answers)
    return reply(caller, data.meeting_id)


def confirm(caller: Caller, data: ConfirmIn) -> dict[str, Any]:
    actions.confirm_meeting(actor=caller.user, meeting_id=data.meeting_id, slot_id=data.slot_id)
    return reply(caller, data.meeting_id)


def reschedule(caller: Caller, data: RescheduleIn) -> dict[str, Any]:
    actions.reschedule_meeting(
        actor=caller.user, meeting_id=data.meeting_id, slots=data.slots,
        duration_minutes=data.duration_minutes,
    )
    return reply(caller, data.meeting_id)


def cancel(caller: Caller, data: MeetingRef) -> dict[str, Any]:
    actions.cancel_meeting(actor=caller.user, meeting_id=data.meeting_id)
    return reply(caller, data.meeting_id)


def details(caller: Caller, data: DetailsIn) -> dict[str, Any]:
    sealed = envelope(data.details)
    assert sealed is not None
    actions.set_meeting_details(actor=caller.user, meeting_id=data.meeting_id, details=sealed)
    return reply(caller, data.meeting_id)


def join(caller: Caller, data: MeetingRef) -> dict[str, Any]:
    return actions.join_meeting(actor=caller.user, meeting_id=data.meeting_id)


def meeting_page_url(meeting_id: Any) -> str:
    origin = settings.RELAY_ALLOWED_ORIGINS[0] if settings.RELAY_ALLOWED_ORIGINS else ""
    return f"{origin}/meetings/{meeting_id}"


def calendar(caller: Caller, data: CalendarIn) -> dict[str, Any]:
    meeting, _ = access_meeting(caller.user, data.meeting_id)
    if meeting.starts_at is None:
        raise InvalidRequest(gettext("This meeting has no confirmed time yet."))
    link = meeting_page_url(meeting.pk) if data.include_link else None
    return {
        "filename": "appointment.ics",
        "content_type": "text/calendar",
        "ics": meeting_calendar(meeting, link=link).decode(),
    }


_M = "meetings/<uuid:meeting_id>"
OPERATIONS: dict[str, Operation] = {
    "meetings": Operation(list_meetings, MeetingsIn, False, Route("GET", "meetings")),
    "meeting": Operation(get_meeting, MeetingRef, False, Route("GET", _M)),
    "schedule_meeting": Operation(
        schedule, ScheduleIn, True, Route("POST", "cases/<uuid:case_id>/meetings", status=201)
    ),
    "answer_meeting": Operation(answer, AnswerIn, True, Route("POST", f"{_M}/answer")),
    "confirm_meeting": Operation(confirm, ConfirmIn, True, Route("POST", f"{_M}/confirm")),
    "reschedule_meeting": Operation(
        reschedule, RescheduleIn, True, Route("POST", f"{_M}/reschedule")
    ),
    "cancel_meeting": Operation(
        cancel, MeetingRef, True, Route("POST", f"{_M}/cancel", body=False)
    ),
    "meeting_details": Operation(details, DetailsIn, True, Route("POST", f"{_M}/details")),
    "join_meeting": Operation(join, MeetingRef, True, Route("POST", f"{_M}/join", body=False)),
    "meeting_calendar": Operation(calendar, CalendarIn, False, Route("GET", f"{_M}/calendar")),
}
