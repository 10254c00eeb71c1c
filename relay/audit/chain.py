"""Appending to and verifying the audit chains.

The log is many hash chains, not one: a chain per case (``case:<id>``), one for account
events that name no case (``account``), and the ``legacy`` chain of events written before
chains existed. Every event has a global ``seq`` from a database sequence, which takes no
lock, and a place ``chain_seq`` in its chain; its hash is SHA-256 over the previous hash of
its chain and the canonical JSON of its fields (chain, place and ``seq`` included), and the
chain's head row holds its last place and hash. Appending locks only that head, so writes in
different cases never wait for each other.

Each link also carries a MAC keyed by ``RELAY_AUDIT_KEY`` (relay.audit.keys), which is not
in the database, and each committed event writes a signed checkpoint outside it
(relay.audit.checkpoints); ``manage.py audit_checkpoint`` anchors every chain's head there
too. Someone who can only write to the database can neither recompute a chain after an
edit, nor cut events off a chain's end, nor delete a chain whole, without ``verify_log()``
noticing.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
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
from relay.audit.models import LEGACY_CHAIN, AuditChain, AuditEvent, AuditEventType, chain_for

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
    chain: str | None = None,
    chain_seq: int | None = None,
) -> str:
    """The hash of one link. Without ``chain``, the legacy form (one global chain)."""
    fields: dict[str, Any] = {
        "seq": seq,
        "at": created_at.isoformat(),
        "type": int(event_type),
        "actor": str(actor_id) if actor_id else None,
        "case": str(case_id) if case_id else None,
        "data": data,
    }
    if chain is not None:
        fields |= {"chain": chain, "n": chain_seq}
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def _lock_head(chain: str) -> AuditChain:
    head = AuditChain.objects.select_for_update().filter(chain=chain).first()
    if head is None:
        head, _ = AuditChain.objects.select_for_update().get_or_create(chain=chain)
    return head


# The key of the PostgreSQL advisory lock that account-level actions take exclusively and
# every append takes shared ("RELAY" in ASCII).
GATE_KEY = 0x52454C4159


def _gate(*, exclusive: bool) -> None:
    """A reader-writer lock held to the end of the transaction, in PostgreSQL's lock
    manager (no row, nothing written): appends take it shared, so they never wait for each
    other; ``serialize_with_audit`` takes it exclusive. SQLite needs none: it lets one
    writer at a time into the whole database."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [GATE_KEY])


def serialize_with_audit() -> None:
    """For account-level actions that lock user rows out of the usual order: call it before
    locking any row.

    Lock order (docs/architecture.md, "Locking order"): case rows, then message and
    participation rows, then the one chain head the action appends to (its case's, or the
    account chain for an event of no case), then user rows, once, in id order. An account
    action locks a user row first and may then append to other users' streams (a key change
    told to everyone who relies on the key), or record into a case's chain (an invitation,
    a reset): either order could wait in a cycle with a case action holding those rows. So
    such actions take the audit gate exclusively, which waits for the appends in flight to
    commit and holds new ones back until this action commits; while it is held, no other
    transaction holds a chain head or any user row in an append.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("serialize_with_audit() must run inside the action's transaction")
    _gate(exclusive=True)


def record(
    event_type: AuditEventType,
    *,
    actor: Any | None,
    case: Any | None = None,
    **data: Any,
) -> AuditEvent:
    """Append one event to its chain. Must run inside the caller's transaction, after the
    case's rows and before any user row (unless ``serialize_with_audit`` came first).

    ``data`` must hold identifiers and states only; callers never pass content. Once the
    caller's transaction commits, a signed checkpoint of this event is appended to the
    checkpoint file; a rolled-back event writes none.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record() must run inside the action's transaction")
    actor_id = actor.pk if actor is not None else None
    case_id = case.pk if case is not None else None
    chain = chain_for(case_id)
    _gate(exclusive=False)
    head = _lock_head(chain)
    chain_seq = head.seq + 1
    created_at = timezone.now()
    clean = json.loads(json.dumps(data, default=str))
    # The global seq comes from the sequence on insert; the hash and MAC cover it.
    event = AuditEvent.objects.create(
        chain=chain,
        chain_seq=chain_seq,
        created_at=created_at,
        event_type=event_type,
        actor_id=actor_id,
        case_id=case_id,
        data=clean,
        prev_hash=head.hash,
        hash="",
    )
    event.hash = _event_digest(
        prev_hash=head.hash,
        seq=event.seq,
        created_at=created_at,
        event_type=event_type,
        actor_id=actor_id,
        case_id=case_id,
        data=clean,
        chain=chain,
        chain_seq=chain_seq,
    )
    event.mac = audit_keys().link_mac(
        seq=event.seq, prev_hash=head.hash, hash=event.hash, chain=chain, chain_seq=chain_seq
    )
    AuditEvent.objects.filter(seq=event.seq).update(hash=event.hash, mac=event.mac)
    transaction.on_commit(
        partial(
            write_checkpoint_after_commit,
            chain=chain,
            chain_seq=chain_seq,
            seq=event.seq,
            hash=event.hash,
        )
    )
    head.seq = chain_seq
    head.hash = event.hash
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
    chains_checked: int = 0


