"""Shared fixtures: in CI (CI=true) the suite must use PostgreSQL and Redis and skips
nothing for lack of them."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"


class RunLogs:
    """One directory of Daphne logs per test run, under ``base`` (var/test-logs/).

    A run that passes removes its directory; a run that fails keeps it, marks it and says
    where it is, so CI output can point at it. Only the newest ``keep`` failed runs are kept.
    Directories of runs still going have no mark and are left alone, unless a day old (a run
    that was killed before it could clean up)."""

    MARK = "FAILED-RUN"
    ABANDONED_AFTER = 24 * 3600

    def __init__(self, base: Path, keep: int = 5) -> None:
        self.base = base
        self.keep = keep
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        self.path = base / f"run-{stamp}-{os.getpid()}"

    def directory(self) -> Path:
        self.path.mkdir(parents=True, exist_ok=True)
        return self.path

    def finish(self, passed: bool) -> Path | None:
        """Remove this run's logs if it passed; otherwise keep them and return where."""
        kept = None
        if self.path.exists():
            if passed:
                shutil.rmtree(self.path, ignore_errors=True)
            else:
                (self.path / self.MARK).write_text("Daphne logs of a test run that failed\n")
                kept = self.path
        self.prune()
        return kept

    def prune(self) -> None:
        failed = sorted(
            (d for d in self.base.glob("run-*") if (d / self.MARK).exists()),
            key=lambda d: (d / self.MARK).stat().st_mtime,
        )
        for old in failed[: max(0, len(failed) - self.keep)]:
            shutil.rmtree(old, ignore_errors=True)
        cutoff = time.time() - self.ABANDONED_AFTER
        for unmarked in self.base.glob("run-*"):
            if not (unmarked / self.MARK).exists() and unmarked.stat().st_mtime < cutoff:
                shutil.rmtree(unmarked, ignore_errors=True)
        if self.base.exists() and not any(self.base.iterdir()):
            self.base.rmdir()


RUN_LOGS = RunLogs(ROOT / "var" / "test-logs")
KEPT_LOGS = pytest.StashKey[Path | None]()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # 0: every test passed; 5: none collected. Anything else keeps the logs.
    kept = RUN_LOGS.finish(passed=exitstatus in (0, 5))
    session.config.stash[KEPT_LOGS] = kept


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    kept = config.stash.get(KEPT_LOGS, None)
    if kept is not None:
        terminalreporter.write_line(f"Daphne logs of this run are kept in {kept}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    has_redis = bool(os.environ.get("REDIS_URL"))
    if IN_CI and not (on_postgres and has_redis):
        raise pytest.UsageError("CI runs must set DATABASE_URL (PostgreSQL) and REDIS_URL.")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL"))
        if "redis" in item.keywords and not has_redis:
            item.add_marker(pytest.mark.skip(reason="needs Redis: set REDIS_URL"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_url_for_subprocess() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def wait_until_listening(
    proc: subprocess.Popen[bytes], port: int, *, name: str, log_path: Path, seconds: float = 30
) -> None:
    """Return once ``proc`` accepts connections on 127.0.0.1:``port``; raise if it exits or
    does not listen within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited: see {log_path}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{name} did not start within {seconds:g} seconds")


def stop_process(proc: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM, then SIGKILL if it has not gone within ten seconds."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


class DaphneProcess:
    """A real Daphne serving Relay on 127.0.0.1, sharing the test database."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        # A restart on the same port appends to the same log.
        self.log_path = RUN_LOGS.path / f"daphne-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "relay.settings.test",
                "DATABASE_URL": database_url_for_subprocess(),
                "RELAY_ALLOWED_ORIGINS": self.url,
                "RELAY_ALLOWED_HOSTS": "127.0.0.1",
                # Connections kept between calls, as in production (relay/settings).
                "RELAY_DB_CONN_MAX_AGE": "60",
                # Every line reaches the log at once, even from a process that is killed.
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def command(self) -> list[str]:
        return [sys.executable, "-m", "relay.serve", "-b", "127.0.0.1", "-p", str(self.port)]

    def start(self) -> DaphneProcess:
        RUN_LOGS.directory()
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the handle
            self.proc = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until_listening(self.proc, self.port, name="Daphne", log_path=self.log_path)
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers run."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        stop_process(self.proc)


@pytest.fixture
def daphne(transactional_db: None) -> Iterator[DaphneProcess]:
    server = DaphneProcess().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def shuttle(db: None):
    from tests.factories import make_case

    return make_case()
