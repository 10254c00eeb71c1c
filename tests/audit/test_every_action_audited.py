"""Invariant 5, first half: every action writes exactly one audit event, in its own
transaction, and a retried send with the same id writes none.

The list of actions is read from the action modules themselves, so an action added without
a scenario here makes ``test_every_action_has_a_scenario`` fail.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from relay.accounts import actions as account_actions
from relay.accounts.models import Role
from relay.audit.models import AuditEvent
from relay.cases import actions as case_actions
from relay.moderation import actions as moderation
from relay_client.crypto import KeyPair
from tests.envelopes import parsed, seal_from
from tests.factories import make_case, make_person
from tests.moderation.helpers import forward_envelope, submit

# Modules whose every public, transactional function must have a scenario below.
STRICT_MODULES: tuple[ModuleType, ...] = (moderation, case_actions)


def actions_of(module: ModuleType) -> set[str]:
    """Public functions defined in ``module`` that run in their own transaction."""
    found = set()
    for name, obj in vars(module).items():
        if name.startswith("_") or not inspect.isfunction(obj):
            continue
        if obj.__module__ != module.__name__:
            continue
        if hasattr(obj, "__wrapped__"):  # @transaction.atomic wraps the function
            found.add(f"{module.__name__.rsplit('.', 2)[-2]}.{name}")
    return found


def _note_envelope(sc, pending, kind: str):
    return parsed(
        seal_from(
            sc.facilitator,
            sc,
            kind,
            "note",
            to=[sc.facilitator, sc.harmed],
            derived_from=str(pending.pk),
        )
    )


def _pending():
    sc = make_case()
    return sc, submit(sc, sc.harmed)


def scenario_submit() -> Callable[[], Any]:
    sc = make_case()
    envelope = parsed(seal_from(sc.harmed, sc, "question", "q"))
    return lambda: moderation.submit_message(actor=sc.harmed.user, envelope=envelope)


def scenario_forward() -> Callable[[], Any]:
    sc, pending = _pending()
    envelope = parsed(forward_envelope(sc, sc.facilitator, pending))
    return lambda: moderation.forward_message(
        actor=sc.facilitator.user, message_id=pending.pk, envelope=envelope
    )


def scenario_return() -> Callable[[], Any]:
    sc, pending = _pending()
    note = _note_envelope(sc, pending, "return_note")
    return lambda: moderation.return_message(
        actor=sc.facilitator.user, message_id=pending.pk, note=note
    )


def scenario_reject() -> Callable[[], Any]:
    sc, pending = _pending()
    reason = _note_envelope(sc, pending, "rejection_reason")
    return lambda: moderation.reject_message(
        actor=sc.facilitator.user, message_id=pending.pk, reason=reason
    )


def scenario_retract() -> Callable[[], Any]:
    sc, pending = _pending()
    return lambda: moderation.retract_message(actor=sc.harmed.user, message_id=pending.pk)


def scenario_facilitator_note() -> Callable[[], Any]:
    sc = make_case()
    envelope = parsed(
        seal_from(sc.facilitator, sc, "facilitator_note", "n", to=[sc.facilitator, sc.harmed])
    )
    return lambda: moderation.send_facilitator_note(actor=sc.facilitator.user, envelope=envelope)


def scenario_pause() -> Callable[[], Any]:
    sc = make_case()
    return lambda: moderation.pause(actor=sc.harmed.user, case_id=sc.case.pk)


def scenario_resume() -> Callable[[], Any]:
    sc = make_case()
    moderation.pause(actor=sc.harmed.user, case_id=sc.case.pk)
    return lambda: moderation.resume(actor=sc.harmed.user, case_id=sc.case.pk)


def scenario_withdraw() -> Callable[[], Any]:
    sc, _ = _pending()
    submit(sc, sc.harmed, "another")
    return lambda: moderation.withdraw(actor=sc.harmed.user, case_id=sc.case.pk)


def scenario_create_case() -> Callable[[], Any]:
    manager = make_person(Role.HUB_MANAGER)
    return lambda: case_actions.create_case(actor=manager.user, reference="RJ-AUDIT-1")


def scenario_assign() -> Callable[[], Any]:
    sc = make_case()
    co = make_person(Role.FACILITATOR)
    return lambda: case_actions.assign_facilitator(
        actor=sc.manager.user, case_id=sc.case.pk, facilitator=co.user
    )


def scenario_unassign() -> Callable[[], Any]:
    sc = make_case(co_facilitator=True)
    return lambda: case_actions.unassign_facilitator(
        actor=sc.manager.user, case_id=sc.case.pk, facilitator=sc.co_facilitator.user
    )


def scenario_add_participant() -> Callable[[], Any]:
    manager = make_person(Role.HUB_MANAGER)
    case = case_actions.create_case(actor=manager.user, reference="RJ-AUDIT-2")
    person = make_person(Role.PARTICIPANT)
    return lambda: case_actions.add_participant(
        actor=manager.user, case_id=case.pk, user=person.user, side="harmed"
    )


def _fresh():
    return make_case(active=False)


def scenario_enrolment() -> Callable[[], Any]:
    sc = _fresh()
    p = sc.case.participations.get(side="harmed")
    return lambda: case_actions.record_enrolment(actor=sc.harmed.user, participation_id=p.pk)


def _assessed(sc) -> None:
    f = sc.facilitator.user
    case_actions.begin_assessment(actor=f, case_id=sc.case.pk)
    case_actions.record_suitability(actor=f, case_id=sc.case.pk, suitable=True)
    for p in sc.case.participations.all():
        case_actions.record_enrolment(actor=f, participation_id=p.pk)


def scenario_consent() -> Callable[[], Any]:
    sc = _fresh()
    _assessed(sc)
    return lambda: case_actions.record_consent(
        actor=sc.facilitator.user, case_id=sc.case.pk, side="harmed", modes=["messages"]
    )


def scenario_begin_assessment() -> Callable[[], Any]:
    sc = _fresh()
    return lambda: case_actions.begin_assessment(actor=sc.facilitator.user, case_id=sc.case.pk)


def scenario_suitability() -> Callable[[], Any]:
    sc = _fresh()
    case_actions.begin_assessment(actor=sc.facilitator.user, case_id=sc.case.pk)
    return lambda: case_actions.record_suitability(
        actor=sc.facilitator.user, case_id=sc.case.pk, suitable=False
    )


def scenario_start() -> Callable[[], Any]:
    sc = _fresh()
    _assessed(sc)
    for side in ("harmed", "responsible"):
        case_actions.record_consent(
            actor=sc.facilitator.user, case_id=sc.case.pk, side=side, modes=["messages"]
        )
    return lambda: case_actions.start_communication(actor=sc.facilitator.user, case_id=sc.case.pk)


def scenario_conclude() -> Callable[[], Any]:
    sc = make_case()
    return lambda: case_actions.conclude_case(actor=sc.facilitator.user, case_id=sc.case.pk)


def scenario_close() -> Callable[[], Any]:
    sc = make_case()
    return lambda: case_actions.close_case(actor=sc.manager.user, case_id=sc.case.pk)


def scenario_create_account() -> Callable[[], Any]:
    manager = make_person(Role.HUB_MANAGER)
    return lambda: account_actions.create_account(
        actor=manager.user, username="new-participant", role=Role.PARTICIPANT
    )


def scenario_register_key() -> Callable[[], Any]:
    sc = make_case()
    fresh = KeyPair.generate()
    return lambda: account_actions.register_key(actor=sc.harmed.user, public_key=fresh.public)


def scenario_verify_key() -> Callable[[], Any]:
    sc = make_case()
    assert sc.harmed.keypair is not None
    return lambda: account_actions.verify_key(
        actor=sc.facilitator.user, case_id=sc.case.pk, key_id=sc.harmed.keypair.key_id
    )


SCENARIOS: dict[str, Callable[[], Callable[[], Any]]] = {
    "moderation.submit_message": scenario_submit,
    "moderation.forward_message": scenario_forward,
    "moderation.return_message": scenario_return,
    "moderation.reject_message": scenario_reject,
    "moderation.retract_message": scenario_retract,
    "moderation.send_facilitator_note": scenario_facilitator_note,
    "moderation.pause": scenario_pause,
    "moderation.resume": scenario_resume,
    "moderation.withdraw": scenario_withdraw,
    "cases.create_case": scenario_create_case,
    "cases.assign_facilitator": scenario_assign,
    "cases.unassign_facilitator": scenario_unassign,
    "cases.add_participant": scenario_add_participant,
    "cases.record_enrolment": scenario_enrolment,
    "cases.record_consent": scenario_consent,
    "cases.begin_assessment": scenario_begin_assessment,
    "cases.record_suitability": scenario_suitability,
    "cases.start_communication": scenario_start,
    "cases.conclude_case": scenario_conclude,
    "cases.close_case": scenario_close,
    "accounts.create_account": scenario_create_account,
    "accounts.register_key": scenario_register_key,
    "accounts.verify_key": scenario_verify_key,
}


def test_every_action_has_a_scenario() -> None:
    found = set().union(*(actions_of(m) for m in STRICT_MODULES))
    assert found, "no actions found: the discovery is broken"
    missing = found - set(SCENARIOS)
    assert not missing, f"actions with no audit scenario: {sorted(missing)}"
    assert {"accounts.create_account", "accounts.register_key", "accounts.verify_key"} <= (
        actions_of(account_actions)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_action_writes_exactly_one_audit_event(name: str) -> None:
    act = SCENARIOS[name]()
    before = AuditEvent.objects.count()
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    act()
    written = list(AuditEvent.objects.filter(seq__gt=last))
    assert AuditEvent.objects.count() == before + 1, [str(e) for e in written]
    assert len(written) == 1


@pytest.mark.django_db
def test_retried_send_writes_no_second_audit_event() -> None:
    sc = make_case()
    raw = seal_from(sc.harmed, sc, "question", "q")
    first = moderation.submit_message(actor=sc.harmed.user, envelope=parsed(raw))
    before = AuditEvent.objects.count()
    again = moderation.submit_message(actor=sc.harmed.user, envelope=parsed(raw))
    assert (first.created, again.created) == (True, False)
    assert again.message.pk == first.message.pk
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_refused_action_writes_no_audit_event() -> None:
    sc = make_case()
    before = AuditEvent.objects.count()
    with pytest.raises(Exception) as refused:  # noqa: B017 — the code is asserted below
        moderation.resume(actor=sc.harmed.user, case_id=sc.case.pk)
    assert getattr(refused.value, "code", None) == "conflict"
    assert AuditEvent.objects.count() == before
