"""The benchmark runs end to end against its own Daphne and writes a complete report.

A tiny configuration for a few seconds per scenario: this checks the tool and its report's
structure, never the timings (those depend on the machine).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TINY = [
    "teams=1",
    "rates=5",
    "step_seconds=1",
    "drain=10",
    "idle_sockets=6",
    "idle_hold=1",
    "storm_sockets=6",
    "storm_rates=20",
    "pause_rounds=1",
    "catch_up_events=12",
    "catch_up_runs=1",
    "soak_seconds=2",
    "soak_idle=2",
]


def run_bench(
    *args: str, out: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args, "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
        env=env,
    )


@pytest.mark.live
def test_quick_benchmark_writes_every_scenario_and_target(tmp_path: Path) -> None:
    settings = [arg for item in TINY for arg in ("--set", item)]
    done = run_bench("--quick", *settings, out=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (report,) = tmp_path.glob("bench-quick-*.json")
    results = json.loads(report.read_text())
    text = report.with_suffix(".txt").read_text()

    setup = results["setup"]
    assert setup["plan"] == "quick" and setup["sizes"]["teams"] == 1
    assert setup["machine"]["nproc"] >= 1 and setup["machine"]["cpu"]
    assert setup["relay_alive_at_end"] is True
    assert set(setup["scenarios"]) == {"idle", "storm", "cycle", "pause", "catch_up", "soak"}

    idle = {run["server"]: run for run in results["idle"]["runs"]}
    assert set(idle) == {"relay", "websockets", "group_send"}
    for run in idle.values():
        assert "error" not in run and run["sockets"] == 6
        assert run["rss_after_mb"] > 0 and run["cpu_percent_of_core"] >= 0

    phases = [(s["phase"], s["offered_per_s"]) for s in results["storm"]["steps"]]
    assert phases == [("connect", 20), ("reconnect", 20)]
    for step in results["storm"]["steps"]:
        assert step["errors"] == 0, step["first_error"]
        assert step["connect_to_caught_up"]["count"] == 6

    cycle = results["cycle"]
    assert set(cycle["steps"]) == {"relay", "websockets", "group_send"}
    relay_step = cycle["steps"]["relay"][0]
    assert relay_step["offered_per_s"] == 5 and relay_step["cycles"] == 5
    assert relay_step["completed"] + relay_step["errors"] == 5 and relay_step["completed"] > 0
    assert set(relay_step["latency"]) == {
        "end_to_end",
        "send_ack",
        "to_facilitator",
        "forward_to_recipient",
        "forward_ack",
    }
    assert relay_step["latency"]["end_to_end"]["count"] == relay_step["completed"]
    assert cycle["relay_at_half"]["completed"] > 0
    assert set(cycle["saturation_per_s"]) == {"relay", "websockets", "group_send"}

    assert results["pause"]["errors"] == 0
    assert results["pause"]["pause_to_last_socket"]["count"] == 1
    assert [r["events"] for r in results["catch_up"]["runs"]] == [12]
    assert results["catch_up"]["runs"][0]["http_events"] == 12
    assert results["soak"]["completed"] > 0 and results["soak"]["windows"]

    rows = {row["target"]: row for row in results["targets"]}
    assert len(rows) == 7
    for row in rows.values():
        assert row["measured"] and row["target"] in text
        if "several processes" in row["target"]:  # judged only from a run with several
            assert row["met"] is None and "one Relay process ran" in row["measured"]
        else:
            assert isinstance(row["met"], bool)
    assert "targets (reported, not asserted)" in text
    assert "[not run]" in text
    assert setup["relay_processes"] == 1 and "server: one Daphne" in text


@pytest.mark.live
@pytest.mark.postgres
@pytest.mark.redis
def test_several_relay_processes_behind_caddy_share_the_cycles(tmp_path: Path) -> None:
    from tests.scale.cluster import require_caddy

    require_caddy()
    settings = ["relay_processes=2", "teams=1", "rates=5", "step_seconds=1", "drain=10"]
    args = [arg for item in settings for arg in ("--set", item)]
    done = run_bench("--quick", "--scenario", "cycle", *args, out=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (report,) = tmp_path.glob("bench-quick-*.json")
    results = json.loads(report.read_text())
    text = report.with_suffix(".txt").read_text()

    setup = results["setup"]
    assert setup["relay_processes"] == 2 and setup["proxy"].startswith("Caddy")
    assert (setup["database"], setup["channel_layer"]) == ("PostgreSQL", "Redis")
    assert setup["relay_alive_at_end"] is True
    # Every client went to the proxy, which is neither of the two processes.
    assert len(set(setup["relay_processes_at"])) == 2
    assert setup["relay_url"] not in setup["relay_processes_at"]
    assert "2 Daphne processes behind Caddy" in text

    step = results["cycle"]["steps"]["relay"][0]
    assert step["completed"] > 0 and step["completed"] + step["errors"] == 5
    assert step["latency"]["end_to_end"]["count"] == step["completed"]
    # The balanced sockets of the step landed on both processes: each did work for it.
    by_process = step["server_cpu_s_by_process"]
    assert len(by_process) == 2 and all(cpu > 0 for cpu in by_process), by_process
    assert step["proxy_cpu_s_per_1000"] >= 0 and step["proxy_cpu_percent"] >= 0
    assert "  caddy" in text and "proxy (Caddy) CPU-seconds per 1,000 cycles" in text

    (row,) = [r for r in results["targets"] if "several processes" in r["target"]]
    assert isinstance(row["met"], bool) and "with 2 processes" in row["measured"]


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [("nonsense=1", "expected one of"), ("teams=0", "above zero"), ("rates=5,x", "not a")],
)
def test_a_bad_setting_is_refused_before_anything_starts(
    tmp_path: Path, setting: str, complaint: str
) -> None:
    done = run_bench("--quick", "--set", setting, out=tmp_path)
    assert done.returncode != 0
    assert complaint in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("database_url", "complaint"),
    [
        (None, "Set DATABASE_URL (a PostgreSQL server) and REDIS_URL."),
        ("postgres://postgres@127.0.0.1:5432/postgres", "Set REDIS_URL."),
    ],
)
def test_several_processes_without_postgres_and_redis_are_refused_before_anything_starts(
    tmp_path: Path, database_url: str | None, complaint: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    if database_url:
        env["DATABASE_URL"] = database_url
    done = run_bench("--quick", "--set", "relay_processes=2", out=tmp_path, env=env)
    assert done.returncode != 0
    assert "--set relay_processes=2 needs PostgreSQL and Redis" in done.stderr
    assert "cannot be shared between processes" in done.stderr
    assert complaint in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []
