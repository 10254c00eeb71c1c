"""Signed checkpoints of the audit chains, in an append-only file outside the database.

Each line is one JSON object, signed with the checkpoint key (relay.audit.keys):

- a checkpoint, ``{"v": 2, "chain": c, "n": k, "seq": s, "hash": "<hex>", "at": "<ISO time>",
  "sig": "<base64 Ed25519>"}``: link ``k`` of chain ``c`` was event ``s`` and had this hash.
  ``record()`` writes one after its transaction commits.
- an anchor, ``{"v": 2, "heads": [[c, k, "<hex>"], ...], "at": …, "sig": …}``: these chains
  had these heads. ``manage.py audit_checkpoint`` writes anchors for every chain whose head
  moved since the last anchor (at most ``ANCHOR_HEADS_PER_LINE`` heads a line), so the file
  names every chain the log held, and a chain deleted whole is noticed even if its own
  checkpoint lines were lost.
- a legacy checkpoint, ``{"v": 1, "seq": n, "hash": …, "at": …, "sig": …}``, from before
  chains existed: event ``n`` of the legacy chain.

Several Daphne processes append to the same file: each append is a single ``write()`` on a
descriptor opened with ``O_APPEND``, so lines stay whole; they may land out of order, which
the verifier does not mind.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from relay.audit.keys import (
    anchor_message,
    audit_keys,
    chain_checkpoint_message,
    checkpoint_message,
)

FILE_NAME = "checkpoints.log"
LEGACY_CHAIN = "legacy"
ANCHOR_HEADS_PER_LINE = 100
MAX_CHAIN_ID = 48

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Checkpoint:
    """Link ``chain_seq`` of ``chain`` had ``hash``; ``seq`` is the event's global number
    (None in an anchor, which names heads only)."""

    line: int
    chain: str
    chain_seq: int
    seq: int | None
    hash: str
    at: str
    anchor: bool = False


class CheckpointProblem(Exception):
    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}" if line else problem)
        self.line = line
        self.problem = problem


def checkpoint_path() -> Path:
    return Path(settings.RELAY_AUDIT_CHECKPOINT_DIR) / FILE_NAME


def _line(entry: dict[str, object]) -> str:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"))


def _append(lines: list[str]) -> None:
    """One ``write()`` of whole lines. Raises ``OSError`` if the directory cannot be
    written."""
    path = checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, "".join(line + "\n" for line in lines).encode())
    finally:
        os.close(fd)


def write_checkpoint(*, chain: str, chain_seq: int, seq: int, hash: str) -> None:
    """Append one signed checkpoint line. Raises ``OSError`` if the directory cannot be
    written."""
    at = timezone.now().isoformat()
    sig = audit_keys().sign(
        chain_checkpoint_message(chain=chain, chain_seq=chain_seq, seq=seq, hash=hash, at=at)
    )
    entry = {"v": 2, "chain": chain, "n": chain_seq, "seq": seq, "hash": hash, "at": at}
    _append([_line({**entry, "sig": sig})])


def write_anchor(heads: list[tuple[str, int, str]]) -> int:
    """Append signed anchor lines for these chain heads ``(chain, chain_seq, hash)``, in
    chain order; returns how many lines. Raises ``OSError`` if the directory cannot be
    written."""
    at = timezone.now().isoformat()
    keys = audit_keys()
    ordered = sorted(heads)
    lines = []
    for start in range(0, len(ordered), ANCHOR_HEADS_PER_LINE):
        part = [list(head) for head in ordered[start : start + ANCHOR_HEADS_PER_LINE]]
        sig = keys.sign(anchor_message(heads=_line({"heads": part}), at=at))
        lines.append(_line({"v": 2, "heads": part, "at": at, "sig": sig}))
    if lines:
        _append(lines)
    return len(lines)


def write_checkpoint_after_commit(*, chain: str, chain_seq: int, seq: int, hash: str) -> None:
    """The after-commit hook of ``record()``: the action has committed, so a checkpoint that
    cannot be written is logged, never raised into the request; the verifier then finds the
    event without a checkpoint."""
    try:
        write_checkpoint(chain=chain, chain_seq=chain_seq, seq=seq, hash=hash)
    except OSError as error:
        logger.error("audit checkpoint for event #%d not written: %s", seq, error.strerror)


def _positive(value: object) -> bool:
    return type(value) is int and value >= 1


def _chain_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_CHAIN_ID


def _parse(number: int, raw: bytes) -> tuple[list[Checkpoint], bytes, str] | None:
    """The checkpoints one line states, what its signature covers and the signature; None
    if the line is malformed."""
    try:
        entry = json.loads(raw)
        version, at, sig = entry.get("v"), entry["at"], entry["sig"]
        if not (isinstance(at, str) and isinstance(sig, str)):
            return None
        if version == 1:
            seq, hash = entry["seq"], entry["hash"]
            if not (_positive(seq) and isinstance(hash, str)):
                return None
            found = [Checkpoint(number, LEGACY_CHAIN, seq, seq, hash, at)]
            return found, checkpoint_message(seq=seq, hash=hash, at=at), sig
        if version == 2 and "heads" in entry:
            heads = entry["heads"]
            if not (isinstance(heads, list) and heads):
                return None
            found = []
            for head in heads:
                if not (isinstance(head, list) and len(head) == 3):
                    return None
                chain, chain_seq, hash = head
                if not (_chain_id(chain) and _positive(chain_seq) and isinstance(hash, str)):
                    return None
                found.append(Checkpoint(number, chain, chain_seq, None, hash, at, anchor=True))
            return found, anchor_message(heads=_line({"heads": heads}), at=at), sig
        if version == 2:
            chain, chain_seq, seq, hash = entry["chain"], entry["n"], entry["seq"], entry["hash"]
            if not (
                _chain_id(chain) and _positive(chain_seq) and _positive(seq)
                and isinstance(hash, str)
            ):
                return None
            message = chain_checkpoint_message(
                chain=chain, chain_seq=chain_seq, seq=seq, hash=hash, at=at
            )
            return [Checkpoint(number, chain, chain_seq, seq, hash, at)], message, sig
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return None


def read_checkpoints() -> list[Checkpoint] | None:
    """Every checkpoint the file states (an anchor line states several), each line's
    signature checked; ``None`` if there is no file. Raises ``CheckpointProblem`` naming the
    first line that is malformed or not signed by this relay's key."""
    path = checkpoint_path()
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise CheckpointProblem(0, f"cannot be read ({error.strerror})") from error
    keys = audit_keys()
    found: list[Checkpoint] = []
    for number, raw in enumerate(text.split(b"\n"), start=1):
        if not raw:
            continue
        parsed = _parse(number, raw)
        if parsed is None:
            raise CheckpointProblem(number, "malformed checkpoint line")
        checkpoints, message, sig = parsed
        if not keys.signature_holds(message, sig):
            raise CheckpointProblem(
                number,
                "signature does not verify (a forged or edited line, or a different "
                "RELAY_AUDIT_KEY)",
            )
        found.extend(checkpoints)
    return found
