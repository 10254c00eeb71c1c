"""Invariant 3: pause and withdraw are immediate and linearizable.

On PostgreSQL, a pause and a forward are started together on real threads, many times.
Whichever takes the case row first wins; once a pause has committed, no forward commits
after it. The audit log's sequence is the commit order (each action appends to it under the
case lock), so every forward of the race must have a lower sequence than the pause it raced.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter
from functools import partial
from typing import Any

import pytest
from django.db import connection

from relay.audit.models import AuditEvent, AuditEventType
from relay.cases import actions as case_actions
from relay.errors import IllegalTransition
from relay.moderation import actions as moderation
from relay.moderation.models import Message, MessageState
from tests.envelopes import parsed
from tests.factories import make_case
from tests.moderation.helpers import forward_envelope, submit

TRIALS = 200


class Racers:
    """Two long-lived threads, each with its own database connection, that start each
    pair of steps together on a barrier. Each closes its connection when the race ends."""

    def __init__(self, count: int = 2) -> None:
        self.count = count
        self.barrier = threading.Barrier(count)
        self.inboxes: list[queue.Queue[Any]] = [queue.Queue() for _ in range(count)]
        self.outbox: queue.Queue[tuple[int, Any]] = queue.Queue()
        self.threads = [
            threading.Thread(target=self._work, args=(i,), daemon=True) for i in range(count)
        ]
        for thread in self.threads:
            thread.start()

    def _work(self, index: int) -> None:
        try:
            while (step := self.inboxes[index].get()) is not None:
                try:
                    self.barrier.wait(timeout=10)
                    result = step()
                except Exception as exc:  # noqa: BLE001 — the caller asserts on it
                    result = exc
                self.outbox.put((index, result))
        finally:
            connection.close()

    def race(self, *steps: Any) -> list[Any]:
        """Run the steps together; return each one's result or exception."""
        assert len(steps) == self.count
        for inbox, step in zip(self.inboxes, steps, strict=True):
            inbox.put(step)
        results: list[Any] = [None] * self.count
        for _ in steps:
            index, result = self.outbox.get(timeout=30)
            results[index] = result
        return results

    def close(self) -> None:
        for inbox in self.inboxes:
            inbox.put(None)
        for thread in self.threads:
            thread.join(10)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_forward_commits_after_a_pause(record_property: Any) -> None:
    sc = make_case(co_facilitator=True)
    won = lost = 0
    racers = Racers()
    for trial in range(TRIALS):
        # Alternate who pauses and which way the message travels.
        sender, other = (sc.harmed, sc.responsible) if trial % 2 else (sc.responsible, sc.harmed)
        pauser = (sc.harmed, sc.responsible, sc.co_facilitator)[trial % 3]
        pending = submit(sc, sender, f"message {trial}")
        envelope = parsed(forward_envelope(sc, sc.facilitator, pending))

        def do_forward(pending: Message = pending, envelope: Any = envelope) -> Any:
            return moderation.forward_message(
                actor=sc.facilitator.user, message_id=pending.pk, envelope=envelope
            )

        def do_pause(pauser: Any = pauser) -> Any:
            return case_actions.pause(actor=pauser.user, case_id=sc.case.pk)

        forwarded, paused = racers.race(do_forward, do_pause)
        assert not isinstance(paused, Exception), paused
        pause_seq = (
            AuditEvent.objects.filter(case_id=sc.case.pk, event_type=AuditEventType.CASE_PAUSED)
            .order_by("-seq")
            .values_list("seq", flat=True)
            .first()
        )
        pending.refresh_from_db()
        if isinstance(forwarded, Exception):
            assert isinstance(forwarded, IllegalTransition), forwarded
            assert forwarded.code == "paused"
            assert pending.state == MessageState.SUBMITTED
            assert not Message.objects.filter(derived_from=pending).exists()
            won += 1
        else:
            forward_seq = AuditEvent.objects.get(
                event_type=AuditEventType.MESSAGE_FORWARDED, data__message=str(pending.pk)
            ).seq
            assert forward_seq < pause_seq
            assert pending.state == MessageState.APPROVED
            lost += 1
        case_actions.resume(actor=pauser.user, case_id=sc.case.pk)
    racers.close()
    # Across all trials: every committed forward precedes the pause it raced.
    forwards = AuditEvent.objects.filter(
        case_id=sc.case.pk, event_type=AuditEventType.MESSAGE_FORWARDED
    ).count()
    assert forwards == lost and won + lost == TRIALS
    # Both orders must have happened, or the trials never really overlapped.
    assert won > 0 and lost > 0, (won, lost)
    record_property("pause_won", won)
    record_property("forward_won", lost)
    print(f"pause-versus-forward races: {TRIALS}; pause first {won}, forward first {lost}")


WITHDRAW_TRIALS = 30


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_withdraw_racing_a_forward_never_delivers_after_it() -> None:
    racers = Racers()
    outcomes: Counter[str] = Counter()
    for _ in range(WITHDRAW_TRIALS):
        sc = make_case()
        pending = submit(sc, sc.harmed)
        envelope = parsed(forward_envelope(sc, sc.facilitator, pending))
        forwarded, withdrawn = racers.race(
            partial(
                moderation.forward_message,
                actor=sc.facilitator.user,
                message_id=pending.pk,
                envelope=envelope,
            ),
            partial(case_actions.withdraw, actor=sc.harmed.user, case_id=sc.case.pk),
        )
        assert not isinstance(withdrawn, Exception), withdrawn
        pending.refresh_from_db()
        withdraw_seq = AuditEvent.objects.get(
            case_id=sc.case.pk, event_type=AuditEventType.PARTICIPATION_WITHDRAWN
        ).seq
        if isinstance(forwarded, Exception):
            assert isinstance(forwarded, IllegalTransition), forwarded
            assert pending.state == MessageState.VOIDED
            assert AuditEvent.objects.get(seq=withdraw_seq).data["voided"] == 1
            assert not Message.objects.filter(derived_from=pending).exists()
            outcomes[f"withdraw first ({forwarded.code})"] += 1
        else:
            assert pending.state == MessageState.APPROVED
            forward_seq = AuditEvent.objects.get(
                event_type=AuditEventType.MESSAGE_FORWARDED, data__message=str(pending.pk)
            ).seq
            assert forward_seq < withdraw_seq
            assert AuditEvent.objects.get(seq=withdraw_seq).data["voided"] == 0
            outcomes["forward first"] += 1
    racers.close()
    print(f"withdraw-versus-forward races: {dict(outcomes)}")  # noqa: T201
    # Both orders must have happened, or the trials never really overlapped.
    assert outcomes["forward first"] and outcomes.total() > outcomes["forward first"], outcomes
