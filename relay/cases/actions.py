"""Case administration: creating cases, assigning facilitators, adding participants, and
moving cases and participations through their states (DESIGN §5)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from relay.accounts.models import Role, User
from relay.audit.chain import record
from relay.audit.models import AuditEventType
from relay.cases.access import (
    access_case_as_facilitator,
    access_case_as_manager,
    require_manager,
)
from relay.cases.models import (
    Case,
    CaseState,
    FacilitatorAssignment,
    Participation,
    ParticipationState,
    Side,
)
from relay.cases.selectors import member_user_ids
from relay.cases.states import check_case_transition, check_participation_transition
from relay.delivery.models import EventType
from relay.delivery.streams import append_events
from relay.errors import IllegalTransition, InvalidRequest

COMMUNICATION_MODES = frozenset({"messages", "recorded_media", "letters", "video"})


def _lock(case_id: uuid.UUID) -> Case:
    return Case.objects.select_for_update().get(pk=case_id)


@transaction.atomic
def create_case(*, actor: User, reference: str) -> Case:
    """A hub manager opens a case from a referral. Audits: CASE_CREATED."""
    require_manager(actor)
    reference = reference.strip()
    if not reference or len(reference) > 32:
        raise InvalidRequest("A case reference of 1 to 32 characters is required.")
    if Case.objects.filter(reference=reference).exists():
        raise InvalidRequest("A case with this reference already exists.")
    case = Case.objects.create(reference=reference)
    record(AuditEventType.CASE_CREATED, actor=actor, case=case, state=case.state)
    return case


@transaction.atomic
def assign_facilitator(
    *, actor: User, case_id: uuid.UUID, facilitator: User
) -> FacilitatorAssignment:
    """A hub manager assigns a facilitator (at most two at a time: co-facilitation).

    Audits: FACILITATOR_ASSIGNED. Emits: ``case`` to the case's members, so clients refresh
    the recipient keys they encrypt to.
    """
    case = _lock(access_case_as_manager(actor, case_id).pk)
    if facilitator.role != Role.FACILITATOR:
        raise InvalidRequest("Only a facilitator account can be assigned to a case.")
    current = FacilitatorAssignment.objects.filter(case=case, ended_at__isnull=True)
    if current.filter(facilitator=facilitator).exists():
        raise InvalidRequest("This facilitator is already assigned to the case.")
    if current.count() >= 2:
        raise InvalidRequest("A case has at most two facilitators at a time.")
    assignment = FacilitatorAssignment.objects.create(case=case, facilitator=facilitator)
    record(
        AuditEventType.FACILITATOR_ASSIGNED, actor=actor, case=case, facilitator=str(facilitator.pk)
    )
    append_events(member_user_ids(case), EventType.CASE, case=case, data={"change": "facilitators"})
    return assignment


@transaction.atomic
def unassign_facilitator(*, actor: User, case_id: uuid.UUID, facilitator: User) -> None:
    """A hub manager ends a facilitator's assignment. Audits: FACILITATOR_UNASSIGNED."""
    case = _lock(access_case_as_manager(actor, case_id).pk)
    assignment = FacilitatorAssignment.objects.filter(
        case=case, facilitator=facilitator, ended_at__isnull=True
    ).first()
    if assignment is None:
        raise InvalidRequest("This facilitator is not assigned to the case.")
    assignment.ended_at = timezone.now()
    assignment.save(update_fields=["ended_at"])
    record(
        AuditEventType.FACILITATOR_UNASSIGNED, actor=actor, case=case,
        facilitator=str(facilitator.pk),
    )
    append_events(
        [*member_user_ids(case), facilitator.pk], EventType.CASE, case=case,
        data={"change": "facilitators"},
    )


@transaction.atomic
def add_participant(*, actor: User, case_id: uuid.UUID, user: User, side: str) -> Participation:
    """A hub manager adds the person harmed or the person responsible. Audits:
    PARTICIPANT_ADDED."""
    case = _lock(access_case_as_manager(actor, case_id).pk)
    if user.role != Role.PARTICIPANT:
        raise InvalidRequest("Only a participant account can take part in a case.")
    if side not in Side.values:
        raise InvalidRequest("The side must be 'harmed' or 'responsible'.")
    if Participation.objects.filter(case=case, side=side).exists():
        raise InvalidRequest("This case already has a participant on that side.")
    if Participation.objects.filter(case=case, user=user).exists():
        raise InvalidRequest("This person already takes part in the case.")
    participation = Participation.objects.create(case=case, user=user, side=side)
    record(
        AuditEventType.PARTICIPANT_ADDED, actor=actor, case=case, user=str(user.pk), side=side
    )
    return participation


