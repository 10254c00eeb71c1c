"""The audit log is anchored outside the database: a MAC over each link, keyed by
RELAY_AUDIT_KEY (never in the database), and signed checkpoints in an append-only file.

Each test here does what someone who can write to the database (and, where said, to the
checkpoint directory) would do, and asserts that ``manage.py verify_audit_log`` refuses the
result, naming the first problem. A hash chain alone lets such a writer cut the end off and
move the head, empty the log, or edit an event and recompute every hash after it.
"""

from __future__ import annotations

import base64
import importlib
import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import TestCase
from nacl.signing import SigningKey

from relay.audit.chain import _event_digest, record
from relay.audit.models import AuditChain, AuditEvent, AuditEventType

CHECKPOINT_FILE = "checkpoints.log"


def build_log(case_id: uuid.UUID | None = None) -> int:
    """A log appended through ``record()`` to one case's chain, one committed transaction per
    event as actions do, so each event's after-commit checkpoint is written."""
    case_id, actor_id = case_id or uuid.uuid4(), uuid.uuid4()
    with TestCase.captureOnCommitCallbacks(execute=True):
        for step in range(12):
            with transaction.atomic():
                record(
                    AuditEventType.MESSAGE_SUBMITTED if step % 2 else AuditEventType.CASE_PAUSED,
                    actor=Stub(actor_id),
                    case=Stub(case_id),
                    state="pending",
                    step=step,
                )
    return AuditEvent.objects.count()


@dataclass(frozen=True)
class Stub:
    pk: uuid.UUID


def verify_fails() -> str:
    with pytest.raises(CommandError) as failed:
        call_command("verify_audit_log")
    return str(failed.value)


def broken_at(message: str) -> int:
    found = re.search(r"event #(\d+)", message)
    assert found, message
    return int(found.group(1))


def nth(position: int) -> int:
    """The ``seq`` of the log's event at this position (1 = the first): ``seq`` comes from a
    database sequence, which need not start at 1."""
    return list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))[position - 1]


def build_legacy_log(checkpoint_dir: Path, count: int) -> int:
    """The log as the single global chain wrote it (now the legacy chain): events 1..count
    hashed and MACed in the legacy form, the head, and a v1 checkpoint line per event."""
    from django.core.management.color import no_style
    from django.db import connection
    from django.utils import timezone

    from relay.audit.keys import audit_keys

    keys, prev, lines = audit_keys(), "0" * 64, []
    case_id = uuid.uuid4()
    for seq in range(1, count + 1):
        at = timezone.now()
        data = {"step": seq}
        digest = _event_digest(
            prev_hash=prev,
            seq=seq,
            created_at=at,
            event_type=AuditEventType.CASE_PAUSED,
            actor_id=None,
            case_id=case_id,
            data=data,
        )
        AuditEvent.objects.create(
            seq=seq,
            chain="legacy",
            chain_seq=seq,
            created_at=at,
            event_type=AuditEventType.CASE_PAUSED,
            case_id=case_id,
            data=data,
            prev_hash=prev,
            hash=digest,
            mac=keys.link_mac(seq=seq, prev_hash=prev, hash=digest),
        )
        stamp = at.isoformat()
        sig = keys.sign_checkpoint(seq=seq, hash=digest, at=stamp)
        lines.append(json.dumps({"v": 1, "seq": seq, "hash": digest, "at": stamp, "sig": sig}))
        prev = digest
    AuditChain.objects.create(chain="legacy", seq=count, hash=prev)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [AuditEvent]):
            cursor.execute(sql)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    (checkpoint_dir / CHECKPOINT_FILE).write_text("\n".join(lines) + "\n")
    return count


def rechain_from(seq: int) -> None:
    """Recompute every hash of the event's chain from ``seq`` on and move the chain's head:
    all a chain alone asks for."""
    chain = AuditEvent.objects.get(seq=seq).chain
    links = AuditEvent.objects.filter(chain=chain)
    before = links.filter(seq__lt=seq).order_by("-seq").first()
    prev = before.hash if before else "0" * 64
    for event in links.filter(seq__gte=seq).order_by("seq"):
        digest = _event_digest(
            prev_hash=prev,
            seq=event.seq,
            created_at=event.created_at,
            event_type=event.event_type,
            actor_id=event.actor_id,
            case_id=event.case_id,
            data=event.data,
            chain=event.chain,
            chain_seq=event.chain_seq,
        )
        AuditEvent.objects.filter(seq=event.seq).update(prev_hash=prev, hash=digest)
        prev = digest
    last = links.order_by("-seq").first()
    AuditChain.objects.filter(chain=chain).update(
        seq=last.chain_seq if last else 0, hash=last.hash if last else "0" * 64
    )


# The three tamperings a database writer can do to a bare hash chain.


@pytest.mark.django_db
def test_dropping_the_last_rows_and_moving_the_head_fails(checkpoint_dir: Path) -> None:
    count = build_log()
    keep = count - 3
    AuditEvent.objects.filter(seq__gt=nth(keep)).delete()
    kept = AuditEvent.objects.get(seq=nth(keep))
    AuditChain.objects.filter(chain=kept.chain).update(seq=kept.chain_seq, hash=kept.hash)
    message = verify_fails()
    assert broken_at(message) == kept.seq + 1
    assert f"checkpoint records event #{kept.seq + 3}" in message


