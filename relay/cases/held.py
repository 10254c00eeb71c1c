"""Taking part without a device (docs/casework.md, "Taking part without a device").

A facilitator of the case holds a participation on behalf of a person who has no device (in
prison, or without a phone or computer), with that person's consent, recorded with how
(phone, in person, letter) and when they gave it. From then on:

- the person has no key and never gets an enrolment code for this case: what is for them is
  sealed to the case's facilitators only (the recipient rule's held case,
  ``relay.moderation.recipients``), and a facilitator reads it to them
  (``relay.moderation.actions.record_read_out``);
- what they say is entered by a facilitator (``relay.moderation.actions.enter_for_held``),
  marked as entered by that facilitator in the message and the audit log, and goes through
  the moderation queue and the forward like anyone's;
- consent per mode is recorded by a facilitator as for anyone (``give_consent`` with a side
  and how), and the server refuses what lacks it;
- a facilitator pauses, resumes and withdraws on their behalf (below): a pause made for the
  person is theirs (the other party sees only that communication is paused), not a safety
  pause, and only a facilitator acting for them lifts it.
"""

from __future__ import annotations

import datetime
import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from relay.accounts.models import Invitation, User
from relay.accounts.selectors import has_enrolled
from relay.audit.chain import record, serialize_with_audit
from relay.audit.models import AuditEventType
from relay.cases import hooks
from relay.cases.access import access_case_as_facilitator
from relay.cases.actions import (
    announce_communication,
    communication_events,
    lock_case,
)
from relay.cases.audience import case_audience, everyone_in
from relay.cases.consent import RECORDED_BY_FACILITATOR
from relay.cases.models import Case, Hold, Participation, ParticipationState, Side
from relay.cases.selectors import hold_wire, is_held, may_hold
from relay.cases.states import (
    ENDED_STATES,
    check_participation_transition,
    may_pause_participation,
    may_resume_participation,
    may_withdraw_participation,
)
from relay.delivery.events import MessageStateEvent, ParticipationEvent, Payload
from relay.delivery.streams import append_events
from relay.errors import IllegalTransition, InvalidRequest

__all__ = [
    "hold_participation",
    "hold_wire",
    "is_held",
    "may_hold",
    "pause_held",
    "resume_held",
    "withdraw_held",
]


def _side(case: Case, side: str) -> Participation:
    if side not in Side.values:
        raise InvalidRequest(gettext("The side must be 'harmed' or 'responsible'."))
    participation = (
        Participation.objects.select_for_update().select_related("user", "case")
        .filter(case=case, side=side).first()
    )
    if participation is None:
        raise InvalidRequest(gettext("This case has no participant on that side."))
    return participation


def held_participation(case: Case, side: str) -> Participation:
    """``side``'s participation, locked, which must be held (409 ``not_held`` otherwise).
    Call with the case row locked."""
    participation = _side(case, side)
    if not is_held(participation):
        raise IllegalTransition(
            gettext("This person takes part with their own device, so they act for themselves."),
            code="not_held",
        )
    return participation


@transaction.atomic
def hold_participation(
    *, actor: User, case_id: uuid.UUID, side: str, consent_how: str,
    consent_given_at: datetime.datetime,
) -> Participation:
    """A facilitator holds a participation on behalf of a person with no device, with the
    consent the person gave (``consent_how``: phone, in_person or letter; and when). The
    participation moves from ``invited`` to ``enrolled`` (the hold stands in for enrolment);
    any unused enrolment code of the person stops working.

    Who: a current facilitator of the case, while the person has not enrolled and the case is
    open. Refused: a person who has enrolled (400 ``already_enrolled``), a participation held
    already or not ``invited`` (409), a consent time in the future or a ``how`` that is not
    phone, in_person or letter (400 ``consent_how``). Audits: PARTICIPATION_HELD (side, how,
    when; never anything the person said). Emits: ``participation`` to the facilitators.
    """
    case = lock_case(access_case_as_facilitator(actor, case_id).pk)
    if consent_how not in RECORDED_BY_FACILITATOR:
        raise InvalidRequest(
            gettext("Say how the person agreed to their participation being held: phone, in_person "
            "or letter."), code="consent_how",
        )
    if consent_given_at.tzinfo is None or consent_given_at > timezone.now():
        raise InvalidRequest(
            gettext("Give when the person agreed, with its time zone, and not in the future."),
            code="consent_when",
        )
    if case.state in ENDED_STATES:
        raise IllegalTransition(gettext("This case has ended."))
    serialize_with_audit()
    participation = _side(case, side)
    user = User.objects.select_for_update().get(pk=participation.user_id)
    if has_enrolled(user):
        raise InvalidRequest(
            gettext(
                "This person has enrolled with their own device, so they take part themselves."
            ),
            code="already_enrolled",
        )
    if is_held(participation):
        raise IllegalTransition(gettext("This participation is held already."))
    check_participation_transition(participation.state, ParticipationState.ENROLLED)
    Hold.objects.create(
        participation=participation, consent_how=consent_how,
        consent_given_at=consent_given_at, recorded_by=actor,
    )
    Invitation.objects.filter(user=user, used_at__isnull=True).delete()
    old = participation.state
    participation.state = ParticipationState.ENROLLED
    participation.save(update_fields=["state"])
    # One event for the change: the hold and the move it makes.
    record(
        AuditEventType.PARTICIPATION_HELD, actor=actor, case=case, side=side,
        how=consent_how, given_at=consent_given_at.isoformat(), old=old,
        new=participation.state,
    )
    append_events(
        [(ParticipationEvent(side, ParticipationState.ENROLLED), case_audience(case))],
        case=case,
    )
    return participation


