"""Several Daphne processes on one box behind Caddy (running deploy/Caddyfile), sharing
PostgreSQL and Redis, as in production (docker-compose.yml, deploy/Caddyfile).

How the production Caddyfile is adapted for loopback, and how the proxy is started in front
of the processes, is bench/cluster.py's (the benchmark runs several processes the same way):
a plain-HTTP site address on a free 127.0.0.1 port, no admin endpoint, the test's Daphne
processes as upstreams, and two test hooks — a request carrying ``X-Relay-Upstream: <n>``
goes to process ``n`` (so a test decides which process holds which socket), and every reply
says which process served it in the same header.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect
from websockets.typing import Origin

from bench import cluster
from bench.cluster import UPSTREAM_HEADER, start_in_front
from relay_client.client import RelayClient, RelaySocket
from tests.accounts.live import weak_floor_client
from tests.conftest import IN_CI, RUN_LOGS, DaphneProcess
from tests.factories import Person, otp_token


def require_caddy() -> Path:
    """Debian's caddy; outside CI its absence skips, in CI (CI=true) it fails."""
    if cluster.CADDY.exists():
        return cluster.CADDY
    if IN_CI:
        pytest.fail("CI=true but /usr/bin/caddy is missing: apt-get install caddy")
    pytest.skip("Caddy is not installed: apt-get install caddy")


class ProxiedDaphne(DaphneProcess):
    """A Daphne behind the proxy, started as production starts it (``--proxy-headers``),
    accepting pages and WebSockets from the proxy's origin only."""

    def __init__(
        self, origin: str, port: int | None = None, extra_env: dict[str, str] | None = None
    ) -> None:
        super().__init__(port)
        self.origin = origin
        self.extra_env = extra_env or {}

    @property
    def hostport(self) -> str:
        return f"127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [*super().command(), cluster.PROXY_HEADERS]

    def env(self) -> dict[str, str]:
        env = super().env()
        env["RELAY_ALLOWED_ORIGINS"] = self.origin
        env.update(self.extra_env)
        return env


class CaddyProxy(cluster.CaddyProxy):
    """The proxy, with its home and log in this test run's log directory."""

    def __init__(self, port: int | None = None) -> None:
        super().__init__(RUN_LOGS.path, port)

    def start(self, upstreams: list[str]) -> CaddyProxy:
        require_caddy()
        RUN_LOGS.directory()
        super().start(upstreams)
        return self


class Cluster:
    """``size`` Daphne processes on one PostgreSQL database and one Redis, behind Caddy."""

    def __init__(self, size: int, env: dict[str, str] | None = None) -> None:
        if not os.environ.get("REDIS_URL"):
            raise RuntimeError("several processes need the Redis channel layer: set REDIS_URL")
        self.proxy = CaddyProxy()
        self.processes = [ProxiedDaphne(self.proxy.url, extra_env=env) for _ in range(size)]

    @property
    def url(self) -> str:
        return self.proxy.url

    def start(self) -> Cluster:
        for process in self.processes:
            process.start()
        start_in_front(self.proxy, [p.hostport for p in self.processes])
        return self

    def stop(self) -> None:
        self.proxy.stop()
        for process in self.processes:
            process.stop()

    def served_by(self, pin: int) -> int:
        """Which process answers a request pinned to ``pin`` (Caddy's reply header says)."""
        reply = httpx.get(f"{self.url}/api/csrf", headers={UPSTREAM_HEADER: str(pin)}, timeout=10)
        return [p.hostport for p in self.processes].index(reply.headers[UPSTREAM_HEADER])

    def client(self, person: Person, *, pin: int | None = None) -> RelayClient:
        """A client signed in through the proxy (on process ``pin`` if given; its later
        HTTP requests go there too)."""
        client = weak_floor_client(self)
        if pin is not None:
            client.http.headers[UPSTREAM_HEADER] = str(pin)
        token = otp_token(person) if "otp_device" in person.extra else None
        client.sign_in(person.user.username, person.password, otp_token=token)
        return client


@contextmanager
def socket_through(
    client: RelayClient,
    *,
    pin: int | None = None,
    origin: str | None = None,
    hello: bool = True,
) -> Iterator[RelaySocket]:
    """``client.socket()`` through the proxy, optionally pinned to process ``pin``, with
    another ``Origin`` if given."""
    ws_url = client.base_url.replace("http", "ws", 1) + "/ws/"
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in client.http.cookies.items())}
    if pin is not None:
        headers[UPSTREAM_HEADER] = str(pin)
    with connect(
        ws_url,
        origin=Origin(origin or client.origin),
        additional_headers=headers,
        open_timeout=10,
        max_size=2**21,
    ) as conn:
        sock = RelaySocket(conn, client)
        if hello:
            sock.hello()
        yield sock
