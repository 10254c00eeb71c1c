"""Invariant 5, second half: ``manage.py verify_audit_log`` passes on the log the actions
wrote, and fails, naming the first broken event, after any row is edited, deleted, cut off
the end or moved (test_anchored_log.py covers a writer who also rehashes the chain and
moves the head). The tampering below is done with raw SQL-level updates on purpose: it is
what an insider with database access would do.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core.management import CommandError, call_command
from django.test import TestCase

from relay.audit.chain import record
from relay.audit.models import AuditChain, AuditEvent, AuditEventType
from relay.cases import actions as case_actions
from tests.factories import make_case
from tests.moderation.helpers import forward, submit

FIELDS = (
    "chain",
    "chain_seq",
    "created_at",
    "event_type",
    "actor_id",
    "case_id",
    "data",
    "prev_hash",
    "hash",
    "mac",
)


def nth(position: int) -> int:
    """The ``seq`` of the log's event at this position (1 = the first): ``seq`` comes from a
    database sequence, which need not start at 1."""
    return list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))[position - 1]


def build_log() -> int:
    """A real log from real actions, committed (so each event's checkpoint is written);
    returns how many events it holds."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        sc = make_case()
        forward(sc, submit(sc, sc.harmed))
        case_actions.pause(actor=sc.responsible.user, case_id=sc.case.pk)
        case_actions.resume(actor=sc.responsible.user, case_id=sc.case.pk)
    count = AuditEvent.objects.count()
    assert count >= 12
    return count


def broken_at(capsys: pytest.CaptureFixture[str]) -> int:
    with pytest.raises(CommandError) as failed:
        call_command("verify_audit_log")
    found = re.search(r"#(\d+)", str(failed.value))
    assert found, str(failed.value)
    return int(found.group(1))


@pytest.mark.django_db
def test_intact_log_verifies(capsys: pytest.CaptureFixture[str]) -> None:
    count = build_log()
    call_command("verify_audit_log")
    assert f"{count} events verified" in capsys.readouterr().out


@pytest.mark.django_db
def test_empty_log_verifies(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("verify_audit_log")
    assert "0 events verified" in capsys.readouterr().out


def edit_data(seq: int) -> None:
    event = AuditEvent.objects.get(seq=seq)
    AuditEvent.objects.filter(seq=seq).update(data={**event.data, "state": "approved"})


def edit_type(seq: int) -> None:
    AuditEvent.objects.filter(seq=seq).update(event_type=AuditEventType.CASE_RESUMED)


def edit_actor(seq: int) -> None:
    current = AuditEvent.objects.get(seq=seq).actor_id
    other = AuditEvent.objects.exclude(actor_id=None).exclude(actor_id=current).first()
    assert other is not None
    AuditEvent.objects.filter(seq=seq).update(actor_id=other.actor_id)


def edit_time(seq: int) -> None:
    event = AuditEvent.objects.get(seq=seq)
    AuditEvent.objects.filter(seq=seq).update(created_at=event.created_at.replace(year=2020))


def edit_hash(seq: int) -> None:
    AuditEvent.objects.filter(seq=seq).update(hash="f" * 64)


TAMPERING: dict[str, Callable[[int], None]] = {
    "data": edit_data,
    "event type": edit_type,
    "actor": edit_actor,
    "time": edit_time,
    "stored hash": edit_hash,
}


@pytest.mark.django_db
@pytest.mark.parametrize("what", list(TAMPERING))
def test_editing_a_row_fails_at_that_row(what: str, capsys: pytest.CaptureFixture[str]) -> None:
    count = build_log()
    middle = nth(count // 2)
    TAMPERING[what](middle)
    assert broken_at(capsys) == middle


@pytest.mark.django_db
def test_editing_a_row_and_rehashing_it_fails_at_that_row(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from relay.audit.chain import _event_digest

    count = build_log()
    middle = nth(count // 2)
    event = AuditEvent.objects.get(seq=middle)
    data = {**event.data, "forged": True}
    digest = _event_digest(
        prev_hash=event.prev_hash,
        seq=event.seq,
        created_at=event.created_at,
        event_type=event.event_type,
        actor_id=event.actor_id,
        case_id=event.case_id,
        data=data,
        chain=event.chain,
        chain_seq=event.chain_seq,
    )
    AuditEvent.objects.filter(seq=middle).update(data=data, hash=digest)
    # The new hash no longer matches the link's MAC (nor, without the MAC, the next link).
    assert broken_at(capsys) == middle


@pytest.mark.django_db
def test_deleting_a_middle_row_fails_at_the_gap(capsys: pytest.CaptureFixture[str]) -> None:
    count = build_log()
    middle = nth(count // 2)
    AuditEvent.objects.filter(seq=middle).delete()
    assert broken_at(capsys) == middle


@pytest.mark.django_db
def test_deleting_the_first_row_fails_at_one(capsys: pytest.CaptureFixture[str]) -> None:
    build_log()
    first = nth(1)
    AuditEvent.objects.filter(seq=first).delete()
    assert broken_at(capsys) == first


@pytest.mark.django_db
def test_truncating_the_last_row_fails(capsys: pytest.CaptureFixture[str]) -> None:
    count = build_log()
    last = nth(count)
    AuditEvent.objects.filter(seq=last).delete()
    assert broken_at(capsys) == last


@pytest.mark.django_db
def test_truncating_several_rows_fails_at_the_first_missing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    count = build_log()
    first_cut = nth(count - 2)
    AuditEvent.objects.filter(seq__gte=first_cut).delete()
    assert broken_at(capsys) == first_cut


@pytest.mark.django_db
def test_swapping_two_rows_fails_at_the_first_of_them(capsys: pytest.CaptureFixture[str]) -> None:
    count = build_log()
    a, b = nth(count // 2), nth(count // 2 + 1)
    first, second = AuditEvent.objects.get(seq=a), AuditEvent.objects.get(seq=b)
    AuditEvent.objects.filter(seq=a).update(**{f: getattr(second, f) for f in FIELDS})
    AuditEvent.objects.filter(seq=b).update(**{f: getattr(first, f) for f in FIELDS})
    assert broken_at(capsys) == a


@pytest.mark.django_db
def test_renumbering_rows_fails(capsys: pytest.CaptureFixture[str]) -> None:
    # Moving the last event to the front: its seq is part of its hash.
    count = build_log()
    first = nth(1)
    last = AuditEvent.objects.get(seq=nth(count))
    AuditEvent.objects.filter(seq=last.seq).delete()
    AuditEvent.objects.filter(seq=first).delete()
    AuditEvent.objects.create(seq=first, **{f: getattr(last, f) for f in FIELDS})
    assert broken_at(capsys) == first


@pytest.mark.django_db
def test_appending_behind_the_head_fails(capsys: pytest.CaptureFixture[str]) -> None:
    count = build_log()
    last = AuditEvent.objects.get(seq=nth(count))
    AuditEvent.objects.create(seq=last.seq + 1, **{f: getattr(last, f) for f in FIELDS})
    assert broken_at(capsys) == last.seq + 1


@pytest.mark.django_db
def test_the_log_keeps_verifying_as_actions_append(capsys: pytest.CaptureFixture[str]) -> None:
    count = build_log()
    from django.db import transaction

    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        record(AuditEventType.CASE_CREATED, actor=None, note="extra")
    call_command("verify_audit_log")
    event = AuditEvent.objects.get(seq=nth(count + 1))
    head = AuditChain.objects.get(chain=event.chain)
    assert (head.seq, head.hash) == (event.chain_seq, event.hash)
    assert AuditEvent.objects.count() == count + 1
    assert f"{count + 1} events verified" in capsys.readouterr().out
