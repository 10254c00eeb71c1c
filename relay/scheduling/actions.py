"""The only writes of scheduling (docs/scheduling.md). Each action is one transaction that
locks the case row first (``lock_case``), then the meeting row, checks the rule, records
one audit event and appends its events in one ``append_events`` call."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from relay.accounts.access import require_sender
from relay.accounts.models import Role, User
from relay.accounts.selectors import current_key, current_key_ids
from relay.audit.chain import record
from relay.audit.models import AuditEventType
from relay.cases.access import access_case_as_facilitator
from relay.cases.actions import lock_case
from relay.cases.audience import case_audience
from relay.cases.models import Case, Participation, ParticipationState, Side
from relay.cases.selectors import consented_supporters, current_facilitators, is_safety_paused
from relay.delivery.events import MeetingEvent, Payload
from relay.delivery.streams import append_events
from relay.envelopes import Envelope, Kind, check_recipients
from relay.errors import EnvelopeRejected, IllegalTransition, InvalidRequest
from relay.scheduling import video
from relay.scheduling.access import access_meeting, access_meeting_as_facilitator
from relay.scheduling.invitees import invited_with
from relay.scheduling.models import (
    Answer,
    Invitee,
    Medium,
    Meeting,
    MeetingKind,
    MeetingState,
    Reminder,
    Slot,
    SlotAnswer,
)
from relay.scheduling.states import (
    MAX_DURATION,
    MAX_SLOTS,
    MIN_DURATION,
    ConsentMissing,
    PartyState,
    check_meeting_transition,
    has_ended,
    is_live,
    join_refusal,
    reminder_times,
    scheduling_refusal,
)

Audience = list[uuid.UUID]


def refuse(refusal: str | None) -> None:
    if isinstance(refusal, ConsentMissing):
        raise IllegalTransition(refusal, code="consent_missing")
    if refusal:
        raise IllegalTransition(refusal)


def early_minutes() -> int:
    return int(settings.RELAY_MEETING_JOIN_EARLY_MINUTES)


def lock_meeting(meeting: Meeting) -> tuple[Case, Meeting]:
    """Lock the case row, then the meeting row."""
    case = lock_case(meeting.case_id)
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    locked.case = case
    return case, locked


def parties_of(meeting: Meeting) -> list[Participation]:
    """The participations whose participants (or their supporters) are invited."""
    sides = set(Invitee.objects.filter(meeting=meeting).values_list("side", flat=True))
    return list(Participation.objects.filter(case_id=meeting.case_id, side__in=sides))


def party_states(participations: Iterable[Participation]) -> list[PartyState]:
    return [PartyState(p.side, p.state, list(p.consented_modes)) for p in participations]


def meeting_audience(meeting: Meeting) -> Audience:
    """The invitees and the case's current facilitators."""
    invited = list(Invitee.objects.filter(meeting=meeting).values_list("user_id", flat=True))
    return case_audience(meeting.case, *invited)


def tell(meeting: Meeting, change: str, audience: Audience | None = None) -> None:
    starts = meeting.starts_at.isoformat() if meeting.starts_at else None
    payload: Payload = MeetingEvent(str(meeting.pk), change, starts)
    append_events(
        [(payload, audience if audience is not None else meeting_audience(meeting))],
        case=meeting.case,
    )


def clean_slots(
    slots: Iterable[datetime.datetime], now: datetime.datetime
) -> list[datetime.datetime]:
    chosen = sorted(set(slots))
    if not chosen or len(chosen) > MAX_SLOTS:
        raise InvalidRequest(
            gettext("Propose between 1 and %(max_slots)s times.") % {"max_slots": MAX_SLOTS}
        )
    for slot in chosen:
        if slot.tzinfo is None:
            raise InvalidRequest(gettext("Each time must name its time zone (for example 'Z')."))
        if slot <= now:
            raise InvalidRequest(gettext("Each proposed time must be in the future."))
    return [s.astimezone(datetime.UTC) for s in chosen]


def clean_duration(minutes: int) -> int:
    if not MIN_DURATION <= minutes <= MAX_DURATION:
        raise InvalidRequest(
            gettext("A meeting lasts between %(min_duration)s and %(max_duration)s minutes.")
            % {"min_duration": MIN_DURATION, "max_duration": MAX_DURATION}
        )
    return minutes


