"""The rules of meetings. Pure: no database access (docs/scheduling.md).

Each rule is asked by the action that enforces it and by the meeting as it is shown, so a
client offers exactly what the server will accept."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext

from relay.cases.models import CaseState as C
from relay.cases.models import CommunicationMode
from relay.cases.models import ParticipationState as P
from relay.cases.states import consents_to
from relay.errors import IllegalTransition
from relay.scheduling.models import Medium, MeetingKind, MeetingState

M = MeetingState

MEETING_TRANSITIONS: dict[str, frozenset[str]] = {
    # Rescheduling a proposed or confirmed meeting proposes new times (back to proposed).
    M.PROPOSED: frozenset({M.CONFIRMED, M.PROPOSED, M.CANCELLED}),
    M.CONFIRMED: frozenset({M.PROPOSED, M.CANCELLED}),
    M.CANCELLED: frozenset(),
}

ENDED_CASE_STATES = frozenset({C.UNSUITABLE, C.CONCLUDED, C.CLOSED})
# A joint conference: both participants consented (or already taking part), neither paused.
CONFERENCE_READY = frozenset({P.CONSENTED, P.ACTIVE})

MIN_DURATION, MAX_DURATION = 15, 240
MAX_SLOTS = 5


class ConsentMissing(str):
    """A refusal for missing consent to the meeting's mode: answered with the code
    consent_missing, as relay.cases.consent.require_consent answers."""

    __slots__ = ()


def check_meeting_transition(current: str, new: str) -> None:
    if new not in MEETING_TRANSITIONS[current]:
        if current == M.CANCELLED:
            raise IllegalTransition(gettext("This meeting was cancelled."))
        raise IllegalTransition(
            gettext("A meeting cannot move from %(current)s to %(new)s.")
            % {"current": current, "new": new}
        )


def required_mode(medium: str) -> str:
    """The communication mode a participant must consent to for a joint conference by this
    medium: phone and video are ``conference``, in person is ``in_person``."""
    if medium == Medium.IN_PERSON:
        return CommunicationMode.IN_PERSON
    return CommunicationMode.CONFERENCE


@dataclass(frozen=True)
class PartyState:
    """One invited participant's participation, as the rules need it."""

    side: str
    state: str
    consented_modes: Sequence[str]


def scheduling_refusal(
    kind: str, medium: str, case_state: str, safety_paused: bool, parties: Iterable[PartyState]
) -> str | None:
    """Why a meeting of this kind cannot be proposed (or re-proposed) now, or None."""
    parties = list(parties)
    if case_state in ENDED_CASE_STATES:
        return gettext("This case has ended, so no meeting can be scheduled.")
    if any(p.state == P.WITHDRAWN for p in parties):
        return gettext("A participant invited has withdrawn.")
    if kind == MeetingKind.CONFERENCE:
        if len(parties) != 2:
            return gettext("A joint conference needs both participants.")
        if safety_paused:
            return gettext("The case is paused for safety.")
        if any(p.state == P.PAUSED for p in parties):
            return gettext("Communication is paused.")
        if any(p.state not in CONFERENCE_READY for p in parties):
            return gettext("Both participants must have consented before a joint conference.")
        mode = required_mode(medium)
        if not all(consents_to(p.consented_modes, mode) for p in parties):
            label = CommunicationMode(mode).label.lower()
            return ConsentMissing(
                gettext(
                    "There is no current consent to this way of meeting."
                    " Both must consent to a %(mode)s for this joint conference."
                )
                % {"mode": label}
            )
    elif len(parties) != 1:
        return gettext("A preparation meeting is with one participant.")
    return None


def join_window(
    starts_at: datetime.datetime, duration_minutes: int, early_minutes: int
) -> tuple[datetime.datetime, datetime.datetime]:
    """When the Join button shows: from ``early_minutes`` before the start to the end."""
    return (
        starts_at - datetime.timedelta(minutes=early_minutes),
        starts_at + datetime.timedelta(minutes=duration_minutes),
    )


def join_refusal(
    *,
    kind: str,
    medium: str,
    state: str,
    starts_at: datetime.datetime | None,
    duration_minutes: int,
    early_minutes: int,
    now: datetime.datetime,
    facilitator: bool,
    case_state: str,
    safety_paused: bool,
    parties: Iterable[PartyState],
    own_side: str | None,
) -> str | None:
    """Why this person may not join the video room now, or None. A withdrawn participation
    shuts every meeting it was invited to; for a joint conference a paused participation
    (either side), the safety pause, or a participant's consent to conferences no longer
    held shuts the room to both participants. Facilitators (moderators) may still join a
    shut conference, to end it for everyone."""
    if medium != Medium.VIDEO:
        return gettext("This meeting is not a video call.")
    if state != M.CONFIRMED or starts_at is None:
        return gettext("This meeting is not confirmed.")
    if case_state in ENDED_CASE_STATES:
        return gettext("This case has ended.")
    opens, closes = join_window(starts_at, duration_minutes, early_minutes)
    if now < opens:
        return gettext("The meeting room opens shortly before the start.")
    if now >= closes:
        return gettext("This meeting has ended.")
    if facilitator:
        return None
    parties = list(parties)
    own = next((p for p in parties if p.side == own_side), None)
    if own is None or own.state == P.WITHDRAWN:
        return gettext("You no longer take part in this case.")
    if kind == MeetingKind.CONFERENCE:
        if safety_paused or any(p.state in (P.PAUSED, P.WITHDRAWN) for p in parties):
            return gettext("Communication is paused, so the meeting room is closed.")
        if not all(consents_to(p.consented_modes, CommunicationMode.CONFERENCE) for p in parties):
            return gettext("The meeting room is closed: consent to conferences is not in place.")
    return None


def is_live(
    state: str, starts_at: datetime.datetime | None, duration_minutes: int,
    early_minutes: int, now: datetime.datetime,
) -> bool:
    """Whether a meeting's room is open now (its join window)."""
    if state != M.CONFIRMED or starts_at is None:
        return False
    opens, closes = join_window(starts_at, duration_minutes, early_minutes)
    return opens <= now < closes


def has_ended(starts_at: datetime.datetime | None, duration_minutes: int,
              now: datetime.datetime) -> bool:
    return starts_at is not None and now >= starts_at + datetime.timedelta(
        minutes=duration_minutes
    )


REMINDERS_BEFORE_MINUTES = (24 * 60, 60)


def reminder_times(
    starts_at: datetime.datetime, now: datetime.datetime,
    before: Sequence[int] = REMINDERS_BEFORE_MINUTES,
) -> list[tuple[int, datetime.datetime]]:
    """The reminders a meeting confirmed now for ``starts_at`` gets: a day and an hour
    before, each only if it is still ahead."""
    due = [(m, starts_at - datetime.timedelta(minutes=m)) for m in before]
    return [(m, at) for m, at in due if at > now]
