"""Checkpoints are written by the processes that serve the actions: a real Daphne appends
them after each commit, another process verifies them, and truncation behind its back is
caught. Several processes appending to one file at once keep every line whole."""

from __future__ import annotations

import io
import json
import multiprocessing
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from relay.audit.checkpoints import FILE_NAME, read_checkpoints, write_checkpoint
from relay.audit.models import AuditChainHead, AuditEvent
from relay_client import demo
from tests.client.cli_helpers import kdf_floor_arg


@pytest.mark.live
def test_a_live_server_checkpoints_every_event_and_truncation_is_caught(
    daphne, checkpoint_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    before = AuditEvent.objects.count()
    code = demo.main(["--server", daphne.url, "--kdf-floor", kdf_floor_arg()], out=io.StringIO())
    assert code == 0, capsys.readouterr().err
    count = AuditEvent.objects.count()
    assert count > before
    seqs = sorted(json.loads(line)["seq"] for line in (checkpoint_dir / FILE_NAME).open())
    # The seed ran in this process, the exchange in Daphne: one checkpoint per event.
    assert seqs == list(range(1, count + 1))
    capsys.readouterr()
    call_command("verify_audit_log")
    assert f"latest signed checkpoint at event #{count}" in capsys.readouterr().out

    AuditEvent.objects.filter(seq__gt=before).delete()
    AuditChainHead.objects.filter(id=1).update(
        seq=before, hash=AuditEvent.objects.get(seq=before).hash
    )
    with pytest.raises(CommandError, match=f"event #{before + 1}.*records event #{count}"):
        call_command("verify_audit_log")


def _append_many(start: int, n: int) -> None:
    for seq in range(start, start + n):
        write_checkpoint(seq=seq, hash=f"{seq:064x}")


def test_processes_appending_at_once_keep_every_line_whole(checkpoint_dir: Path) -> None:
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_many, args=(1 + i * 500, 500)) for i in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    checkpoints = read_checkpoints()
    assert checkpoints is not None
    assert sorted(c.seq for c in checkpoints) == list(range(1, 2001))
    assert all(c.hash == f"{c.seq:064x}" for c in checkpoints)