def check_details(
    envelope: Envelope, *, case: Case, actor: User, invited: Iterable[User]
) -> dict[str, Any]:
    """The meeting's details as stored: an envelope of kind ``meeting_details`` from the
    actor's current key, sealed to exactly the invitees' and the case's facilitators'
    current keys (no one else: never the other party of a preparation meeting)."""
    header = envelope.header
    if header.kind != Kind.MEETING_DETAILS or header.derived_from is not None:
        raise EnvelopeRejected(
            gettext("The details must be an envelope of kind meeting_details."), code="bad_kind"
        )
    if header.case_id != case.pk:
        raise EnvelopeRejected(gettext("The envelope belongs to another case."), code="wrong_case")
    require_sender(envelope, actor, current_key(actor))
    people = [*current_facilitators(case.pk), *invited]
    check_recipients(envelope, required=current_key_ids(people))
    return envelope.model_dump(mode="json")


@transaction.atomic
def schedule_meeting(
    *,
    actor: User,
    case_id: uuid.UUID,
    kind: str,
    medium: str,
    duration_minutes: int,
    slots: Iterable[datetime.datetime],
    side: str | None = None,
    details: Envelope | None = None,
) -> Meeting:
    """A facilitator proposes a meeting: a preparation meeting with the participant of
    ``side`` (and their consented supporters) or a joint conference with both, by video,
    phone or in person, at one of up to five times. Refused for an ended case, a withdrawn
    participant, and — for a joint conference — a pause or missing consent to the mode.

    Who: a current facilitator of the case. Audits: MEETING_PROPOSED. Emits: ``meeting``
    (``proposed``) to the invitees and the facilitators.
    """
    case = lock_case(access_case_as_facilitator(actor, case_id).pk)
    if kind not in MeetingKind.values:
        raise InvalidRequest(gettext("The kind must be 'preparation' or 'conference'."))
    if medium not in Medium.values:
        raise InvalidRequest(gettext("The medium must be 'video', 'phone' or 'in_person'."))
    duration = clean_duration(duration_minutes)
    times = clean_slots(slots, timezone.now())
    participations = list(Participation.objects.select_for_update().filter(case=case))
    if kind == MeetingKind.PREPARATION:
        if side not in Side.values:
            raise InvalidRequest(
                gettext("A preparation meeting names the side: harmed or responsible.")
            )
        participations = [p for p in participations if p.side == side]
        if not participations:
            raise InvalidRequest(gettext("This case has no participant on that side."))
    elif side is not None:
        raise InvalidRequest(gettext("A joint conference invites both sides; give no side."))
    refusal = scheduling_refusal(
        kind, medium, case.state, is_safety_paused(case), party_states(participations)
    )
    refuse(refusal)
    invited = [i for p in participations for i in invited_with(p)]
    sealed = (
        check_details(details, case=case, actor=actor, invited=[i.user for i in invited])
        if details is not None else None
    )
    meeting = Meeting.objects.create(
        case=case, kind=kind, medium=medium, duration_minutes=duration, details=sealed,
        created_by=actor,
    )
    Slot.objects.bulk_create(Slot(meeting=meeting, starts_at=t) for t in times)
    Invitee.objects.bulk_create(
        Invitee(meeting=meeting, user=i.user, side=i.side, supporter=i.supporter) for i in invited
    )
    record(
        AuditEventType.MEETING_PROPOSED, actor=actor, case=case, meeting=str(meeting.pk),
        kind=kind, medium=medium, slots=len(times), invitees=len(invited),
        details=sealed is not None,
    )
    tell(meeting, "proposed")
    return meeting