@pytest.mark.django_db
def test_deleting_every_event_and_the_head_fails(checkpoint_dir: Path) -> None:
    count = build_log()
    first, last = nth(1), nth(count)
    AuditEvent.objects.all().delete()
    AuditChain.objects.all().delete()
    message = verify_fails()
    assert broken_at(message) == first
    assert f"checkpoint records event #{last}" in message


@pytest.mark.django_db
def test_editing_an_event_and_recomputing_the_chain_fails_at_that_event(
    checkpoint_dir: Path,
) -> None:
    count = build_log()
    middle = nth(count // 2)
    event = AuditEvent.objects.get(seq=middle)
    AuditEvent.objects.filter(seq=middle).update(data={**event.data, "state": "approved"})
    rechain_from(middle)
    message = verify_fails()
    assert broken_at(message) == middle
    assert "MAC" in message


@pytest.mark.django_db
def test_recomputing_the_macs_with_a_guessed_key_fails_at_the_edited_event(
    checkpoint_dir: Path,
) -> None:
    from relay.audit.keys import AuditKeys

    count = build_log()
    middle = nth(count // 2)
    event = AuditEvent.objects.get(seq=middle)
    AuditEvent.objects.filter(seq=middle).update(data={**event.data, "state": "approved"})
    rechain_from(middle)
    guessed = AuditKeys.from_secret("a guess at the relay's audit key, which is not it")
    for e in AuditEvent.objects.filter(seq__gte=middle):
        mac = guessed.link_mac(
            seq=e.seq, prev_hash=e.prev_hash, hash=e.hash, chain=e.chain, chain_seq=e.chain_seq
        )
        AuditEvent.objects.filter(seq=e.seq).update(mac=mac)
    assert broken_at(verify_fails()) == middle


# The checkpoint file and the key.


def forged_line(*, seq: int, hash: str) -> str:
    """A checkpoint in the right format, signed by a key that is not the relay's."""
    at = "2026-12-01T12:00:00+00:00"
    signed = f"relay-audit-checkpoint-v1\n{seq}\n{hash}\n{at}".encode()
    sig = SigningKey.generate().sign(signed).signature
    return json.dumps(
        {"v": 1, "seq": seq, "hash": hash, "at": at, "sig": base64.b64encode(sig).decode()},
        sort_keys=True,
        separators=(",", ":"),
    )


@pytest.mark.django_db
def test_a_forged_checkpoint_line_fails(checkpoint_dir: Path) -> None:
    count = build_log()
    path = checkpoint_dir / CHECKPOINT_FILE
    lines = path.read_text().splitlines() if path.exists() else []
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        f.write(forged_line(seq=count, hash="e" * 64) + "\n")
    message = verify_fails()
    assert f"line {len(lines) + 1}" in message
    assert "signature" in message


@pytest.mark.django_db
def test_an_edited_checkpoint_line_fails(checkpoint_dir: Path) -> None:
    count = build_log()
    path = checkpoint_dir / CHECKPOINT_FILE
    lines = path.read_text().splitlines()
    assert len(lines) == count
    # Claim the last checkpoint was taken earlier, to make room for a truncation.
    last = json.loads(lines[-1])
    last["seq"] = count - 3
    lines[-1] = json.dumps(last, sort_keys=True, separators=(",", ":"))
    path.write_text("\n".join(lines) + "\n")
    message = verify_fails()
    assert f"line {count}" in message and "signature" in message


@pytest.mark.django_db
def test_a_malformed_checkpoint_line_fails(checkpoint_dir: Path) -> None:
    build_log()
    with (checkpoint_dir / CHECKPOINT_FILE).open("a") as f:
        f.write("not a checkpoint\n")
    assert "malformed" in verify_fails()


@pytest.mark.django_db
def test_a_deleted_checkpoint_file_fails(checkpoint_dir: Path) -> None:
    # Without the file nothing rules out that events were cut off the end, so a log that
    # holds events but no checkpoint of them is reported, not passed.
    count = build_log()
    (checkpoint_dir / CHECKPOINT_FILE).unlink(missing_ok=True)
    message = verify_fails()
    assert f"{count} events but no checkpoint" in message


@pytest.mark.django_db
def test_verifying_with_a_wrong_key_fails_at_the_first_event(
    checkpoint_dir: Path, settings: Any
) -> None:
    build_log()
    settings.RELAY_AUDIT_KEY = "another relay's audit key, at least thirty-two characters"
    message = verify_fails()
    assert broken_at(message) == nth(1)
    assert "MAC" in message


@pytest.mark.django_db
def test_checkpoints_written_out_of_order_by_several_processes_verify(
    checkpoint_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    count = build_log()
    path = checkpoint_dir / CHECKPOINT_FILE
    lines = path.read_text().splitlines()
    path.write_text("\n".join(reversed(lines)) + "\n")
    call_command("verify_audit_log")
    out = capsys.readouterr().out
    assert f"{count} events verified" in out
    assert f"checkpoint at event #{nth(count)}" in out


@pytest.mark.django_db
def test_each_committed_event_writes_one_signed_checkpoint_line(checkpoint_dir: Path) -> None:
    count = build_log()
    lines = (checkpoint_dir / CHECKPOINT_FILE).read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [nth(k) for k in range(1, count + 1)]
    assert [json.loads(line)["n"] for line in lines] == list(range(1, count + 1))
    heads = {e.seq: e.hash for e in AuditEvent.objects.all()}
    assert all(json.loads(line)["hash"] == heads[json.loads(line)["seq"]] for line in lines)


@pytest.mark.django_db
def test_a_rolled_back_event_writes_no_checkpoint(checkpoint_dir: Path) -> None:
    count = build_log()
    with TestCase.captureOnCommitCallbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            record(AuditEventType.CASE_CREATED, actor=None)
            raise RuntimeError("the action fails after recording")
    lines = (checkpoint_dir / CHECKPOINT_FILE).read_text().splitlines()
    assert len(lines) == count == AuditEvent.objects.count()
    call_command("verify_audit_log")


@pytest.mark.django_db
def test_audit_checkpoint_signs_the_head_and_later_truncation_fails(
    checkpoint_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Events recorded without their after-commit checkpoint (as before this existed).
    with transaction.atomic():
        for _ in range(5):
            record(AuditEventType.CASE_CREATED, actor=None)
    assert not (checkpoint_dir / CHECKPOINT_FILE).exists()
    call_command("audit_checkpoint")
    assert f"Checkpoint written at event #{nth(5)}" in capsys.readouterr().out
    call_command("verify_audit_log")
    fourth = AuditEvent.objects.get(seq=nth(4))
    AuditEvent.objects.filter(seq=nth(5)).delete()
    AuditChain.objects.filter(chain=fourth.chain).update(seq=4, hash=fourth.hash)
    # The anchor names the chain's head, not the event's number: the link is reported.
    message = verify_fails()
    assert "link 5" in message and "anchor records" in message


@pytest.mark.django_db
def test_audit_checkpoint_refuses_a_broken_log_and_writes_nothing(checkpoint_dir: Path) -> None:
    build_log()
    before = (checkpoint_dir / CHECKPOINT_FILE).read_text()
    third = nth(3)
    AuditEvent.objects.filter(seq=third).update(data={"forged": True})
    with pytest.raises(CommandError, match=f"event #{third}"):
        call_command("audit_checkpoint")
    assert (checkpoint_dir / CHECKPOINT_FILE).read_text() == before


@pytest.mark.django_db
def test_an_unwritable_checkpoint_dir_does_not_fail_the_action(
    checkpoint_dir: Path, settings: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The action has committed; a checkpoint that cannot be written is logged, and the
    # verifier then reports the unreadable checkpoint file rather than the action failing
    # after its commit.
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings.RELAY_AUDIT_CHECKPOINT_DIR = str(blocker / "checkpoints")
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        record(AuditEventType.CASE_CREATED, actor=None)
    assert AuditEvent.objects.count() == 1
    assert f"audit checkpoint for event #{nth(1)} not written" in caplog.text
    assert "cannot be read" in verify_fails()
    # Once the directory works again, the next event's checkpoint vouches for both.
    settings.RELAY_AUDIT_CHECKPOINT_DIR = str(checkpoint_dir)
    assert "1 events but no checkpoint" in verify_fails()
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        record(AuditEventType.CASE_CREATED, actor=None)
    call_command("verify_audit_log")


@pytest.mark.django_db
def test_the_upgrade_seals_events_written_before_macs(checkpoint_dir: Path) -> None:
    from django.apps import apps

    seal = importlib.import_module("relay.audit.migrations.0004_auditevent_mac")
    # The log as it stood then: the one global chain, now the legacy chain.
    count = build_legacy_log(checkpoint_dir, 12)
    AuditEvent.objects.update(mac="")
    assert broken_at(verify_fails()) == 1
    seal.seal_existing_events(apps, None)
    call_command("verify_audit_log")
    # Sealing does not hide a chain that was already broken.
    AuditEvent.objects.filter(seq=count // 2).update(data={"forged": True})
    AuditEvent.objects.update(mac="")
    seal.seal_existing_events(apps, None)
    assert broken_at(verify_fails()) == count // 2


def test_every_relay_process_mounts_the_checkpoint_volume() -> None:
    from django.conf import settings

    from tests.test_compose import ROOT, parse_block_yaml

    compose = parse_block_yaml((ROOT / "docker-compose.yml").read_text())
    assert "audit-checkpoints" in compose["volumes"]
    for name in ("app1", "app2"):
        assert (
            "audit-checkpoints:/app/var/audit-checkpoints" in compose["services"][name]["volumes"]
        )
    assert "/app/var/audit-checkpoints" in (ROOT / "Dockerfile").read_text()
    default = Path(settings.BASE_DIR) / "var" / "audit-checkpoints"
    from relay import settings as base

    assert Path(base.RELAY_AUDIT_CHECKPOINT_DIR) == default
