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
from relay.audit.models import AuditChain, AuditEvent
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
    ordered = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == ordered
    capsys.readouterr()
    call_command("verify_audit_log")
    assert f"latest signed checkpoint at event #{ordered[-1]}" in capsys.readouterr().out

    # Cut every chain back to where it stood before the exchange, heads included.
    first_cut = ordered[before]
    AuditEvent.objects.filter(seq__gte=first_cut).delete()
    for head in AuditChain.objects.all():
        last = AuditEvent.objects.filter(chain=head.chain).order_by("-seq").first()
        if last is None:
            head.delete()
        else:
            AuditChain.objects.filter(chain=head.chain).update(seq=last.chain_seq, hash=last.hash)
    with pytest.raises(CommandError, match=f"event #{first_cut}.*events were removed"):
        call_command("verify_audit_log")


def _append_many(start: int, n: int) -> None:
    for seq in range(start, start + n):
        write_checkpoint(
            chain=f"case:{start}", chain_seq=seq - start + 1, seq=seq, hash=f"{seq:064x}"
        )


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
