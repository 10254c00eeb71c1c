"""Signed checkpoints of the audit chain, in an append-only file outside the database.

Each line is one JSON object ``{"v": 1, "seq": n, "hash": "<hex>", "at": "<ISO time>",
"sig": "<base64 Ed25519>"}``: event ``n`` of the log had this chain hash when the line was
written. ``record()`` writes one after its transaction commits; ``manage.py audit_checkpoint``
writes one for the current head. Several Daphne processes append to the same file: each line
is a single ``write()`` on a descriptor opened with ``O_APPEND``, far below the size at which
such writes could interleave, so lines stay whole; they may land out of ``seq`` order, which
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

from relay.audit.keys import audit_keys

FILE_NAME = "checkpoints.log"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Checkpoint:
    line: int
    seq: int
    hash: str
    at: str


class CheckpointProblem(Exception):
    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}" if line else problem)
        self.line = line
        self.problem = problem


def checkpoint_path() -> Path:
    return Path(settings.RELAY_AUDIT_CHECKPOINT_DIR) / FILE_NAME


def write_checkpoint(*, seq: int, hash: str) -> None:
    """Append one signed line. Raises ``OSError`` if the directory cannot be written."""
    at = timezone.now().isoformat()
    sig = audit_keys().sign_checkpoint(seq=seq, hash=hash, at=at)
    line = json.dumps(
        {"v": 1, "seq": seq, "hash": hash, "at": at, "sig": sig},
        sort_keys=True,
        separators=(",", ":"),
    )
    path = checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def write_checkpoint_after_commit(*, seq: int, hash: str) -> None:
    """The after-commit hook of ``record()``: the action has committed, so a checkpoint that
    cannot be written is logged, never raised into the request; the verifier then finds the
    event without a checkpoint."""
    try:
        write_checkpoint(seq=seq, hash=hash)
    except OSError as error:
        logger.error("audit checkpoint for event #%d not written: %s", seq, error.strerror)


def read_checkpoints() -> list[Checkpoint] | None:
    """Every line of the checkpoint file, each signature checked; ``None`` if there is no
    file. Raises ``CheckpointProblem`` naming the first line that is malformed or not
    signed by this relay's key."""
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
        try:
            entry = json.loads(raw)
            seq, hash, at, sig = entry["seq"], entry["hash"], entry["at"], entry["sig"]
            well_formed = (
                entry.get("v") == 1
                and type(seq) is int
                and seq >= 1
                and all(isinstance(v, str) for v in (hash, at, sig))
            )
        except (ValueError, TypeError, KeyError):
            well_formed = False
        if not well_formed:
            raise CheckpointProblem(number, "malformed checkpoint line")
        if not keys.checkpoint_signature_holds(seq=seq, hash=hash, at=at, sig=sig):
            raise CheckpointProblem(
                number,
                "signature does not verify (a forged or edited line, or a different "
                "RELAY_AUDIT_KEY)",
            )
        found.append(Checkpoint(line=number, seq=seq, hash=hash, at=at))
    return found
