"""The servers the benchmark drives, each its own process on 127.0.0.1, and what they cost.

Relay runs under Daphne (``relay.serve``) with the test settings (cheap password hashing and
KDF, so signing in is not what is measured) on a fresh database: SQLite in a temporary
folder, or a new PostgreSQL database (dropped afterwards) on the server ``DATABASE_URL``
names; with Redis as the channel layer when ``REDIS_URL`` is set. The two baselines run
beside it: a bare ``websockets`` push server (``bench.pushserver``) and a Channels consumer
that only does ``group_send`` (``bench.groupsend``), served by its own Daphne on the same
channel layer.

With ``relay_processes`` N above one, N Relay processes run on the same PostgreSQL database
and Redis behind Debian's Caddy running deploy/Caddyfile (``bench.cluster``), as in
production; every client request and socket goes through the proxy, and the N processes are
measured as one server (``Relays``: CPU and RSS summed), with Caddy's CPU apart.
"""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from bench.cluster import PROXY_HEADERS, CaddyProxy, start_in_front

ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = ROOT / "var" / "bench"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
FD_LIMIT = 65536


def raise_fd_limit(wanted: int = FD_LIMIT) -> int:
    """Raise this process's open-file limit (children inherit it); returns the new soft limit.
    Only root may raise the hard limit; anyone may raise the soft one up to it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = max(soft, wanted)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, max(hard, target)))
    except (ValueError, PermissionError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(target, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (``/proc/<pid>/stat`` fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE_BYTES


@dataclass
class Sample:
    cpu: float
    rss: int
    at: float


@dataclass
class Server:
    """One server process: its label, base URL and process handle."""

    label: str
    url: str
    proc: subprocess.Popen[bytes]

    @property
    def ws_url(self) -> str:
        return self.url.replace("http", "ws", 1)

    def sample(self) -> Sample:
        return Sample(cpu_seconds(self.proc.pid), rss_bytes(self.proc.pid), time.monotonic())

    def alive(self) -> bool:
        return self.proc.poll() is None

    def by_process(self) -> list[Sample]:
        """One sample per server process (one here; one per Relay process for ``Relays``)."""
        return [self.sample()]

    def proxy_sample(self) -> Sample | None:
        """The proxy in front of the server, if there is one."""
        return None


@dataclass
class Relays(Server):
    """Several Relay processes behind Caddy, measured as one server: ``url`` is the proxy's,
    ``proc`` Caddy's; a sample is the sum of the Relay processes' CPU and RSS."""

    processes: list[Server] = field(default_factory=list)

    def by_process(self) -> list[Sample]:
        return [p.sample() for p in self.processes]

    def sample(self) -> Sample:
        parts = self.by_process()
        return Sample(sum(s.cpu for s in parts), sum(s.rss for s in parts), time.monotonic())

    def proxy_sample(self) -> Sample:
        return Sample(cpu_seconds(self.proc.pid), rss_bytes(self.proc.pid), time.monotonic())

    def alive(self) -> bool:
        return self.proc.poll() is None and all(p.alive() for p in self.processes)


def start(label: str, argv: list[str], env: dict[str, str], port: int) -> Server:
    return listening(label, launch(label, argv, env), port)


def launch(label: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with (LOG_DIR / f"{label}.log").open("wb") as log:  # the child keeps its own copy
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def listening(label: str, proc: subprocess.Popen[bytes], port: int) -> Server:
    """``proc`` as a Server once it accepts connections on ``port``."""
    log_path = LOG_DIR / f"{label}.log"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{label} exited at start: see {log_path}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return Server(label, f"http://127.0.0.1:{port}", proc)
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"{label} did not start within 30 seconds: see {log_path}")


def stop(server: Server) -> None:
    if isinstance(server, Relays):
        for process in server.processes:
            stop(process)
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(15)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(5)


def daphne_argv(app: str, port: int) -> list[str]:
    # No access log: it would cost time per request and keep addresses (DESIGN §9).
    return [sys.executable, "-m", "daphne", "--access-log", "/dev/null", "-b", "127.0.0.1",
            "-p", str(port), app]


@contextmanager
def fresh_database() -> Iterator[str]:
    """A DATABASE_URL for an empty database that is removed afterwards: SQLite in a
    temporary folder, or a new database on the PostgreSQL server ``DATABASE_URL`` names."""
    postgres = os.environ.get("DATABASE_URL", "")
    if not postgres.startswith("postgres"):
        with tempfile.TemporaryDirectory(prefix="relay-bench-") as folder:
            yield f"sqlite:///{folder}/bench.sqlite3"
        return
    import psycopg

    name = f"relay_bench_{uuid.uuid4().hex[:8]}"
    server = urlparse(postgres)
    admin = server._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def relay_env(database_url: str, port: int) -> dict[str, str]:
    """The environment of the Relay Daphne (of each, when several), and of this process while
    it seeds. ``port`` is where clients connect: the Relay's own, or the proxy's in front of
    several, whose origin is then the only one allowed."""
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "relay.settings.test",
        "DATABASE_URL": database_url,
        "RELAY_ALLOWED_ORIGINS": f"http://127.0.0.1:{port}",
        "RELAY_ALLOWED_HOSTS": "127.0.0.1",
        "RELAY_LOG_LEVEL": "WARNING",
        # Database connections kept between calls, as in production (relay/settings).
        "RELAY_DB_CONN_MAX_AGE": "60",
        # Sockets held through a long soak must not end for want of an HTTP request.
        "RELAY_IDLE_TIMEOUT": "86400",
    })
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                   cwd=ROOT, env=env, check=True)


def start_relay(env: dict[str, str], port: int, *, profile: Path | None = None) -> Server:
    """Relay as every supported run starts it: ``python -m relay.serve`` (Daphne, never an
    access log, the body limit applied as the body arrives)."""
    return start("relay", relay_argv(port, profile), env, port)


def relay_argv(port: int, profile: Path | None) -> list[str]:
    server = ["-m", "relay.serve"] if profile is None else ["-m", "bench.profiled", str(profile)]
    return [sys.executable, *server, "-b", "127.0.0.1", "-p", str(port)]


def start_relays(env: dict[str, str], ports: list[int], proxy: CaddyProxy, *,
                 profile: Path | None = None) -> Relays:
    """One Relay process per port, each as production starts it behind a proxy
    (``--proxy-headers``), and Caddy in front (``bench.cluster``) once all are ready. ``env``
    must allow the proxy's origin (``relay_env(..., proxy.port)``)."""
    launched: list[subprocess.Popen[bytes]] = []
    processes: list[Server] = []
    try:
        for n, port in enumerate(ports):  # all start at once; then each is waited for
            mine = profile.with_name(f"{profile.stem}-{n}{profile.suffix}") if profile else None
            launched.append(launch(f"relay-{n}", [*relay_argv(port, mine), PROXY_HEADERS], env))
        for n, (proc, port) in enumerate(zip(launched, ports, strict=True)):
            processes.append(listening(f"relay-{n}", proc, port))
        start_in_front(proxy, [f"127.0.0.1:{port}" for port in ports])
    except BaseException as exc:
        proxy.stop()
        for proc in launched:
            stop(Server("relay", "", proc))
        if isinstance(exc, RuntimeError):
            raise SystemExit(f"the proxy in front of the Relay processes: {exc}") from None
        raise
    assert proxy.proc is not None
    return Relays("relay", proxy.url, proxy.proc, processes)


def start_pushserver() -> Server:
    port = free_port()
    argv = [sys.executable, "-m", "bench.pushserver", "--port", str(port)]
    return start("websockets", argv, dict(os.environ), port)


def start_groupsend() -> Server:
    port = free_port()
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return start("group_send", daphne_argv("bench.groupsend:application", port), env, port)
