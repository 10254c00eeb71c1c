"""Meetings built through the real actions."""

from __future__ import annotations

import datetime
from typing import Any

from django.test import override_settings
from django.utils import timezone

from relay.cases import actions as case_actions
from relay.scheduling import actions
from relay.scheduling.models import Meeting, Slot
from tests.envelopes import parsed, seal_from
from tests.factories import Person, ShuttleCase

SECRET = "a-jitsi-secret-for-tests-only-0123456789abcdef"
JITSI_SETTINGS = dict(
    RELAY_VIDEO_PROVIDER="jitsi",
    RELAY_JITSI_DOMAIN="meet.example.org",
    RELAY_JITSI_APP_ID="relay-test",
    RELAY_JITSI_APP_SECRET=SECRET,
    RELAY_JITSI_AUDIENCE="jitsi",
    RELAY_JITSI_SUBJECT="",
    RELAY_JITSI_TOKEN_SECONDS=300,
)


def JITSI() -> override_settings:  # noqa: N802 (reads as the setting it turns on)
    return override_settings(**JITSI_SETTINGS)


def consent_to_all(sc: ShuttleCase) -> None:
    """Both participants consent to conferences and to meeting in person too, themselves."""
    for person in (sc.harmed, sc.responsible):
        case_actions.give_consent(
            actor=person.user, case_id=sc.case.pk, modes=["conference", "in_person"]
        )


def soon(minutes: float) -> datetime.datetime:
    return (timezone.now() + datetime.timedelta(minutes=minutes)).replace(microsecond=0)


def propose(
    sc: ShuttleCase,
    *,
    kind: str = "conference",
    medium: str = "video",
    slots: list[datetime.datetime] | None = None,
    side: str | None = None,
    duration: int = 60,
    details: dict[str, Any] | None = None,
) -> Meeting:
    return actions.schedule_meeting(
        actor=sc.facilitator.user,
        case_id=sc.case.pk,
        kind=kind,
        medium=medium,
        duration_minutes=duration,
        slots=slots or [soon(60 * 24 * 3), soon(60 * 24 * 4)],
        side=side,
        details=parsed(details) if details is not None else None,
    )


def confirmed(sc: ShuttleCase, start: datetime.datetime, **kwargs: Any) -> Meeting:
    meeting = propose(sc, slots=[start], **kwargs)
    slot = Slot.objects.get(meeting=meeting)
    return actions.confirm_meeting(
        actor=sc.facilitator.user, meeting_id=meeting.pk, slot_id=slot.pk
    )


def details_for(sc: ShuttleCase, to: list[Person], text: str = "Room 3, Town Hall") -> dict:
    return seal_from(sc.facilitator, sc, "meeting_details", text, to=to)
