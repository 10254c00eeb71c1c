"""The case lifecycle through its actions: every case and participation transition, legal
and illegal; one audit event per change; who hears of it; and a refusal changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from relay.accounts.models import Role
from relay.audit.models import AuditEvent, AuditEventType
from relay.cases import actions as case_actions
from relay.cases import hooks
from relay.cases.audience import case_audience, everyone_in
from relay.cases.models import Case, CaseState, Participation, ParticipationState
from relay.cases.states import SAFETY_PAUSE_TRANSITIONS, check_safety_pause_transition
from relay.delivery.models import Event, EventType
from relay.errors import IllegalTransition, InvalidRequest
from tests.factories import (
    SIMPLE_OUTCOME,
    ShuttleCase,
    make_case,
    make_person,
    record_assessment,
)
from tests.moderation.helpers import counts, submit

pytestmark = pytest.mark.django_db


def snapshot(sc: ShuttleCase) -> dict[str, Any]:
    case = Case.objects.get(pk=sc.case.pk)
    return {
        **counts(),
        "case": (case.state, case.safety_paused_by_id),
        "participations": sorted(
            Participation.objects.filter(case=case).values_list("side", "state")
        ),
    }


def refused(sc: ShuttleCase, call: Callable[[], object], error: type = IllegalTransition) -> None:
    before = snapshot(sc)
    with pytest.raises(error):
        call()
    assert snapshot(sc) == before


class Changes:
    """The audit events and stream events one action added."""

    def __init__(self, sc: ShuttleCase) -> None:
        self.sc = sc
        self.audits_before = set(AuditEvent.objects.values_list("pk", flat=True))
        self.events_before = set(Event.objects.values_list("pk", flat=True))

    def audits(self) -> list[AuditEvent]:
        return list(AuditEvent.objects.exclude(pk__in=self.audits_before).order_by("created_at"))

    def events(self, event_type: str | None = None) -> list[Event]:
        events = Event.objects.exclude(pk__in=self.events_before)
        if event_type is not None:
            events = events.filter(event_type=event_type)
        return list(events.order_by("pk"))

    def heard_by(self, event_type: str) -> list[str]:
        return sorted(str(e.user_id) for e in self.events(event_type))


def one_audit(changes: Changes, event_type: AuditEventType) -> AuditEvent:
    audits = changes.audits()
    assert [a.event_type for a in audits] == [event_type]
    return audits[0]


def ids(*values: Any) -> list[str]:
    return sorted(str(v) for v in values)


# --- the case's states -----------------------------------------------------------------------


def test_a_case_moves_through_its_states_with_one_audit_event_each_told_to_everyone() -> None:
    sc = make_case(active=False)
    f = sc.facilitator.user
    record_assessment(actor=f, case_id=sc.case.pk)  # records, not state changes
    steps: list[tuple[Callable[[], Any], str]] = [
        (lambda: case_actions.begin_assessment(actor=f, case_id=sc.case.pk), CaseState.ASSESSING),
        (
            lambda: case_actions.record_suitability(actor=f, case_id=sc.case.pk, suitable=True),
            CaseState.PREPARING,
        ),
    ]
    for act, new in steps:
        changes = Changes(sc)
        act()
        audit = one_audit(changes, AuditEventType.CASE_STATE_CHANGED)
        assert audit.data["new"] == new
        assert changes.heard_by(EventType.CASE) == ids(*everyone_in(sc.case))
        assert [e.data for e in changes.events()] == [{"state": new}] * len(changes.events())
    sc.case.refresh_from_db()
    assert sc.case.state == CaseState.PREPARING


@pytest.mark.parametrize(
    "action",
    ["begin_assessment", "conclude_case", "start_communication"],
)
def test_an_illegal_case_transition_is_refused_and_changes_nothing(action: str) -> None:
    sc = make_case(active=False)  # referred
    f = sc.facilitator.user
    if action == "begin_assessment":
        case_actions.begin_assessment(actor=f, case_id=sc.case.pk)  # assessing already
    extra: dict[str, Any] = {"outcome": SIMPLE_OUTCOME} if action == "conclude_case" else {}
    refused(sc, lambda: getattr(case_actions, action)(actor=f, case_id=sc.case.pk, **extra))


def test_a_closed_case_moves_nowhere() -> None:
    sc = make_case()
    case_actions.close_case(actor=sc.manager.user, case_id=sc.case.pk, reason="unsuitable")
    f = sc.facilitator.user
    refused(
        sc, lambda: case_actions.conclude_case(actor=f, case_id=sc.case.pk, outcome=SIMPLE_OUTCOME)
    )
    refused(
        sc,
        lambda: case_actions.close_case(
            actor=sc.manager.user, case_id=sc.case.pk, reason="unsuitable"
        ),
    )
    refused(sc, lambda: case_actions.pause(actor=f, case_id=sc.case.pk))
    refused(sc, lambda: case_actions.pause(actor=sc.harmed.user, case_id=sc.case.pk))


def test_bad_consent_changes_nothing() -> None:
    sc = make_case(active=False)
    f = sc.facilitator.user
    case_actions.begin_assessment(actor=f, case_id=sc.case.pk)
    record_assessment(actor=f, case_id=sc.case.pk)
    case_actions.record_suitability(actor=f, case_id=sc.case.pk, suitable=True)
    for modes in ([], ["telepathy"]):
        refused(
            sc,
            lambda modes=modes: case_actions.record_consent(
                actor=f, case_id=sc.case.pk, side="harmed", modes=modes
            ),
            InvalidRequest,
        )
    refused(
        sc,
        lambda: case_actions.record_consent(
            actor=f, case_id=sc.case.pk, side="nobody", modes=["messages"]
        ),
        InvalidRequest,
    )
    # Only one side consented: the conversation cannot start.
    harmed = Participation.objects.get(case=sc.case, side="harmed")
    if harmed.state == ParticipationState.INVITED:
        case_actions.record_enrolment(actor=f, participation_id=harmed.pk)
    case_actions.record_consent(actor=f, case_id=sc.case.pk, side="harmed", modes=["messages"])
    refused(sc, lambda: case_actions.start_communication(actor=f, case_id=sc.case.pk))


# --- participations: pause, resume, withdraw -------------------------------------------------


def test_a_participant_pauses_and_resumes_with_one_audit_event_each() -> None:
    sc = make_case()
    harmed = sc.harmed.user
    for act, audit_type, state in (
        (case_actions.pause, AuditEventType.CASE_PAUSED, ParticipationState.PAUSED),
        (case_actions.resume, AuditEventType.CASE_RESUMED, ParticipationState.ACTIVE),
    ):
        changes = Changes(sc)
        act(actor=harmed, case_id=sc.case.pk)
        one_audit(changes, audit_type)
        assert Participation.objects.get(case=sc.case, user=harmed).state == state
        # Each participant hears as a participant, the facilitators as facilitators.
        by_user = {str(e.user_id): e.data for e in changes.events(EventType.COMMUNICATION)}
        assert sorted(by_user) == ids(*everyone_in(sc.case))
        paused = state == ParticipationState.PAUSED
        assert by_user[sc.harmed.id] == {"communicating": not paused, "paused_by_you": paused}
        assert by_user[sc.responsible.id] == {"communicating": not paused, "paused_by_you": False}
        assert by_user[sc.facilitator.id] == {
            "communicating": not paused,
            "paused_sides": ["harmed"] if paused else [],
            "safety_paused": False,
            "changed_by": "harmed",
        }


def test_illegal_participation_moves_are_refused_and_change_nothing() -> None:
    sc = make_case()
    harmed, responsible = sc.harmed.user, sc.responsible.user
    refused(sc, lambda: case_actions.resume(actor=harmed, case_id=sc.case.pk))
    case_actions.pause(actor=harmed, case_id=sc.case.pk)
    refused(sc, lambda: case_actions.pause(actor=harmed, case_id=sc.case.pk))
    # Another participant cannot lift my pause: resuming theirs is refused.
    refused(sc, lambda: case_actions.resume(actor=responsible, case_id=sc.case.pk))
    case_actions.withdraw(actor=harmed, case_id=sc.case.pk)
    refused(sc, lambda: case_actions.withdraw(actor=harmed, case_id=sc.case.pk))
    refused(sc, lambda: case_actions.resume(actor=harmed, case_id=sc.case.pk))
    refused(sc, lambda: case_actions.pause(actor=harmed, case_id=sc.case.pk))
    # The other party cannot pause a conversation that has ended.
    refused(sc, lambda: case_actions.pause(actor=responsible, case_id=sc.case.pk))


def test_a_participant_before_the_conversation_cannot_pause_but_may_withdraw() -> None:
    sc = make_case(active=False)
    refused(sc, lambda: case_actions.pause(actor=sc.harmed.user, case_id=sc.case.pk))
    changes = Changes(sc)
    case_actions.withdraw(actor=sc.harmed.user, case_id=sc.case.pk)
    one_audit(changes, AuditEventType.PARTICIPATION_WITHDRAWN)


def test_a_withdrawal_voids_pending_messages_in_one_audit_event_and_tells_who_should_know() -> None:
    sc = make_case()
    pending = [submit(sc, sc.harmed, f"waiting {i}") for i in range(2)]
    theirs = submit(sc, sc.responsible, "not theirs to void")
    changes = Changes(sc)
    case_actions.withdraw(actor=sc.harmed.user, case_id=sc.case.pk)
    audit = one_audit(changes, AuditEventType.PARTICIPATION_WITHDRAWN)
    assert audit.case_id == sc.case.pk
    # The voids go to the withdrawing person and the facilitators, never the other party.
    states = changes.events(EventType.MESSAGE_STATE)
    assert sorted((str(e.user_id), str(e.message_id)) for e in states) == sorted(
        (str(u), str(m.pk)) for m in pending for u in case_audience(sc.case, sc.harmed.user.pk)
    )
    assert all(e.data == {"message_id": str(e.message_id), "state": "voided"} for e in states)
    assert changes.heard_by(EventType.PARTICIPATION) == ids(*everyone_in(sc.case))
    assert changes.heard_by(EventType.COMMUNICATION) == ids(*everyone_in(sc.case))
    theirs.refresh_from_db()
    assert theirs.state == "submitted"
    # One action, one append: each person's events of it have consecutive seq numbers.
    for user_id in everyone_in(sc.case):
        seqs = [e.seq for e in changes.events() if e.user_id == user_id]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))


def test_a_withdrawal_without_moderations_hook_raises_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sc = make_case()
    submit(sc, sc.harmed)
    monkeypatch.setattr(hooks, "_hooks", {})
    refused(
        sc,
        lambda: case_actions.withdraw(actor=sc.harmed.user, case_id=sc.case.pk),
        ImproperlyConfigured,
    )


# --- the safety pause ------------------------------------------------------------------------


def test_the_safety_pause_transitions() -> None:
    assert SAFETY_PAUSE_TRANSITIONS == {False: frozenset({True}), True: frozenset({False})}
    check_safety_pause_transition(False, True)
    check_safety_pause_transition(True, False)
    with pytest.raises(IllegalTransition, match="already paused for safety"):
        check_safety_pause_transition(True, True)
    with pytest.raises(IllegalTransition, match="not paused for safety"):
        check_safety_pause_transition(False, False)


def test_any_facilitator_lifts_a_safety_pause_and_everyone_hears_each_change() -> None:
    sc = make_case(co_facilitator=True)
    assert sc.co_facilitator is not None
    for actor, act, audit_type, paused in (
        (sc.facilitator, case_actions.pause, AuditEventType.CASE_PAUSED, True),
        (sc.co_facilitator, case_actions.resume, AuditEventType.CASE_RESUMED, False),
    ):
        changes = Changes(sc)
        act(actor=actor.user, case_id=sc.case.pk)
        one_audit(changes, audit_type)
        sc.case.refresh_from_db()
        assert (sc.case.safety_paused_by_id is not None) is paused
        by_user = {str(e.user_id): e.data for e in changes.events(EventType.COMMUNICATION)}
        assert sorted(by_user) == ids(*everyone_in(sc.case))
        # A participant learns it is paused, not by whom.
        assert by_user[sc.harmed.id] == {"communicating": not paused, "paused_by_you": False}
        assert by_user[sc.co_facilitator.id]["safety_paused"] is paused
        assert by_user[sc.co_facilitator.id]["changed_by"] == "facilitator"


def test_illegal_safety_pause_moves_are_refused_and_change_nothing() -> None:
    sc = make_case()
    f = sc.facilitator.user
    refused(sc, lambda: case_actions.resume(actor=f, case_id=sc.case.pk))
    case_actions.pause(actor=f, case_id=sc.case.pk)
    refused(sc, lambda: case_actions.pause(actor=f, case_id=sc.case.pk))
    # A participant cannot lift a facilitator's pause.
    refused(sc, lambda: case_actions.resume(actor=sc.harmed.user, case_id=sc.case.pk))
    not_yet = make_case(active=False)
    refused(
        not_yet,
        lambda: case_actions.pause(actor=not_yet.facilitator.user, case_id=not_yet.case.pk),
    )


# --- facilitators ----------------------------------------------------------------------------


def test_assigning_and_unassigning_a_facilitator_tells_the_case_and_the_one_who_left() -> None:
    sc = make_case()
    newcomer = make_person("facilitator")
    changes = Changes(sc)
    case_actions.assign_facilitator(
        actor=sc.manager.user, case_id=sc.case.pk, facilitator=newcomer.user
    )
    one_audit(changes, AuditEventType.FACILITATOR_ASSIGNED)
    assert changes.heard_by(EventType.CASE) == ids(*everyone_in(sc.case))
    assert newcomer.id in changes.heard_by(EventType.CASE)
    refused(
        sc,
        lambda: case_actions.assign_facilitator(
            actor=sc.manager.user, case_id=sc.case.pk, facilitator=newcomer.user
        ),
        InvalidRequest,
    )
    changes = Changes(sc)
    case_actions.unassign_facilitator(
        actor=sc.manager.user, case_id=sc.case.pk, facilitator=newcomer.user
    )
    one_audit(changes, AuditEventType.FACILITATOR_UNASSIGNED)
    assert changes.heard_by(EventType.CASE) == ids(*everyone_in(sc.case), newcomer.user.pk)
    assert all(e.data == {"change": "facilitators"} for e in changes.events())
    refused(
        sc,
        lambda: case_actions.unassign_facilitator(
            actor=sc.manager.user, case_id=sc.case.pk, facilitator=newcomer.user
        ),
        InvalidRequest,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("category", "complexity", "needed"),
    [
        ("acquisitive", "standard", "foundation"),
        ("hate_crime", "standard", "advanced"),
        ("acquisitive", "complex", "advanced"),
        ("domestic_abuse", "standard", "specialist"),
        ("violence", "sensitive", "specialist"),
    ],
)
def test_a_facilitator_below_the_cases_training_level_is_refused_with_the_reason(
    category: str, complexity: str, needed: str
) -> None:
    manager = make_person(Role.HUB_MANAGER)
    case = case_actions.create_case(
        actor=manager.user,
        reference=f"RJ-T-{category}-{complexity}",
        offence_category=category,
        complexity=complexity,
    )
    levels = ["foundation", "advanced", "specialist"]
    for level in levels:
        facilitator = make_person(Role.FACILITATOR)
        facilitator.user.training_level = level
        facilitator.user.save(update_fields=["training_level"])
        before = AuditEvent.objects.count()
        if levels.index(level) < levels.index(needed):
            with pytest.raises(InvalidRequest) as refused:
                case_actions.assign_facilitator(
                    actor=manager.user, case_id=case.pk, facilitator=facilitator.user
                )
            assert refused.value.code == "training_level"
            assert needed in refused.value.message and level in refused.value.message
            assert AuditEvent.objects.count() == before
            assert not case.assignments.filter(facilitator=facilitator.user).exists()
        else:
            case_actions.assign_facilitator(
                actor=manager.user, case_id=case.pk, facilitator=facilitator.user
            )
            case_actions.unassign_facilitator(
                actor=manager.user, case_id=case.pk, facilitator=facilitator.user
            )


@pytest.mark.django_db
def test_a_case_needs_a_known_category_and_complexity() -> None:
    manager = make_person(Role.HUB_MANAGER)
    for kwargs in ({"offence_category": "jaywalking"}, {"complexity": "trivial"}):
        with pytest.raises(InvalidRequest):
            case_actions.create_case(actor=manager.user, reference="RJ-BAD", **kwargs)
    assert not Case.objects.filter(reference="RJ-BAD").exists()
