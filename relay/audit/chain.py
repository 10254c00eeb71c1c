"""Appending to and verifying the audit chain.

Each event's hash is SHA-256 over the previous hash and the canonical JSON of the event's
fields; the head row holds the last sequence number and hash, so truncating the log breaks
the chain too.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from relay.audit.models import AuditChainHead, AuditEvent, AuditEventType

GENESIS = "0" * 64


def _event_digest(
    *,
    prev_hash: str,
    seq: int,
    created_at: datetime,
    event_type: int,
    actor_id: uuid.UUID | None,
    case_id: uuid.UUID | None,
    data: dict[str, Any],
) -> str:
    body = json.dumps(
        {
            "seq": seq,
            "at": created_at.isoformat(),
            "type": int(event_type),
            "actor": str(actor_id) if actor_id else None,
            "case": str(case_id) if case_id else None,
            "data": data,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def serialize_with_audit() -> None:
    """Take the audit chain lock now, for actions that must lock user rows themselves.

    Lock order everywhere: case row, then the audit chain head, then user rows in id order.
    Every action appends its audit event before it appends stream events, so user rows are
    only ever locked while holding the head; an action that needs a user row earlier calls
    this first, or two actions could wait on each other.
    """
    AuditChainHead.objects.select_for_update().get_or_create(id=1)


def record(
    event_type: AuditEventType,
    *,
    actor: Any | None,
    case: Any | None = None,
    **data: Any,
) -> AuditEvent:
    """Append one event. Must run inside the caller's transaction, as its last lock.

    ``data`` must hold identifiers and states only; callers never pass content.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record() must run inside the action's transaction")
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
    seq = head.seq + 1
    created_at = timezone.now()
    actor_id = actor.pk if actor is not None else None
    case_id = case.pk if case is not None else None
    clean = json.loads(json.dumps(data, default=str))
    digest = _event_digest(
        prev_hash=head.hash,
        seq=seq,
        created_at=created_at,
        event_type=event_type,
        actor_id=actor_id,
        case_id=case_id,
        data=clean,
    )
    event = AuditEvent.objects.create(
        seq=seq,
        created_at=created_at,
        event_type=event_type,
        actor_id=actor_id,
        case_id=case_id,
        data=clean,
        prev_hash=head.hash,
        hash=digest,
    )
    head.seq = seq
    head.hash = digest
    head.save(update_fields=["seq", "hash"])
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events_checked: int
    first_broken_seq: int | None = None
    problem: str = ""


def verify_chain() -> ChainReport:
    """Walk the whole log in order; report the first link that does not hold."""
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return ChainReport(False, checked, expected_seq, f"event #{expected_seq} is missing")
        if event.prev_hash != prev_hash:
            return ChainReport(
                False, checked, event.seq, "previous-hash link does not match (reordered?)"
            )
        digest = _event_digest(
            prev_hash=prev_hash,
            seq=event.seq,
            created_at=event.created_at,
            event_type=event.event_type,
            actor_id=event.actor_id,
            case_id=event.case_id,
            data=event.data,
        )
        if digest != event.hash:
            return ChainReport(False, checked, event.seq, "contents do not match the hash")
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(id=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != checked or head_hash != prev_hash:
        return ChainReport(
            False, checked, checked + 1, "the log ends before the recorded head (truncated?)"
        )
    return ChainReport(True, checked)