@transaction.atomic
def answer_meeting(
    *, actor: User, meeting_id: uuid.UUID, answers: Mapping[str, str]
) -> Meeting:
    """An invitee answers proposed times, privately: ``accept``, ``decline`` or
    ``need_to_talk`` per slot. The facilitators see the answers; the other party never
    does, nor learns that there were any.

    Who: an invitee. Audits: MEETING_ANSWERED. Emits: ``meeting`` (``answered``) to the
    invitee and the facilitators only.
    """
    meeting, invitee = access_meeting(actor, meeting_id)
    if invitee is None:
        raise IllegalTransition(gettext("Only the people invited answer a meeting."))
    case, meeting = lock_meeting(meeting)
    if meeting.state != MeetingState.PROPOSED:
        raise IllegalTransition(gettext("This meeting is not waiting for answers."))
    slots = {str(s.pk): s for s in Slot.objects.filter(meeting=meeting)}
    if not answers:
        raise InvalidRequest(gettext("Answer at least one of the proposed times."))
    for slot_id, answer in answers.items():
        if slot_id not in slots:
            raise InvalidRequest(gettext("One of the answers is for a time not proposed."))
        if answer not in Answer.values:
            raise InvalidRequest(gettext("Each answer must be accept, decline or need_to_talk."))
    for slot_id, answer in answers.items():
        SlotAnswer.objects.update_or_create(
            invitee=invitee, slot=slots[slot_id], defaults={"answer": answer}
        )
    record(
        AuditEventType.MEETING_ANSWERED, actor=actor, case=case, meeting=str(meeting.pk),
        side=invitee.side, answers=len(answers),
    )
    tell(meeting, "answered", case_audience(case, actor.pk))
    return meeting


def plan_reminders(meeting: Meeting, now: datetime.datetime) -> None:
    """Reminders a day and an hour before, for each invitee and facilitator."""
    assert meeting.starts_at is not None
    people = meeting_audience(meeting)
    Reminder.objects.bulk_create(
        Reminder(
            meeting=meeting, user_id=user_id, before_minutes=minutes,
            starts_at=meeting.starts_at, due_at=due,
        )
        for user_id in people
        for minutes, due in reminder_times(meeting.starts_at, now)
    )


def drop_unsent_reminders(meeting: Meeting) -> None:
    Reminder.objects.filter(meeting=meeting, sent_at__isnull=True).delete()


@transaction.atomic
def confirm_meeting(*, actor: User, meeting_id: uuid.UUID, slot_id: uuid.UUID) -> Meeting:
    """A facilitator confirms one proposed time. Refused if an invitee declined it, if the
    time has passed, or if the meeting could no longer be scheduled (a pause, a withdrawal,
    consent gone). Reminders are planned a day and an hour before.

    Who: a current facilitator of the case. Audits: MEETING_CONFIRMED. Emits: ``meeting``
    (``confirmed``) to the invitees and the facilitators.
    """
    case, meeting = lock_meeting(access_meeting_as_facilitator(actor, meeting_id))
    check_meeting_transition(meeting.state, MeetingState.CONFIRMED)
    slot = Slot.objects.filter(meeting=meeting, pk=slot_id).first()
    if slot is None:
        raise InvalidRequest(gettext("That time was not proposed for this meeting."))
    now = timezone.now()
    if slot.starts_at <= now:
        raise InvalidRequest(gettext("That time has passed; propose new times."))
    if SlotAnswer.objects.filter(slot=slot, answer=Answer.DECLINE).exists():
        raise IllegalTransition(gettext("Someone invited cannot come at that time."))
    refusal = scheduling_refusal(
        meeting.kind, meeting.medium, case.state, is_safety_paused(case),
        party_states(parties_of(meeting)),
    )
    refuse(refusal)
    meeting.state = MeetingState.CONFIRMED
    meeting.starts_at = slot.starts_at
    meeting.sequence += 1
    meeting.save(update_fields=["state", "starts_at", "sequence", "updated_at"])
    drop_unsent_reminders(meeting)
    plan_reminders(meeting, now)
    record(
        AuditEventType.MEETING_CONFIRMED, actor=actor, case=case, meeting=str(meeting.pk),
        starts_at=meeting.starts_at.isoformat(),
    )
    tell(meeting, "confirmed")
    return meeting