def _move_participation(
    participation: Participation, new: str, *, actor: User, **audit: object
) -> None:
    check_participation_transition(participation.state, new)
    old = participation.state
    participation.state = new
    participation.save(update_fields=["state"])
    record(
        AuditEventType.PARTICIPATION_STATE_CHANGED,
        actor=actor,
        case=participation.case,
        side=participation.side,
        old=old,
        new=new,
        **audit,
    )


@transaction.atomic
def record_enrolment(*, actor: User, participation_id: int) -> Participation:
    """Mark a participant enrolled once their account and key exist.

    Who: the participant (at enrolment) or a facilitator of the case.
    Audits: PARTICIPATION_STATE_CHANGED.
    """
    participation = Participation.objects.select_related("case").get(pk=participation_id)
    if actor.pk != participation.user_id:
        access_case_as_facilitator(actor, participation.case_id)
    _lock(participation.case_id)
    participation.refresh_from_db()
    _move_participation(participation, ParticipationState.ENROLLED, actor=actor)
    return participation


@transaction.atomic
def record_consent(
    *, actor: User, case_id: uuid.UUID, side: str, modes: Iterable[str]
) -> Participation:
    """A facilitator records the participant's informed consent, per communication mode.

    Who: a current facilitator of the case. Audits: PARTICIPATION_STATE_CHANGED.
    """
    case = _lock(access_case_as_facilitator(actor, case_id).pk)
    chosen = sorted(set(modes))
    if not chosen or not set(chosen) <= COMMUNICATION_MODES:
        raise InvalidRequest(
            "Consent needs at least one of: " + ", ".join(sorted(COMMUNICATION_MODES)) + "."
        )
    participation = Participation.objects.select_for_update().filter(case=case, side=side).first()
    if participation is None:
        raise InvalidRequest("This case has no participant on that side.")
    participation.consented_modes = chosen
    participation.save(update_fields=["consented_modes"])
    _move_participation(participation, ParticipationState.CONSENTED, actor=actor, modes=chosen)
    return participation


def _move_case(case: Case, new: str, *, actor: User, **audit: object) -> None:
    check_case_transition(case.state, new)
    old = case.state
    case.state = new
    case.save(update_fields=["state", "updated_at"])
    record(AuditEventType.CASE_STATE_CHANGED, actor=actor, case=case, old=old, new=new, **audit)
    append_events(member_user_ids(case), EventType.CASE, case=case, data={"state": new})


@transaction.atomic
def begin_assessment(*, actor: User, case_id: uuid.UUID) -> Case:
    """A facilitator starts assessing a referred case. Audits: CASE_STATE_CHANGED."""
    case = _lock(access_case_as_facilitator(actor, case_id).pk)
    _move_case(case, CaseState.ASSESSING, actor=actor)
    return case


@transaction.atomic
def record_suitability(*, actor: User, case_id: uuid.UUID, suitable: bool) -> Case:
    """A facilitator records the assessment: suitable (preparing) or unsuitable.

    The reason and signposting are encrypted notes (a later capability); the audit event
    holds only the decision. Audits: CASE_STATE_CHANGED.
    """
    case = _lock(access_case_as_facilitator(actor, case_id).pk)
    _move_case(case, CaseState.PREPARING if suitable else CaseState.UNSUITABLE, actor=actor)
    return case


@transaction.atomic
def start_communication(*, actor: User, case_id: uuid.UUID) -> Case:
    """A facilitator opens the shuttle: the case becomes active and both consented
    participations become active. One decision, so one audit event: CASE_STATE_CHANGED,
    naming the participations it activated.
    """
    case = _lock(access_case_as_facilitator(actor, case_id).pk)
    participations = list(Participation.objects.select_for_update().filter(case=case))
    if len(participations) != 2 or any(
        p.state != ParticipationState.CONSENTED or "messages" not in p.consented_modes
        for p in participations
    ):
        raise IllegalTransition(
            "Both participants must have consented to messages before the conversation starts."
        )
    for participation in participations:
        check_participation_transition(participation.state, ParticipationState.ACTIVE)
        participation.state = ParticipationState.ACTIVE
        participation.save(update_fields=["state"])
    _move_case(
        case, CaseState.ACTIVE, actor=actor,
        participations={p.side: ParticipationState.ACTIVE.value for p in participations},
    )
    return case


@transaction.atomic
def conclude_case(*, actor: User, case_id: uuid.UUID) -> Case:
    """A facilitator concludes an active case. Audits: CASE_STATE_CHANGED."""
    case = _lock(access_case_as_facilitator(actor, case_id).pk)
    _move_case(case, CaseState.CONCLUDED, actor=actor)
    return case


@transaction.atomic
def close_case(*, actor: User, case_id: uuid.UUID) -> Case:
    """A hub manager closes a case. Audits: CASE_STATE_CHANGED."""
    case = _lock(access_case_as_manager(actor, case_id).pk)
    _move_case(case, CaseState.CLOSED, actor=actor)
    return case
