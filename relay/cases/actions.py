"""The case lifecycle: creating cases, assigning facilitators, adding participants, moving
cases and participations through their states (DESIGN §5), and pausing, resuming and
withdrawing.

Each action is one transaction that locks the case row first (so a pause and a forward are
serialized, invariant 3), checks the transition, writes one audit event, and appends all
its events in one ``append_events`` call, which wakes the sockets after commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from relay.accounts.access import as_uuid, require_manager, require_sender
from relay.accounts.models import Role, User
from relay.accounts.selectors import current_key, current_key_ids, has_enrolled
from relay.audit.chain import record, serialize_with_audit
from relay.audit.models import AuditEventType
from relay.cases import hooks
from relay.cases.access import (
    access_case_as_facilitator,
    access_case_as_manager,
    access_case_as_member,
    access_case_as_participant,
    access_case_to_close,
)
from relay.cases.audience import case_audience, everyone_in
from relay.cases.consent import RECORDED_BY_FACILITATOR, clean_modes
from relay.cases.models import (
    Case,
    CaseState,
    CommunicationMode,
    Complexity,
    ConsentChange,
    ConsentHow,
    FacilitatorAssignment,
    OffenceCategory,
    Participation,
    ParticipationState,
    Side,
)
from relay.cases.selectors import current_facilitators, is_safety_paused, latest_facts
from relay.cases.states import (
    COMMUNICATION_MODES,
    ENDED_STATES,
    check_case_transition,
    check_participation_transition,
    check_safety_pause_transition,
    consents_to,
    may_pause_participation,
    may_resume_participation,
    may_safety_pause,
    may_withdraw_participation,
    preparation_blockers,
    required_training,
    training_fits,
)
from relay.cases.visibility import facilitator_view, participant_view
from relay.delivery.events import (
    CaseStateEvent,
    CommunicationForFacilitators,
    CommunicationForParticipant,
    FacilitatorsChanged,
    MessageStateEvent,
    ParticipationEvent,
    Payload,
)
from relay.delivery.streams import append_events, revoke_sockets
from relay.envelopes import Envelope, Kind, check_recipients
from relay.errors import AccessDenied, EnvelopeRejected, IllegalTransition, InvalidRequest
from relay.outcomes.models import AgreementItem, Closure, Outcome, SurveyOffer, SurveyState
from relay.outcomes.states import (
    OutcomeInput,
    check_close,
    check_outcome,
    follow_up_is_open,
    offered_when_case_ends,
)


def lock_case(case_id: uuid.UUID) -> Case:
    """Lock the case row: the first lock of every action on a case."""
    return Case.objects.select_for_update().get(pk=case_id)


@transaction.atomic
def create_case(
    *,
    actor: User,
    reference: str,
    offence_category: str = OffenceCategory.OTHER,
    complexity: str = Complexity.STANDARD,
) -> Case:
    """A hub manager opens a case from a referral, with the offence category and complexity
    that decide the training its facilitators need. Audits: CASE_CREATED."""
    require_manager(actor)
    reference = reference.strip()
    if not reference or len(reference) > 32:
        raise InvalidRequest(gettext("A case reference of 1 to 32 characters is required."))
    if offence_category not in OffenceCategory.values:
        raise InvalidRequest(gettext("Choose the kind of offence from the list."))
    if complexity not in Complexity.values:
        raise InvalidRequest(gettext("Choose the complexity from the list."))
    if Case.objects.filter(reference=reference).exists():
        raise InvalidRequest(gettext("A case with this reference already exists."))
    case = Case.objects.create(
        reference=reference, offence_category=offence_category, complexity=complexity
    )
    record(
        AuditEventType.CASE_CREATED, actor=actor, case=case, state=case.state,
        offence_category=offence_category, complexity=complexity,
    )
    return case


@transaction.atomic
def assign_facilitator(
    *, actor: User, case_id: uuid.UUID, facilitator: User
) -> FacilitatorAssignment:
    """A hub manager assigns a facilitator (at most two at a time: co-facilitation).

    Audits: FACILITATOR_ASSIGNED. Emits: ``case`` to the case's members, so clients refresh
    the recipient keys they encrypt to.
    """
    case = lock_case(access_case_as_manager(actor, case_id).pk)
    if facilitator.role != Role.FACILITATOR:
        raise InvalidRequest(gettext("Only a facilitator account can be assigned to a case."))
    if not training_fits(facilitator.training_level, case.offence_category, case.complexity):
        needed = required_training(case.offence_category, case.complexity)
        raise InvalidRequest(
            gettext(
                "This case needs a facilitator with %(needed)s training;"
                " this facilitator's training is %(training)s."
            )
            % {
                "needed": needed.label.lower(),
                "training": facilitator.get_training_level_display().lower(),
            },
            code="training_level",
        )
    current = FacilitatorAssignment.objects.filter(case=case, ended_at__isnull=True)
    if current.filter(facilitator=facilitator).exists():
        raise InvalidRequest(gettext("This facilitator is already assigned to the case."))
    if current.count() >= 2:
        raise InvalidRequest(gettext("A case has at most two facilitators at a time."))
    assignment = FacilitatorAssignment.objects.create(case=case, facilitator=facilitator)
    record(
        AuditEventType.FACILITATOR_ASSIGNED, actor=actor, case=case, facilitator=str(facilitator.pk)
    )
    append_events([(FacilitatorsChanged(), everyone_in(case))], case=case)
    return assignment


@transaction.atomic
def unassign_facilitator(*, actor: User, case_id: uuid.UUID, facilitator: User) -> None:
    """A hub manager ends a facilitator's assignment. Audits: FACILITATOR_UNASSIGNED."""
    case = lock_case(access_case_as_manager(actor, case_id).pk)
    assignment = FacilitatorAssignment.objects.filter(
        case=case, facilitator=facilitator, ended_at__isnull=True
    ).first()
    if assignment is None:
        raise InvalidRequest(gettext("This facilitator is not assigned to the case."))
    assignment.ended_at = timezone.now()
    assignment.save(update_fields=["ended_at"])
    record(
        AuditEventType.FACILITATOR_UNASSIGNED, actor=actor, case=case,
        facilitator=str(facilitator.pk),
    )
    # The facilitator who left hears it too, once: their last event of the case.
    append_events([(FacilitatorsChanged(), [*everyone_in(case), facilitator.pk])], case=case)


