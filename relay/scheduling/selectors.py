"""Meetings as each reader may see them (docs/api.md, "Meetings").

An invitee sees the meeting, the proposed times with their own answers only, the sealed
details and whether they may join now; never the other invitees or their answers.
Facilitators also see every invitee's answers."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

from django.conf import settings
from django.utils import timezone

from relay.accounts.models import Role, User
from relay.cases.access import is_current_facilitator
from relay.cases.models import Participation
from relay.scheduling.actions import early_minutes, join_refusal_for
from relay.scheduling.models import Invitee, Meeting, MeetingState, SlotAnswer
from relay.scheduling.states import join_window


def display_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.RELAY_DISPLAY_TIME_ZONE)


def local_time(moment: datetime.datetime, zone: zoneinfo.ZoneInfo | None = None) -> str:
    """A UTC time as the reader reads it, in their zone (the hub's by default), with the
    zone's abbreviation: ``Sunday 29 March 2026, 10:00 BST``."""
    local = moment.astimezone(zone or display_zone())
    return local.strftime("%A %-d %B %Y, %H:%M %Z")


def meeting_wire(
    meeting: Meeting, viewer: User, invitee: Invitee | None,
    now: datetime.datetime | None = None,
) -> dict[str, Any]:
    now = now or timezone.now()
    slots = list(meeting.slots.all())
    mine: dict[Any, str] = {}
    if invitee is not None:
        mine = dict(
            SlotAnswer.objects.filter(invitee=invitee).values_list("slot_id", "answer")
        )
    wire: dict[str, Any] = {
        "meeting_id": str(meeting.pk),
        "case_id": str(meeting.case_id),
        "kind": meeting.kind,
        "medium": meeting.medium,
        "state": meeting.state,
        "duration_minutes": meeting.duration_minutes,
        "starts_at": meeting.starts_at.isoformat() if meeting.starts_at else None,
        "starts_at_local": local_time(meeting.starts_at) if meeting.starts_at else None,
        "sequence": meeting.sequence,
        "slots": [
            {
                "slot_id": str(s.pk),
                "starts_at": s.starts_at.isoformat(),
                "starts_at_local": local_time(s.starts_at),
                **({"my_answer": mine.get(s.pk)} if invitee is not None else {}),
            }
            for s in slots
        ],
        "details": meeting.details,
        "join": None,
    }
    if meeting.state == MeetingState.CONFIRMED and meeting.starts_at is not None:
        opens, closes = join_window(meeting.starts_at, meeting.duration_minutes, early_minutes())
        refusal = join_refusal_for(meeting, viewer, invitee, now)
        wire["join"] = {
            "opens_at": opens.isoformat(),
            "closes_at": closes.isoformat(),
            "may_join": refusal is None,
            "refusal": refusal,
        }
    if invitee is None:
        answers: dict[int, dict[str, str]] = {}
        for a in SlotAnswer.objects.filter(invitee__meeting=meeting):
            answers.setdefault(a.invitee_id, {})[str(a.slot_id)] = a.answer
        wire["invitees"] = [
            {
                "user_id": str(i.user_id),
                "side": i.side,
                "supporter": i.supporter,
                "answers": answers.get(i.pk, {}),
            }
            for i in meeting.invitees.all()
        ]
    return wire


def meetings_for(user: User, case_id: Any = None) -> list[dict[str, Any]]:
    """The meetings ``user`` hosts (facilitator: every meeting of their current cases) or is
    invited to, soonest first; ``case_id`` narrows to one case."""
    now = timezone.now()
    if user.role == Role.FACILITATOR:
        case_ids = list(
            user.assignments.filter(ended_at__isnull=True).values_list("case_id", flat=True)
        )
        query = Meeting.objects.filter(case_id__in=case_ids)
        if case_id is not None:
            query = query.filter(case_id=case_id)
        meetings: list[tuple[Meeting, Invitee | None]] = [
            (m, None) for m in query.select_related("case")
        ]
    elif user.role in (Role.PARTICIPANT, Role.SUPPORTER) or Participation.objects.filter(
        user=user
    ).exists():
        invitees = Invitee.objects.filter(user=user).select_related("meeting", "meeting__case")
        if case_id is not None:
            invitees = invitees.filter(meeting__case_id=case_id)
        meetings = [(i.meeting, i) for i in invitees]
    else:
        meetings = []
    far = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    meetings.sort(key=lambda pair: (pair[0].starts_at or far, pair[0].created_at))
    return [meeting_wire(m, user, i, now) for m, i in meetings]


def may_see_case_meetings(user: User, case_id: Any) -> bool:
    return is_current_facilitator(user, case_id)
