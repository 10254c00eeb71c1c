"""On PostgreSQL, the audit log no longer makes every write wait for one row: a write in
one case commits while another case's transaction holds its audit record open, and actions
in two cases that share a facilitator, run from several threads at once beside a key change
of one of their participants and key verifications, never deadlock, are each audited once,
and leave a log that verifies."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest
from django.db import OperationalError, connection, transaction

from relay.accounts import actions as account_actions
from relay.audit.chain import record, verify_log
from relay.audit.models import AuditEvent, AuditEventType
from relay.cases import actions as case_actions
from relay.cases.models import Case
from relay.errors import IllegalTransition
from relay_client.crypto import KeyPair
from tests.factories import ShuttleCase, make_case

SECONDS = 4.0


def shared_facilitator_cases() -> tuple[ShuttleCase, ShuttleCase]:
    """Two communicating cases; the first case's facilitator co-facilitates the second, so
    the two cases' actions lock some of the same user rows."""
    a, b = make_case(), make_case()
    case_actions.assign_facilitator(
        actor=b.manager.user, case_id=b.case.pk, facilitator=a.facilitator.user
    )
    return a, b


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_write_in_one_case_commits_while_another_case_holds_its_audit_record() -> None:
    a, b = make_case(), make_case()
    recorded, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold_case_a_open() -> None:
        try:
            with transaction.atomic():
                case = Case.objects.select_for_update().get(pk=a.case.pk)
                record(AuditEventType.CASE_PAUSED, actor=a.responsible.user, case=case, by="test")
                recorded.set()
                release.wait(15)
        except BaseException as error:  # noqa: BLE001 — asserted below
            errors.append(error)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_case_a_open)
    holder.start()
    try:
        assert recorded.wait(10)
        started = time.monotonic()
        with connection.cursor() as cursor:
            # Instead of waiting forever on the lock, as one global audit head did.
            cursor.execute("SET lock_timeout = '3s'")
        try:
            case_actions.pause(actor=b.responsible.user, case_id=b.case.pk)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = 0")
        took = time.monotonic() - started
    finally:
        release.set()
        holder.join(20)
    assert not errors
    assert took < 1.0, f"the pause in case B waited {took:.2f} s for case A"
    assert (
        AuditEvent.objects.filter(case_id=b.case.pk, event_type=AuditEventType.CASE_PAUSED).count()
        == 1
    )
    from relay.audit.chain import verify_chain

    assert verify_chain().ok


class Stress:
    """Threads, each with its own connection, running one kind of action in a loop until
    the deadline; counts what committed, what was refused by the rules, and deadlocks."""

    def __init__(self) -> None:
        self.done: Counter[tuple[str, Any]] = Counter()
        self.refused: Counter[str] = Counter()
        self.deadlocks: list[str] = []
        self.errors: list[BaseException] = []
        self.lock = threading.Lock()

    def run(self, workers: list[tuple[str, Any, Any]], seconds: float) -> float:
        deadline = time.monotonic() + seconds
        start = threading.Barrier(len(workers))

        def loop(name: str, key: Any, step: Any) -> None:
            try:
                start.wait(30)
                while time.monotonic() < deadline:
                    try:
                        step()
                    except IllegalTransition:
                        with self.lock:
                            self.refused[name] += 1
                        continue
                    except OperationalError as error:
                        if "deadlock" in str(error):
                            with self.lock:
                                self.deadlocks.append(f"{name}: {error}")
                            continue
                        raise
                    with self.lock:
                        self.done[(name, key)] += 1
            except BaseException as error:  # noqa: BLE001 — asserted by the test
                with self.lock:
                    self.errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=loop, args=w, daemon=True) for w in workers]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(seconds + 60)
        return time.monotonic() - began


def toggler(sc: ShuttleCase) -> Any:
    """Pause if communicating, resume if paused by this person: whichever the case allows."""

    def step() -> None:
        try:
            case_actions.pause(actor=sc.responsible.user, case_id=sc.case.pk)
        except IllegalTransition:
            case_actions.resume(actor=sc.responsible.user, case_id=sc.case.pk)

    return step


def key_verifier(sc: ShuttleCase) -> Any:
    """The facilitator records again that they checked the person responsible's key: an
    action on the case that does not otherwise change it."""
    from relay.accounts.models import PublicKey
    from relay.cases.participants import verify_key

    key = PublicKey.objects.get(user=sc.responsible.user, retired_at__isnull=True)

    def step() -> None:
        verify_key(actor=sc.facilitator.user, case_id=sc.case.pk, key_id=key.key_id)

    return step


def key_changer(sc: ShuttleCase) -> Any:
    """The person harmed registers a new key: told to the facilitators of their case,
    which the other case's actions lock too."""

    def step() -> None:
        account_actions.register_key(actor=sc.harmed.user, public_key=KeyPair.generate().public)

    return step


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("key_changes", "verifications"),
    [(False, False), (True, False), (True, True)],
    ids=["cases only", "with key changes", "with key changes and verifications"],
)
def test_actions_in_two_cases_from_several_threads_never_deadlock(
    key_changes: bool, verifications: bool, record_property: Any
) -> None:
    a, b = shared_facilitator_cases()
    before = Counter((e.case_id, e.event_type) for e in AuditEvent.objects.exclude(case_id=None))
    keys_before = AuditEvent.objects.filter(event_type=AuditEventType.KEY_REGISTERED).count()
    checks_before = AuditEvent.objects.filter(event_type=AuditEventType.KEY_VERIFIED).count()
    stress = Stress()
    workers = [
        *(("toggle", a.case.pk, toggler(a)) for _ in range(3)),
        *(("toggle", b.case.pk, toggler(b)) for _ in range(3)),
    ]
    if key_changes:
        workers += [
            ("key", a.harmed.user.pk, key_changer(a)),
            ("key", b.harmed.user.pk, key_changer(b)),
        ]
    if verifications:
        workers += [("verify", sc.case.pk, key_verifier(sc)) for sc in (a, b)]
    took = stress.run(workers, SECONDS)
    assert not stress.errors, stress.errors
    assert not stress.deadlocks, stress.deadlocks[:3]
    after = Counter((e.case_id, e.event_type) for e in AuditEvent.objects.exclude(case_id=None))
    for sc in (a, b):
        audited = sum(
            after[(sc.case.pk, t)] - before[(sc.case.pk, t)]
            for t in (AuditEventType.CASE_PAUSED, AuditEventType.CASE_RESUMED)
        )
        assert audited == stress.done[("toggle", sc.case.pk)] > 0
    keys = AuditEvent.objects.filter(event_type=AuditEventType.KEY_REGISTERED).count()
    changed = sum(n for (name, _), n in stress.done.items() if name == "key")
    assert keys - keys_before == changed
    assert changed > 0 or not key_changes
    checked = sum(n for (name, _), n in stress.done.items() if name == "verify")
    checks = AuditEvent.objects.filter(event_type=AuditEventType.KEY_VERIFIED).count()
    assert checks - checks_before == checked
    assert checked > 0 or not verifications
    report = verify_log()
    assert report.ok, report.problem
    per_second = {
        str(sc.case.pk)[:8]: round(stress.done[("toggle", sc.case.pk)] / took, 1) for sc in (a, b)
    }
    record_property("case_actions_per_second", per_second)
    record_property("key_changes", changed)
    print(f"\nactions/s per case {per_second}, key changes {changed}, refused {stress.refused}")