@transaction.atomic
def add_participant(*, actor: User, case_id: uuid.UUID, user: User, side: str) -> Participation:
    """A hub manager adds the person harmed or the person responsible.

    A person who has enrolled already (in another case) needs no code here: their one key
    and password serve every case, so they take part as ``enrolled`` at once, and their key
    is trusted in this case only once a facilitator of this case verifies it. Anyone else
    is ``invited`` until they enrol with a code. Audits: PARTICIPANT_ADDED (with the state).
    """
    case = lock_case(access_case_as_manager(actor, case_id).pk)
    if user.role != Role.PARTICIPANT:
        raise InvalidRequest(gettext("Only a participant account can take part in a case."))
    if side not in Side.values:
        raise InvalidRequest(gettext("The side must be 'harmed' or 'responsible'."))
    if Participation.objects.filter(case=case, side=side).exists():
        raise InvalidRequest(gettext("This case already has a participant on that side."))
    if Participation.objects.filter(case=case, user=user).exists():
        raise InvalidRequest(gettext("This person already takes part in the case."))
    # Lock order: the case row, then the audit gate (exclusive, since a user row is locked
    # before the record), then the user row (relay.audit.chain), as enrolment takes them: a
    # person enrolling meanwhile is read enrolled once they are.
    serialize_with_audit()
    user = User.objects.select_for_update().get(pk=user.pk)
    state = ParticipationState.ENROLLED if has_enrolled(user) else ParticipationState.INVITED
    participation = Participation.objects.create(case=case, user=user, side=side, state=state)
    record(
        AuditEventType.PARTICIPANT_ADDED, actor=actor, case=case, user=str(user.pk), side=side,
        state=state,
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
    lock_case(participation.case_id)
    participation.refresh_from_db()
    _move_participation(participation, ParticipationState.ENROLLED, actor=actor)
    return participation


def _consent_participation(actor: User, case_id: uuid.UUID, side: str | None) -> Participation:
    """The participation whose consent ``actor`` changes, its case locked first: their own
    (a participant), or ``side``'s (a current facilitator of the case, recording it)."""
    if actor.role == Role.FACILITATOR:
        case = lock_case(access_case_as_facilitator(actor, case_id).pk)
        if side not in Side.values:
            raise InvalidRequest(gettext("The side must be 'harmed' or 'responsible'."))
        participation = (
            Participation.objects.select_for_update().filter(case=case, side=side).first()
        )
        if participation is None:
            raise InvalidRequest(gettext("This case has no participant on that side."))
        return participation
    own = access_case_as_participant(actor, case_id)
    if side is not None and side != own.side:
        raise AccessDenied()
    lock_case(own.case_id)
    return Participation.objects.select_for_update().select_related("case").get(pk=own.pk)


def _how(actor: User, how: str | None) -> str:
    if actor.role != Role.FACILITATOR:
        if how not in (None, ConsentHow.SELF):
            raise InvalidRequest(gettext("Your consent is given by you, on this page."))
        return ConsentHow.SELF
    if how not in RECORDED_BY_FACILITATOR:
        raise InvalidRequest(
            gettext(
                "Say how the person gave or withdrew their consent: phone, in_person or letter."
            ),
            code="consent_how",
        )
    return str(how)


def _change_consent(
    participation: Participation, *, actor: User, modes: list[str], given: bool, how: str,
    audit: bool = True,
) -> list[str]:
    """Apply one consent change to ``participation`` (locked), with its history rows and,
    if ``audit``, its CONSENT_CHANGED event (else the caller's event records it); returns
    the modes that actually changed."""
    current = set(participation.consented_modes)
    changed = sorted(set(modes) - current) if given else sorted(set(modes) & current)
    if not changed:
        return []
    after = current | set(changed) if given else current - set(changed)
    participation.consented_modes = sorted(after)
    participation.save(update_fields=["consented_modes"])
    ConsentChange.objects.bulk_create(
        ConsentChange(
            participation=participation, mode=mode, given=given, how=how, recorded_by=actor
        )
        for mode in changed
    )
    if audit:
        record(
            AuditEventType.CONSENT_CHANGED, actor=actor, case=participation.case,
            side=participation.side, modes=changed, given=given, how=how,
        )
    return changed


@transaction.atomic
def give_consent(
    *, actor: User, case_id: uuid.UUID, modes: Iterable[str], side: str | None = None,
    how: str | None = None,
) -> Participation:
    """Consent is given for one or more communication modes.

    Who: the participant on their own page (``how`` is ``self``), or a current facilitator
    of the case recording it after hearing it (``how``: phone, in_person or letter; ``side``
    names the participant). An enrolled participant's first consent moves their
    participation to ``consented``. Audits: CONSENT_CHANGED (the modes that changed, how,
    by whom) and, on the first consent, PARTICIPATION_STATE_CHANGED. Emits: ``communication``
    to every member when the case is active (consent may let messages flow again).
    """
    chosen = clean_modes(list(modes) if not isinstance(modes, str) else [modes])
    participation = _consent_participation(actor, case_id, side)
    how_ = _how(actor, how)
    if participation.state == ParticipationState.WITHDRAWN:
        raise IllegalTransition(gettext("This person has withdrawn from the case."))
    first = participation.state == ParticipationState.ENROLLED
    changed = _change_consent(
        participation, actor=actor, modes=chosen, given=True, how=how_, audit=not first
    )
    if first:
        # One decision, one event: the state change carries the consent given.
        _move_participation(
            participation, ParticipationState.CONSENTED, actor=actor,
            modes=participation.consented_modes, given=True, how=how_,
        )
    if changed and participation.case.state == CaseState.ACTIVE:
        announce_communication(participation.case, changed_by=None)
    return participation


@transaction.atomic
def withdraw_consent(
    *, actor: User, case_id: uuid.UUID, modes: Iterable[str], side: str | None = None,
    how: str | None = None,
) -> Participation:
    """Consent is withdrawn for one or more modes, at once.

    Who: as ``give_consent``. Withdrawing consent to messages stops message flow in the case
    at once, like a pause (``is_communicating`` needs both participants' consent to
    messages): nothing is forwarded to or from them until it is given again. The other party
    sees only that communication is paused. Audits: CONSENT_CHANGED. Emits:
    ``communication`` to every member when the case is active.
    """
    chosen = clean_modes(list(modes) if not isinstance(modes, str) else [modes])
    participation = _consent_participation(actor, case_id, side)
    how_ = _how(actor, how)
    changed = _change_consent(participation, actor=actor, modes=chosen, given=False, how=how_)
    if changed and participation.case.state == CaseState.ACTIVE:
        announce_communication(participation.case, changed_by=None)
    if changed:
        hooks.case_changed(
            participation.case, "consent_withdrawn", actor=actor, participation=participation
        )
    return participation


@transaction.atomic
def record_consent(
    *, actor: User, case_id: uuid.UUID, side: str, modes: Iterable[str],
    how: str = ConsentHow.IN_PERSON,
) -> Participation:
    """A facilitator records the participant's informed consent, per communication mode:
    exactly ``modes`` from now on (the others withdrawn), with the history of each change.

    Who: a current facilitator of the case. Audits: PARTICIPATION_STATE_CHANGED (enrolled →
    consented, with the modes and how).
    """
    case = lock_case(access_case_as_facilitator(actor, case_id).pk)
    chosen = sorted(set(modes))
    if not chosen or not set(chosen) <= COMMUNICATION_MODES:
        raise InvalidRequest(
            gettext("Consent needs at least one of: %(modes)s.")
            % {"modes": ", ".join(sorted(COMMUNICATION_MODES))}
        )
    if how not in RECORDED_BY_FACILITATOR:
        raise InvalidRequest(
            gettext("Say how the person gave their consent: phone, in_person or letter."),
            code="consent_how",
        )
    participation = Participation.objects.select_for_update().filter(case=case, side=side).first()
    if participation is None:
        raise InvalidRequest(gettext("This case has no participant on that side."))
    check_participation_transition(participation.state, ParticipationState.CONSENTED)
    dropped = sorted(set(participation.consented_modes) - set(chosen))
    _change_consent(participation, actor=actor, modes=chosen, given=True, how=how, audit=False)
    _change_consent(participation, actor=actor, modes=dropped, given=False, how=how, audit=False)
    _move_participation(
        participation, ParticipationState.CONSENTED, actor=actor, modes=chosen, how=how
    )
    return participation


def _move_case(case: Case, new: str, *, actor: User, **audit: object) -> None:
    check_case_transition(case.state, new)
    old = case.state
    case.state = new
    fields = ["state", "updated_at"]
    if new in ENDED_STATES:
        # The retention period runs from the last time the case ended (relay.retention).
        case.ended_at = timezone.now()
        fields.append("ended_at")
    case.save(update_fields=fields)
    record(AuditEventType.CASE_STATE_CHANGED, actor=actor, case=case, old=old, new=new, **audit)
    append_events([(CaseStateEvent(new), everyone_in(case))], case=case)
    hooks.case_changed(case, new, actor=actor)


@transaction.atomic
def begin_assessment(*, actor: User, case_id: uuid.UUID) -> Case:
    """A facilitator starts assessing a referred case. Audits: CASE_STATE_CHANGED."""
    case = lock_case(access_case_as_facilitator(actor, case_id).pk)
    _move_case(case, CaseState.ASSESSING, actor=actor)
    return case


def check_may_prepare(case: Case) -> None:
    """Refuse (``assessment_incomplete``) moving ``case`` to preparing while the recorded
    assessment does not allow it (``relay.cases.states.preparation_blockers``)."""
    check_case_transition(case.state, CaseState.PREPARING)
    blockers = preparation_blockers(latest_facts(case))
    if blockers:
        raise IllegalTransition(
            gettext("The case cannot move to preparation yet: %(blockers)s.")
            % {"blockers": "; ".join(blockers)},
            code="assessment_incomplete",
        )


@transaction.atomic
def record_suitability(*, actor: User, case_id: uuid.UUID, suitable: bool) -> Case:
    """A facilitator records the assessment's decision: suitable (preparing, only once the
    recorded assessment allows it: ``check_may_prepare``) or unsuitable (without notices;
    ``relay.cases.assessment.find_unsuitable`` records the reason, tells each person and
    closes the case). Audits: CASE_STATE_CHANGED.
    """
    case = lock_case(access_case_as_facilitator(actor, case_id).pk)
    if suitable:
        check_may_prepare(case)
    _move_case(case, CaseState.PREPARING if suitable else CaseState.UNSUITABLE, actor=actor)
    return case


@transaction.atomic
def start_communication(*, actor: User, case_id: uuid.UUID) -> Case:
    """A facilitator opens the shuttle: the case becomes active and both consented
    participations become active. One decision, so one audit event: CASE_STATE_CHANGED,
    naming the participations it activated.
    """
    case = lock_case(access_case_as_facilitator(actor, case_id).pk)
    participations = list(Participation.objects.select_for_update().filter(case=case))
    if len(participations) != 2 or any(
        p.state != ParticipationState.CONSENTED
        or not consents_to(p.consented_modes, CommunicationMode.MESSAGES)
        for p in participations
    ):
        raise IllegalTransition(
            gettext(
                "Both participants must have consented to messages before the conversation starts."
            )
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


def _sealed_note(case: Case, actor: User, note: Envelope | None) -> dict[str, Any] | None:
    """An outcome or closing note as stored: an envelope of kind ``outcome_note`` written by
    ``actor`` in this case with their current key, sealed to exactly the case's current
    facilitators. The server checks its shape and recipients; it cannot open it."""
    if note is None:
        return None
    header = note.header
    if header.kind != Kind.OUTCOME_NOTE or header.derived_from is not None:
        raise EnvelopeRejected(
            gettext("The note must be an envelope of kind outcome_note."), code="bad_kind"
        )
    if header.case_id != case.pk:
        raise EnvelopeRejected(gettext("The envelope belongs to another case."), code="wrong_case")
    require_sender(note, actor, current_key(actor))
    check_recipients(note, required=current_key_ids(current_facilitators(case.pk)))
    return note.model_dump(mode="json")


def _offer_survey_at_end(case: Case) -> None:
    """Offer the survey to each participant who took part and has not been offered it
    (someone who withdrew is never offered it here)."""
    for participation in Participation.objects.filter(case=case):
        if offered_when_case_ends(participation.state):
            SurveyOffer.objects.get_or_create(
                participation=participation, defaults={"state": SurveyState.OFFERED}
            )


@transaction.atomic
def conclude_case(
    *, actor: User, case_id: uuid.UUID, outcome: OutcomeInput, note: Envelope | None = None
) -> Case:
    """A facilitator concludes an active case with its outcome: what was achieved, the
    agreement's items with their follow-up dates, and how it was delivered, all countable;
    and an optional note sealed to the case's facilitators. Each participant who took part
    is offered the survey.

    Who: a current facilitator of the case. Audits: CASE_STATE_CHANGED with the outcome's
    countable fields. Emits: ``case_state`` to every member.
    """
    case = lock_case(access_case_as_facilitator(actor, case_id).pk)
    check_case_transition(case.state, CaseState.CONCLUDED)
    modes = check_outcome(outcome, today=timezone.localdate())
    sealed = _sealed_note(case, actor, note)
    record_ = Outcome.objects.create(
        case=case,
        questions_answered=outcome.questions_answered,
        explanation_given=outcome.explanation_given,
        apology_offered=outcome.apology_offered,
        apology_accepted=outcome.apology_accepted if outcome.apology_offered else None,
        delivery_modes=modes,
        note=sealed,
        concluded_at=timezone.now(),
    )
    items = AgreementItem.objects.bulk_create(
        AgreementItem(outcome=record_, kind=item.kind, follow_up_on=item.follow_up_on)
        for item in outcome.agreement
    )
    _offer_survey_at_end(case)
    _move_case(
        case, CaseState.CONCLUDED, actor=actor,
        outcome={
            "questions_answered": record_.questions_answered,
            "explanation_given": record_.explanation_given,
            "apology_offered": record_.apology_offered,
            "apology_accepted": record_.apology_accepted,
            "agreement": sorted(item.kind for item in items),
            "delivery_modes": modes,
            "note": sealed is not None,
        },
    )
    return case


@transaction.atomic
def close_case(
    *,
    actor: User,
    case_id: uuid.UUID,
    reason: str,
    withdrawn_side: str | None = None,
    note: Envelope | None = None,
) -> Case:
    """Close a case with its reason: completed (after its outcome), a participant withdrew
    (which side, and the stage the case had reached; never why, unless they chose to say
    and it is written in the sealed note), unsuitable, or no contact. Participants who took
    part and were not offered the survey yet are offered it.

    Who: a current facilitator of the case or a hub manager. Audits: CASE_STATE_CHANGED
    with the reason, side and stage. Emits: ``case_state`` to every member.
    """
    case = lock_case(access_case_to_close(actor, case_id).pk)
    check_case_transition(case.state, CaseState.CLOSED)
    check_close(case.state, reason, withdrawn_side)
    sealed = _sealed_note(case, actor, note) if note is not None else None
    stage = case.state
    Closure.objects.create(
        case=case, reason=reason, withdrawn_side=withdrawn_side or "", stage=stage,
        note=sealed, closed_at=timezone.now(),
    )
    _offer_survey_at_end(case)
    _move_case(
        case, CaseState.CLOSED, actor=actor, reason=reason, stage=stage,
        withdrawn_side=withdrawn_side or None, note=sealed is not None,
    )
    return case


def close_as_unsuitable(case: Case, *, actor: User, **audit: object) -> None:
    """Find ``case`` (locked) unsuitable and close it with the reason ``unsuitable``: one
    decision, so one CASE_STATE_CHANGED event (old: the stage it reached; new: closed),
    carrying ``audit``. Runs inside ``relay.cases.assessment.find_unsuitable``, which checks
    who may and records the notices first. Emits: ``case_state`` (closed) to every member."""
    stage = case.state
    check_case_transition(stage, CaseState.UNSUITABLE)
    check_case_transition(CaseState.UNSUITABLE, CaseState.CLOSED)
    check_close(CaseState.UNSUITABLE, "unsuitable", None)
    Closure.objects.create(
        case=case, reason="unsuitable", withdrawn_side="", stage=stage, note=None,
        closed_at=timezone.now(),
    )
    _offer_survey_at_end(case)
    case.state = CaseState.CLOSED
    case.save(update_fields=["state", "updated_at"])
    record(
        AuditEventType.CASE_STATE_CHANGED, actor=actor, case=case, old=stage,
        new=CaseState.CLOSED.value, via=CaseState.UNSUITABLE.value, reason="unsuitable",
        stage=stage, **audit,
    )
    append_events([(CaseStateEvent(CaseState.CLOSED), everyone_in(case))], case=case)


@transaction.atomic
def record_follow_up(*, actor: User, item_id: uuid.UUID, met: bool) -> AgreementItem:
    """A facilitator records whether an agreed item was met, once its follow-up is due.

    Who: a current facilitator of the item's case. Audits: FOLLOW_UP_RECORDED (the item,
    its kind and whether it was met).
    """
    item = AgreementItem.objects.select_related("outcome").filter(pk=as_uuid(item_id)).first()
    if item is None:
        raise AccessDenied()
    case = lock_case(access_case_as_facilitator(actor, item.outcome.case_id).pk)
    item = AgreementItem.objects.select_for_update().get(pk=item.pk)
    if not follow_up_is_open(item.follow_up_on, item.met):
        raise IllegalTransition(gettext("This agreement item has no follow-up waiting."))
    item.met = bool(met)
    item.checked_at = timezone.now()
    item.save(update_fields=["met", "checked_at"])
    record(
        AuditEventType.FOLLOW_UP_RECORDED, actor=actor, case=case, item=str(item.pk),
        kind=item.kind, met=item.met,
    )
    return item


def communication_events(
    case: Case, *, changed_by: str | None
) -> list[tuple[Payload, list[uuid.UUID]]]:
    """Whether communication flows, told to everyone in the case as each may know it (the
    views of ``relay.cases.visibility``): each participant learns only that it is paused and
    whether the pause is theirs; facilitators also learn which sides paused, the safety
    pause, and whose change this was."""
    participations = list(Participation.objects.filter(case=case))
    told: list[tuple[Payload, list[uuid.UUID]]] = []
    for participation in participations:
        own = participant_view(case, mine=participation, participations=participations)
        told.append(
            (CommunicationForParticipant(own.communicating, own.paused_by_you),
             [participation.user_id])
        )
    view = facilitator_view(case, participations)
    told.append(
        (
            CommunicationForFacilitators(
                view.communicating, view.paused_sides, view.safety_paused, changed_by
            ),
            case_audience(case),
        )
    )
    return told


def announce_communication(case: Case, *, changed_by: str | None) -> None:
    """Append the ``communication`` events of ``communication_events``."""
    append_events(communication_events(case, changed_by=changed_by), case=case)


@transaction.atomic
def pause(*, actor: User, case_id: uuid.UUID) -> Case:
    """Pause communication in a case, at once.

    Who: a participant (pauses their own participation; only they can resume it) or a
    facilitator of the case (a safety pause; any facilitator of the case can resume it).
    Commits under the case row lock, so no forward commits after it (invariant 3).
    Audits: CASE_PAUSED. Emits: ``communication`` to every member of the case.
    """
    case = access_case_as_member(actor, case_id)
    case = lock_case(case.pk)
    if actor.role == Role.FACILITATOR:
        check_safety_pause_transition(is_safety_paused(case), True)
        if not may_safety_pause(case.state, is_safety_paused(case)):
            raise IllegalTransition(gettext("Only a case in progress can be paused."))
        case.safety_paused_by = actor
        case.save(update_fields=["safety_paused_by", "updated_at"])
        by = "facilitator"
    else:
        participation = Participation.objects.select_for_update().get(case=case, user=actor)
        if participation.state == ParticipationState.PAUSED:
            raise IllegalTransition(gettext("You have already paused communication."))
        check_participation_transition(participation.state, ParticipationState.PAUSED)
        other = Participation.objects.filter(case=case).exclude(pk=participation.pk).first()
        if not may_pause_participation(
            case.state, participation.state, other.state if other is not None else None
        ):
            raise IllegalTransition(
                gettext("The conversation is not under way, so there is nothing to pause.")
            )
        participation.state = ParticipationState.PAUSED
        participation.save(update_fields=["state"])
        by = participation.side
    record(AuditEventType.CASE_PAUSED, actor=actor, case=case, by=by)
    announce_communication(case, changed_by=by)
    hooks.case_changed(
        case, "safety_paused" if by == "facilitator" else "paused", actor=actor,
        participation=None if by == "facilitator" else participation,
    )
    return case


@transaction.atomic
def resume(*, actor: User, case_id: uuid.UUID) -> Case:
    """Lift the pause the actor is entitled to lift.

    Who: the participant who paused (their own pause only), or a facilitator of the case
    (the safety pause only). Audits: CASE_RESUMED. Emits: ``communication`` to every member.
    """
    case = access_case_as_member(actor, case_id)
    case = lock_case(case.pk)
    if actor.role == Role.FACILITATOR:
        check_safety_pause_transition(is_safety_paused(case), False)
        case.safety_paused_by = None
        case.save(update_fields=["safety_paused_by", "updated_at"])
        by = "facilitator"
    else:
        participation = Participation.objects.select_for_update().get(case=case, user=actor)
        if not may_resume_participation(participation.state):
            raise IllegalTransition(
                gettext("You have not paused communication, so there is nothing to resume.")
            )
        participation.state = ParticipationState.ACTIVE
        participation.save(update_fields=["state"])
        by = participation.side
    record(AuditEventType.CASE_RESUMED, actor=actor, case=case, by=by)
    announce_communication(case, changed_by=by)
    return case


@transaction.atomic
def withdraw(*, actor: User, case_id: uuid.UUID) -> Participation:
    """A participant leaves the process. Final for them in this case.

    Who: the participant. Every message of theirs still waiting is voided and will never be
    delivered (the ``on_withdrawal`` hook, moderation's); further sends to or from them are
    refused. Locks: case row → participation row → the voided message rows → the case's
    audit chain head → user rows. Audits: PARTICIPATION_WITHDRAWN (with the number of voided
    messages). Emits: ``message_state`` for each voided message to the actor and
    facilitators, then ``participation`` and ``communication`` to every member; closes the
    actor's sockets.
    """
    participation = access_case_as_participant(actor, case_id)
    case = lock_case(participation.case_id)
    participation = Participation.objects.select_for_update().get(pk=participation.pk)
    if not may_withdraw_participation(participation.state):
        check_participation_transition(participation.state, ParticipationState.WITHDRAWN)
    participation.state = ParticipationState.WITHDRAWN
    participation.save(update_fields=["state"])
    voided = hooks.on_withdrawal(case, actor)
    record(
        AuditEventType.PARTICIPATION_WITHDRAWN,
        actor=actor,
        case=case,
        side=participation.side,
        voided=len(voided),
    )
    told = case_audience(case, actor.pk)
    events: list[tuple[Payload, list[uuid.UUID]]] = [
        (MessageStateEvent(message, message.state), told) for message in voided
    ]
    events.append(
        (ParticipationEvent(participation.side, ParticipationState.WITHDRAWN), everyone_in(case))
    )
    events += communication_events(case, changed_by=None)
    append_events(events, case=case)
    hooks.case_changed(case, "withdrawn", actor=actor, participation=participation)
    transaction.on_commit(lambda: revoke_sockets(actor.pk, reason="withdrawn"))
    return participation