@dataclass
class _Walked:
    """One chain as the walk found it."""

    n: int = 0
    hash: str = GENESIS
    last_seq: int = 0
    # The hash of the link the head (read before the walk) pointed at.
    hash_at_head: str | None = None


@dataclass
class _Walk:
    report: ChainReport
    chains: dict[str, _Walked] = field(default_factory=dict)


Index = dict[tuple[str, int], list[Checkpoint]]


def verify_chain() -> ChainReport:
    """The database alone: every link's MAC, every chain and its head."""
    return _walk({}).report


def verify_log() -> ChainReport:
    """Everything ``manage.py verify_audit_log`` checks, reporting the first problem: every
    link's MAC, every chain and its head, then the checkpoint file: every line's signature,
    each checkpointed hash found at its place, and every chain reaching the latest
    checkpoint or anchor of it (a chain deleted whole reaches none)."""
    try:
        checkpoints = read_checkpoints()
        file_problem = ""
    except CheckpointProblem as bad:
        checkpoints, file_problem = None, f"checkpoint file {checkpoint_path()}, {bad}"
    index: Index = {}
    for checkpoint in checkpoints or []:
        index.setdefault((checkpoint.chain, checkpoint.chain_seq), []).append(checkpoint)
    walk = _walk(index)
    report = walk.report
    if not report.ok:
        return report
    checked, chains = report.events_checked, report.chains_checked
    if file_problem:
        return ChainReport(False, checked, None, file_problem, chains_checked=chains)
    if not checkpoints:
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
            chains_checked=chains,
        )
    latest = _latest(checkpoints)
    highest: dict[str, Checkpoint] = {}
    for checkpoint in checkpoints:
        best = highest.get(checkpoint.chain)
        if best is None or checkpoint.chain_seq > best.chain_seq:
            highest[checkpoint.chain] = checkpoint
    short = []
    for chain, checkpoint in highest.items():
        walked = walk.chains.get(chain)
        have = walked.n if walked else 0
        if checkpoint.chain_seq > have:
            short.append((_seq_of(index, chain, have + 1), chain, have, checkpoint))
    if short:
        short.sort(key=lambda s: (s[0] is None, s[0] or 0, s[1]))
        missing, chain, have, checkpoint = short[0]
        what = f"event #{checkpoint.seq}" if checkpoint.seq else f"link {checkpoint.chain_seq}"
        by = "an anchor" if checkpoint.anchor else "a signed checkpoint"
        gone = (
            "the whole chain is gone from the log"
            if have == 0
            else f"the chain ends at link {have}"
        )
        return ChainReport(
            False,
            checked,
            missing,
            f"chain {chain}: {gone}, but {by} records {what} (link {checkpoint.chain_seq}"
            f" of it, line {checkpoint.line}, {checkpoint.at}): events were removed",
            latest,
            chains_checked=chains,
        )
    return ChainReport(True, checked, latest_checkpoint=latest, chains_checked=chains)


def _latest(checkpoints: list[Checkpoint]) -> Checkpoint | None:
    numbered = [c for c in checkpoints if c.seq is not None]
    if numbered:
        return max(numbered, key=lambda c: c.seq or 0)
    return max(checkpoints, key=lambda c: c.line, default=None)


def _seq_of(index: Index, chain: str, chain_seq: int) -> int | None:
    """The global number of a link, from its checkpoint, when the database lost it."""
    for checkpoint in index.get((chain, chain_seq), ()):
        if checkpoint.seq is not None:
            return checkpoint.seq
    return None


def _missing(index: Index, chain: str, chain_seq: int, checked: int, why: str) -> ChainReport:
    seq = _seq_of(index, chain, chain_seq)
    what = f"event #{seq} (link {chain_seq} of chain {chain})" if seq else (
        f"link {chain_seq} of chain {chain}"
    )
    return ChainReport(False, checked, seq, f"{what} is missing: {why}")