def _other_state(case: Case, participation: Participation) -> str | None:
    other = Participation.objects.filter(case=case).exclude(pk=participation.pk).first()
    return other.state if other is not None else None


@transaction.atomic
def pause_held(*, actor: User, case_id: uuid.UUID, side: str) -> Case:
    """A facilitator pauses for a held participant, at their request: the same pause as a
    participant's own (under the case row lock, invariant 3; the other party sees only that
    communication is paused), which only a facilitator acting for them lifts.

    Who: a current facilitator of the case. Audits: CASE_PAUSED (``by`` the side,
    ``for_held``). Emits: ``communication`` to every member.
    """
    case = lock_case(access_case_as_facilitator(actor, case_id).pk)
    participation = held_participation(case, side)
    if participation.state == ParticipationState.PAUSED:
        raise IllegalTransition(gettext("Communication is already paused for this person."))
    check_participation_transition(participation.state, ParticipationState.PAUSED)
    other = _other_state(case, participation)
    if not may_pause_participation(case.state, participation.state, other):
        raise IllegalTransition(
            gettext("The conversation is not under way, so there is nothing to pause.")
        )
    participation.state = ParticipationState.PAUSED
    participation.save(update_fields=["state"])
    record(AuditEventType.CASE_PAUSED, actor=actor, case=case, by=side, for_held=True)
    announce_communication(case, changed_by=side)
    hooks.case_changed(case, "paused", actor=actor, participation=participation)
    return case


@transaction.atomic
def resume_held(*, actor: User, case_id: uuid.UUID, side: str) -> Case:
    """A facilitator lifts a held participant's pause, at their request.

    Who: a current facilitator of the case. Audits: CASE_RESUMED (``by`` the side,
    ``for_held``). Emits: ``communication`` to every member.
    """
    case = lock_case(access_case_as_facilitator(actor, case_id).pk)
    participation = held_participation(case, side)
    if not may_resume_participation(participation.state):
        raise IllegalTransition(gettext("Communication is not paused for this person."))
    participation.state = ParticipationState.ACTIVE
    participation.save(update_fields=["state"])
    record(AuditEventType.CASE_RESUMED, actor=actor, case=case, by=side, for_held=True)
    announce_communication(case, changed_by=side)
    return case


@transaction.atomic
def withdraw_held(*, actor: User, case_id: uuid.UUID, side: str) -> Participation:
    """A facilitator withdraws a held participant, at their request: final, as a
    participant's own withdrawal; every message of theirs still waiting is voided.

    Who: a current facilitator of the case. Audits: PARTICIPATION_WITHDRAWN (side, voided,
    ``for_held``). Emits: ``message_state`` for each voided message to the facilitators,
    then ``participation`` and ``communication`` to every member.
    """
    case = lock_case(access_case_as_facilitator(actor, case_id).pk)
    participation = held_participation(case, side)
    if not may_withdraw_participation(participation.state):
        check_participation_transition(participation.state, ParticipationState.WITHDRAWN)
    participation.state = ParticipationState.WITHDRAWN
    participation.save(update_fields=["state"])
    voided = hooks.on_withdrawal(case, participation.user)
    record(
        AuditEventType.PARTICIPATION_WITHDRAWN, actor=actor, case=case, side=side,
        voided=len(voided), for_held=True,
    )
    told = case_audience(case)
    events: list[tuple[Payload, list[uuid.UUID]]] = [
        (MessageStateEvent(message, message.state), told) for message in voided
    ]
    events.append(
        (ParticipationEvent(side, ParticipationState.WITHDRAWN), everyone_in(case))
    )
    events += communication_events(case, changed_by=None)
    append_events(events, case=case)
    hooks.case_changed(case, "withdrawn", actor=actor, participation=participation)
    return participation
