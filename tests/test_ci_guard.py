""".ci/run runs exactly the README's commands and fails a run that tested nothing."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / ".ci" / "run"


def test_ci_script_is_executable_bash():
    assert os.access(CI, os.X_OK)
    assert CI.read_text().startswith("#!/usr/bin/env bash\n")
    subprocess.run(["bash", "-n", str(CI)], check=True)
    assert "set -Eeuo pipefail" in CI.read_text()


def test_ci_runs_the_readme_commands_on_postgres_and_redis():
    script = CI.read_text()
    readme = (ROOT / "README.md").read_text()
    assert "```sh\nmake run\n```" in readme and "```sh\nmake test\n```" in readme
    steps = ["export DATABASE_URL=postgres://", "export REDIS_URL=redis://", "make test 2>&1"]
    steps += ["make lint ||", "make check-deploy ||"]
    positions = [script.index(step) for step in steps]
    assert positions == sorted(positions)
    assert 'python3 -m pip install --quiet "uv==0.13.8"' in script


def test_the_summary_check_catches_a_run_without_tests():
    script = CI.read_text()
    pattern = re.search(r"grep -E '([^']+)' var/ci-test.log", script)
    assert pattern is not None
    summary = re.compile(pattern.group(1))
    assert summary.match("============ 212 passed, 3 skipped in 301.20s (0:05:01) =============")
    assert summary.match("===== 2 failed, 10 passed in 4.01s =====")
    empty = "============================ no tests ran in 0.01s ============================="
    assert summary.match(empty)
    assert 'grep -q "no tests ran"' in script
    assert not summary.match("tests/test_demo.py ..  [ 92%]")


def test_makefile_targets_do_what_the_readme_says():
    makefile = (ROOT / "Makefile").read_text()
    targets = dict(re.findall(r"^([a-z-]+):([^#\n]*)", makefile, flags=re.M))
    assert targets["run"].split() == ["setup", "frontend", "seed"]
    assert targets["test"].split() == ["setup", "frontend", "chromium"]
    assert "cd frontend && npm ci --no-audit --no-fund && npm run build" in makefile
    assert "$(UV) sync --frozen" in makefile
    assert "$(PY) -m relay.serve -b 127.0.0.1 -p 8000" in makefile
    assert "$(PY) -m relay_client.demo --server $(SERVER)" in makefile
    help_lines = [line for line in makefile.splitlines() if re.match(r"^[a-z-]+:.*## ", line)]
    assert len(help_lines) == len(targets)