def _walk(index: Index) -> _Walk:
    """Walk the whole log in ``seq`` order, every chain at once; report the first link that
    does not hold.

    The heads are read before the events, so an event committed meanwhile is walked but
    its head may be older: a head may point at any link the walk found, never past it."""
    keys = audit_keys()
    heads = {h.chain: (h.seq, h.hash) for h in AuditChain.objects.all()}
    chains: dict[str, _Walked] = {}
    checked = 0

    def broken(seq: int | None, problem: str) -> _Walk:
        return _Walk(ChainReport(False, checked, seq, problem), chains)

    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        walked = chains.setdefault(event.chain, _Walked())
        legacy = event.chain == LEGACY_CHAIN
        if event.chain_seq > walked.n + 1:
            missing = _seq_of(index, event.chain, walked.n + 1)
            if missing is None or missing > event.seq:
                return broken(
                    event.seq,
                    f"link {event.chain_seq} of chain {event.chain} comes where link "
                    f"{walked.n + 1} should (deleted, moved or renumbered)",
                )
            report = _missing(
                index,
                event.chain,
                walked.n + 1,
                checked,
                f"the chain goes on at link {event.chain_seq} with event #{event.seq}",
            )
            return _Walk(report, chains)
        if event.chain_seq <= walked.n:
            return broken(
                event.seq,
                f"link {event.chain_seq} of chain {event.chain} appears twice (moved from "
                "another place or chain, or copied)",
            )
        if legacy and event.seq != event.chain_seq:
            return broken(event.seq, "a legacy event was renumbered")
        if event.seq <= walked.last_seq:  # pragma: no cover - ordered by seq
            return broken(event.seq, "events of the chain are out of order")
        if event.prev_hash != walked.hash:
            return broken(event.seq, "previous-hash link does not match (reordered?)")
        digest = _event_digest(
            prev_hash=walked.hash,
            seq=event.seq,
            created_at=event.created_at,
            event_type=event.event_type,
            actor_id=event.actor_id,
            case_id=event.case_id,
            data=event.data,
            chain=None if legacy else event.chain,
            chain_seq=None if legacy else event.chain_seq,
        )
        if digest != event.hash:
            return broken(event.seq, "contents do not match the hash")
        if not keys.link_mac_holds(
            seq=event.seq,
            prev_hash=walked.hash,
            hash=digest,
            mac=event.mac,
            chain=None if legacy else event.chain,
            chain_seq=None if legacy else event.chain_seq,
        ):
            return broken(
                event.seq,
                "the link's MAC does not match (edited and rehashed without RELAY_AUDIT_KEY, "
                "moved from another chain, or verified with a different key)",
            )
        for checkpoint in index.get((event.chain, event.chain_seq), ()):
            if checkpoint.hash != digest or checkpoint.seq not in (None, event.seq):
                return broken(
                    event.seq,
                    f"the event differs from the signed checkpoint of link {event.chain_seq} "
                    f"of chain {event.chain} (line {checkpoint.line}, {checkpoint.at}): the log "
                    "was rewritten",
                )
        walked.n, walked.hash, walked.last_seq = event.chain_seq, digest, event.seq
        if heads.get(event.chain, (0, ""))[0] == event.chain_seq:
            walked.hash_at_head = digest
        checked += 1
    late = set(chains) - set(heads)
    if late:
        # Chains begun after the heads were read: their heads must exist by now.
        heads |= {
            h.chain: (h.seq, h.hash) for h in AuditChain.objects.filter(chain__in=late)
        }
        for chain in late & set(heads):
            walked = chains[chain]
            if heads[chain][0] == walked.n:
                walked.hash_at_head = walked.hash
    for chain in sorted(set(heads) | set(chains)):
        walked = chains.get(chain, _Walked())
        if chain not in heads:
            return broken(
                walked.last_seq, f"chain {chain} has events but no head row (deleted?)"
            )
        head_seq, head_hash = heads[chain]
        if head_seq > walked.n:
            report = _missing(
                index,
                chain,
                walked.n + 1,
                checked,
                f"the chain ends before its recorded head, link {head_seq} (truncated?)",
            )
            return _Walk(report, chains)
        if head_seq and walked.hash_at_head != head_hash:
            return broken(
                walked.last_seq,
                f"the head of chain {chain} does not match its link {head_seq}",
            )
    return _Walk(ChainReport(True, checked, chains_checked=len(chains)), chains)