@transaction.atomic
def reschedule_meeting(
    *,
    actor: User,
    meeting_id: uuid.UUID,
    slots: Iterable[datetime.datetime],
    duration_minutes: int | None = None,
) -> Meeting:
    """A facilitator proposes new times for a proposed or confirmed meeting: the answers and
    the reminders not yet sent are dropped, and the calendar entry keeps its identity (its
    sequence goes up).

    Who: a current facilitator of the case. Audits: MEETING_RESCHEDULED. Emits: ``meeting``
    (``rescheduled``) to the invitees and the facilitators.
    """
    case, meeting = lock_meeting(access_meeting_as_facilitator(actor, meeting_id))
    check_meeting_transition(meeting.state, MeetingState.PROPOSED)
    times = clean_slots(slots, timezone.now())
    if duration_minutes is not None:
        meeting.duration_minutes = clean_duration(duration_minutes)
    refusal = scheduling_refusal(
        meeting.kind, meeting.medium, case.state, is_safety_paused(case),
        party_states(parties_of(meeting)),
    )
    refuse(refusal)
    Slot.objects.filter(meeting=meeting).delete()
    Slot.objects.bulk_create(Slot(meeting=meeting, starts_at=t) for t in times)
    drop_unsent_reminders(meeting)
    was = meeting.state
    meeting.state = MeetingState.PROPOSED
    meeting.starts_at = None
    meeting.sequence += 1
    meeting.save(
        update_fields=["state", "starts_at", "sequence", "duration_minutes", "updated_at"]
    )
    record(
        AuditEventType.MEETING_RESCHEDULED, actor=actor, case=case, meeting=str(meeting.pk),
        old=was, slots=len(times),
    )
    tell(meeting, "rescheduled")
    return meeting


def _cancel(meeting: Meeting, case: Case, *, actor: User, reason: str) -> None:
    check_meeting_transition(meeting.state, MeetingState.CANCELLED)
    meeting.state = MeetingState.CANCELLED
    meeting.sequence += 1
    meeting.save(update_fields=["state", "sequence", "updated_at"])
    drop_unsent_reminders(meeting)
    record(
        AuditEventType.MEETING_CANCELLED, actor=actor, case=case, meeting=str(meeting.pk),
        reason=reason,
    )
    tell(meeting, "cancelled")


@transaction.atomic
def cancel_meeting(*, actor: User, meeting_id: uuid.UUID) -> Meeting:
    """A facilitator cancels a meeting; its reminders not yet sent are dropped and its
    calendar entry becomes a cancellation.

    Who: a current facilitator of the case. Audits: MEETING_CANCELLED (reason
    ``facilitator``). Emits: ``meeting`` (``cancelled``) to the invitees and facilitators.
    """
    case, meeting = lock_meeting(access_meeting_as_facilitator(actor, meeting_id))
    _cancel(meeting, case, actor=actor, reason="facilitator")
    return meeting


@transaction.atomic
def set_meeting_details(*, actor: User, meeting_id: uuid.UUID, details: Envelope) -> Meeting:
    """A facilitator replaces the meeting's sealed details (place, phone number, external
    link, notes), sealed to the invitees and the case's facilitators.

    Who: a current facilitator of the case. Audits: MEETING_DETAILS_SET. Emits: ``meeting``
    (``details``) to the invitees and the facilitators.
    """
    case, meeting = lock_meeting(access_meeting_as_facilitator(actor, meeting_id))
    if meeting.state == MeetingState.CANCELLED:
        raise IllegalTransition(gettext("This meeting was cancelled."))
    invited = [i.user for i in Invitee.objects.filter(meeting=meeting).select_related("user")]
    meeting.details = check_details(details, case=case, actor=actor, invited=invited)
    meeting.save(update_fields=["details", "updated_at"])
    record(AuditEventType.MEETING_DETAILS_SET, actor=actor, case=case, meeting=str(meeting.pk))
    tell(meeting, "details")
    return meeting


def join_refusal_for(
    meeting: Meeting, user: User, invitee: Invitee | None, now: datetime.datetime
) -> str | None:
    """Why ``user`` may not join ``meeting``'s video room now (None: they may)."""
    return join_refusal(
        kind=meeting.kind, medium=meeting.medium, state=meeting.state,
        starts_at=meeting.starts_at, duration_minutes=meeting.duration_minutes,
        early_minutes=early_minutes(), now=now, facilitator=invitee is None,
        case_state=meeting.case.state, safety_paused=is_safety_paused(meeting.case),
        parties=party_states(parties_of(meeting)),
        own_side=invitee.side if invitee is not None else None,
    )


