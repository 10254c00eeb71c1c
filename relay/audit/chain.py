"""Appending to and verifying the audit chain.

Each event's hash is SHA-256 over the previous hash and the canonical JSON of the event's
fields; the head row holds the last sequence number and hash. Each link also carries a MAC
keyed by ``RELAY_AUDIT_KEY`` (relay.audit.keys), which is not in the database, and each
committed event writes a signed checkpoint outside it (relay.audit.checkpoints): someone who
can only write to the database can neither recompute the chain after an edit nor cut events
off the end without ``verify_log()`` noticing.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from relay.audit.checkpoints import (
    Checkpoint,
    CheckpointProblem,
    checkpoint_path,
    read_checkpoints,
    write_checkpoint_after_commit,
)
from relay.audit.keys import audit_keys
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

    ``data`` must hold identifiers and states only; callers never pass content. Once the
    caller's transaction commits, a signed checkpoint of this event is appended to the
    checkpoint file; a rolled-back event writes none.
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
        mac=audit_keys().link_mac(seq=seq, prev_hash=head.hash, hash=digest),
    )
    transaction.on_commit(partial(write_checkpoint_after_commit, seq=seq, hash=digest))
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
    latest_checkpoint: Checkpoint | None = None
    # Set when the log holds events but the checkpoint file is missing or empty.
    no_checkpoints: bool = False


def verify_chain() -> ChainReport:
    """The database alone: every link's MAC, the hash chain and the head."""
    return _walk({})


def verify_log() -> ChainReport:
    """Everything ``manage.py verify_audit_log`` checks, reporting the first problem: every
    link's MAC, the chain, the head, then the checkpoint file: every line's signature, each
    checkpointed hash found at its seq, and the log reaching the latest checkpoint."""
    try:
        checkpoints = read_checkpoints()
        file_problem = ""
    except CheckpointProblem as bad:
        checkpoints, file_problem = None, f"checkpoint file {checkpoint_path()}, {bad}"
    by_seq: dict[int, list[Checkpoint]] = {}
    for checkpoint in checkpoints or []:
        by_seq.setdefault(checkpoint.seq, []).append(checkpoint)
    report = _walk(by_seq)
    if not report.ok:
        return report
    checked = report.events_checked
    if file_problem:
        return ChainReport(False, checked, None, file_problem)
    latest = max(checkpoints or [], key=lambda c: c.seq, default=None)
    if latest is None:
        if checked == 0:
            return report
        return ChainReport(
            False,
            checked,
            None,
            f"the log holds {checked} events but no checkpoint of them in "
            f"{checkpoint_path()}: the file was deleted or never written, so events cut off "
            "the end would not show",
            no_checkpoints=True,
        )
    if latest.seq > checked:
        return ChainReport(
            False,
            checked,
            checked + 1,
            f"the log ends at event #{checked} but a signed checkpoint records event "
            f"#{latest.seq} (line {latest.line}, {latest.at}): events were removed",
            latest,
        )
    return ChainReport(True, checked, latest_checkpoint=latest)


def _walk(checkpoints: dict[int, list[Checkpoint]]) -> ChainReport:
    """Walk the whole log in order; report the first link that does not hold."""
    keys = audit_keys()
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
        if not keys.link_mac_holds(seq=event.seq, prev_hash=prev_hash, hash=digest, mac=event.mac):
            return ChainReport(
                False,
                checked,
                event.seq,
                "the link's MAC does not match (edited and rehashed without RELAY_AUDIT_KEY, "
                "or verified with a different key)",
            )
        for checkpoint in checkpoints.get(event.seq, ()):
            if checkpoint.hash != digest:
                return ChainReport(
                    False,
                    checked,
                    event.seq,
                    f"the hash differs from the signed checkpoint (line {checkpoint.line}, "
                    f"{checkpoint.at}): the log was rewritten",
                )
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
