"""`make check-deploy`, as the README lists it: runnable on a fresh clone, with example values
(deploy/check-deploy.env) for whatever production variable is not set."""

from __future__ import annotations

import ast
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "deploy" / "check-deploy.env"


def make_check_deploy(**env: str) -> subprocess.CompletedProcess[str]:
    """The target's own recipe ('setup' counted as done: the suite already runs in .venv),
    from an environment holding nothing of Relay's."""
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env}
    return subprocess.run(
        ["make", "--no-print-directory", "-o", "setup", "check-deploy"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def example_names() -> list[str]:
    lines = EXAMPLES.read_text().splitlines()
    return [line.split("=", 1)[0] for line in lines if line and not line.startswith("#")]


def test_it_runs_on_a_fresh_clone_and_says_which_examples_it_used():
    done = make_check_deploy()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout
    for name in example_names():
        assert f"==> {name}: not set, using the example " in done.stdout
    assert "Traceback" not in done.stderr


def test_the_examples_cover_every_variable_production_requires():
    """A variable added to the production settings' REQUIRED needs its example line."""
    source = (ROOT / "relay" / "settings" / "production.py").read_text()
    required = next(
        ast.literal_eval(node.value)
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "REQUIRED" for t in node.targets)
    )
    assert "RELAY_SECRET_KEY" in required
    assert set(required) <= set(example_names())


def test_a_variable_that_is_set_wins_and_its_value_is_not_printed():
    secret = "from-the-environment-" + "s3cr3t" * 10
    done = make_check_deploy(RELAY_SECRET_KEY=secret)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "==> RELAY_SECRET_KEY: from the environment" in done.stdout
    assert secret not in done.stdout + done.stderr


def test_a_bad_value_fails_the_checks():
    done = make_check_deploy(RELAY_SECRET_KEY="too-short")
    assert done.returncode != 0
    assert "relay.E002" in done.stderr
