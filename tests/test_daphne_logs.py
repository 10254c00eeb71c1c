"""Daphne logs of a test run: one directory per run, gone when the run passes, kept (and
capped) when it fails."""

from __future__ import annotations

import os
import time

import pytest

from tests.conftest import ROOT, RUN_LOGS, DaphneProcess, RunLogs


@pytest.mark.live
def test_a_daphne_logs_into_this_runs_directory_not_var(transactional_db: None) -> None:
    before = set((ROOT / "var").glob("daphne-*.log"))
    server = DaphneProcess().start()
    try:
        assert server.log_path.parent == RUN_LOGS.path
        assert RUN_LOGS.path.parent == ROOT / "var" / "test-logs"
    finally:
        server.stop()
    # Unbuffered: Daphne's start-up lines are in the log as soon as it runs.
    assert b"Listening on TCP address" in server.log_path.read_bytes()
    assert set((ROOT / "var").glob("daphne-*.log")) == before


def _run_with_a_log(base, name: str, keep: int = 5) -> RunLogs:
    run = RunLogs(base, keep=keep)
    run.path = base / f"run-{name}"
    (run.directory() / "daphne-1.log").write_text("log\n")
    return run


def test_a_passing_run_removes_its_logs(tmp_path) -> None:
    base = tmp_path / "test-logs"
    run = _run_with_a_log(base, "a")
    assert run.finish(passed=True) is None
    assert not base.exists()


def test_a_failing_run_keeps_its_logs_and_says_where(tmp_path) -> None:
    base = tmp_path / "test-logs"
    run = _run_with_a_log(base, "a")
    assert run.finish(passed=False) == run.path
    assert (run.path / "daphne-1.log").read_text() == "log\n"
    assert (run.path / RunLogs.MARK).exists()


def test_only_the_newest_failed_runs_are_kept_and_live_runs_are_left_alone(tmp_path) -> None:
    base = tmp_path / "test-logs"
    live = _run_with_a_log(base, "live")  # another run still going: no mark yet
    failed = []
    for number in range(4):
        run = _run_with_a_log(base, f"failed-{number}", keep=2)
        run.finish(passed=False)
        stamp = time.time() - 100 + number
        os.utime(run.path / RunLogs.MARK, (stamp, stamp))
        failed.append(run.path)
    _run_with_a_log(base, "passing", keep=2).finish(passed=True)
    assert sorted(p.name for p in base.iterdir()) == ["run-failed-2", "run-failed-3", "run-live"]
    assert (live.path / "daphne-1.log").exists()


def test_a_run_that_started_no_daphne_leaves_nothing(tmp_path) -> None:
    base = tmp_path / "test-logs"
    assert RunLogs(base).finish(passed=False) is None
    assert not base.exists()


def test_a_killed_runs_logs_go_after_a_day(tmp_path) -> None:
    base = tmp_path / "test-logs"
    killed = _run_with_a_log(base, "killed")
    day_old = time.time() - RunLogs.ABANDONED_AFTER - 60
    os.utime(killed.path, (day_old, day_old))
    running = _run_with_a_log(base, "running")
    _run_with_a_log(base, "passing").finish(passed=True)
    assert [p.name for p in base.iterdir()] == ["run-running"]
    assert running.path.exists() and not killed.path.exists()