@transaction.atomic
def join_meeting(*, actor: User, meeting_id: uuid.UUID) -> dict[str, Any]:
    """Issue this person's way into the video room, at the moment of joining: with Jitsi a
    signed token for this room and person, valid a few minutes (moderator for
    facilitators only); with an external service, nothing (the link is in the details).
    Refused outside the join window, for a withdrawn participant, and — for a joint
    conference — while either participation is paused, the case is paused for safety, or
    consent to conferences is missing.

    Who: an invitee or a current facilitator of the case. Audits: MEETING_JOINED.
    """
    meeting, invitee = access_meeting(actor, meeting_id)
    case, meeting = lock_meeting(meeting)
    now = timezone.now()
    refusal = join_refusal_for(meeting, actor, invitee, now)
    if refusal:
        raise IllegalTransition(refusal, code="join_refused")
    assert meeting.starts_at is not None
    ends_at = meeting.starts_at + datetime.timedelta(minutes=meeting.duration_minutes)
    moderator = actor.role == Role.FACILITATOR
    reply: dict[str, Any] = {"meeting_id": str(meeting.pk), "provider": video.provider()}
    if video.provider() == video.JITSI:
        config = video.jitsi_config()
        token, expires = video.mint_jitsi_token(
            room=meeting.room, user_id=str(actor.pk),
            display_name="Facilitator" if moderator else "Participant",
            moderator=moderator, now=now, ends_at=ends_at, config=config,
        )
        reply.update({
            "domain": config.domain, "room": meeting.room, "token": token,
            "url": video.room_url(meeting.room, token, config),
            "expires_at": expires.isoformat(), "moderator": moderator,
        })
    record(
        AuditEventType.MEETING_JOINED, actor=actor, case=case, meeting=str(meeting.pk),
        moderator=moderator,
    )
    return reply


# --- reacting to the case's changes (relay.cases.hooks) ------------------------------------

ENDING = {"concluded", "closed", "unsuitable"}


def on_case_change(case: Case, change: str, actor: User, participation: Any) -> None:
    """Run inside the case action's transaction, the case row locked. A case that ended
    cancels all its meetings not yet over; a withdrawal cancels the meetings the
    participant was invited to; a pause (or safety pause, or consent withdrawn) tells the
    facilitators at once of each joint conference whose room is open now, as its room shuts
    to the participants."""
    now = timezone.now()
    meetings = Meeting.objects.select_for_update().filter(case=case).exclude(
        state=MeetingState.CANCELLED
    )
    if change in ENDING:
        for meeting in meetings:
            if not has_ended(meeting.starts_at, meeting.duration_minutes, now):
                _cancel(meeting, case, actor=actor, reason=f"case_{change}")
    elif change == ParticipationState.WITHDRAWN and participation is not None:
        invited = meetings.filter(
            pk__in=Invitee.objects.filter(side=participation.side).values("meeting_id")
        )
        for meeting in invited:
            if not has_ended(meeting.starts_at, meeting.duration_minutes, now):
                _cancel(meeting, case, actor=actor, reason="withdrawn")
    elif change == "supporter_ended" and participation is not None:
        _drop_former_supporters(case, participation, meetings, now)
    elif change in ("paused", "safety_paused", "consent_withdrawn"):
        for meeting in meetings.filter(kind=MeetingKind.CONFERENCE):
            if is_live(meeting.state, meeting.starts_at, meeting.duration_minutes,
                       early_minutes(), now):
                tell(meeting, "shut", case_audience(case))


def _drop_former_supporters(
    case: Case, participation: Any, meetings: Any, now: datetime.datetime
) -> None:
    """A supporter whose consent ended is no longer invited to any meeting not yet over:
    they see it no more, get no reminder, and cannot join. Details already sealed to them
    stay sealed to a key that can no longer fetch them."""
    still = [u.pk for u in consented_supporters(participation)]
    open_meetings = [
        m.pk for m in meetings if not has_ended(m.starts_at, m.duration_minutes, now)
    ]
    gone = Invitee.objects.filter(
        meeting_id__in=open_meetings, side=participation.side, supporter=True
    ).exclude(user_id__in=still)
    left = list(gone.values_list("user_id", flat=True))
    if not left:
        return
    Reminder.objects.filter(meeting_id__in=open_meetings, user_id__in=left).delete()
    gone.delete()
