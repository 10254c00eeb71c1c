"""Several Daphne processes behind Caddy on one box, sharing PostgreSQL and Redis, as in
production (docker-compose.yml, deploy/Caddyfile).

The proxy runs **deploy/Caddyfile itself**, with only what a loopback test must change:
a plain-HTTP site address on a free 127.0.0.1 port instead of ``{$RELAY_DOMAIN}`` (so no
certificate), no admin endpoint, the test's Daphne processes as upstreams, and two test
hooks — a request carrying ``X-Relay-Upstream: <n>`` goes to process ``n`` (so a test
decides which process holds which socket), and every reply says which process served it in
the same header. Everything else (timeouts, body limit, load-balancing policy, passive
health checks, headers) is the production file's.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect
from websockets.typing import Origin

from relay_client.client import RelayClient, RelaySocket
from tests.accounts.live import weak_floor_client
from tests.conftest import (
    IN_CI,
    ROOT,
    RUN_LOGS,
    DaphneProcess,
    free_port,
    stop_process,
    wait_until_listening,
)
from tests.factories import Person, otp_token

CADDY = Path("/usr/bin/caddy")
PRODUCTION_CADDYFILE = ROOT / "deploy" / "Caddyfile"
UPSTREAM_HEADER = "X-Relay-Upstream"


def require_caddy() -> Path:
    """Debian's caddy; outside CI its absence skips, in CI (CI=true) it fails."""
    if CADDY.exists():
        return CADDY
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
        return [*super().command(), "--proxy-headers"]

    def env(self) -> dict[str, str]:
        env = super().env()
        env["RELAY_ALLOWED_ORIGINS"] = self.origin
        env.update(self.extra_env)
        return env


def replace_once(text: str, old: str, new: str) -> str:
    """``old`` must occur exactly once: if deploy/Caddyfile changes shape, say so."""
    if text.count(old) != 1:
        raise AssertionError(f"deploy/Caddyfile no longer holds exactly one {old!r}")
    return text.replace(old, new)


def loopback_caddyfile(port: int, upstreams: list[str]) -> str:
    """deploy/Caddyfile for a loopback proxy on ``port`` in front of ``upstreams``."""
    text = PRODUCTION_CADDYFILE.read_text()
    text = replace_once(text, "{\n\tservers {", "{\n\tadmin off\n\tauto_https off\n\tservers {")
    text = replace_once(text, "{$RELAY_DOMAIN} {", f"http://127.0.0.1:{port} {{")
    match = re.search(r"\n\thandle \{\n\t\treverse_proxy app1:8000 app2:8000 \{\n", text)
    if match is None:
        raise AssertionError("deploy/Caddyfile no longer proxies to app1:8000 app2:8000")
    # Deferred: set when the reply is written, once the upstream is known. (Caddy 2.6 sends
    # no handler's headers on a 101, so a WebSocket's reply does not carry it.)
    served_by = (
        f"\t\theader {{\n\t\t\t{UPSTREAM_HEADER} {{http.reverse_proxy.upstream.hostport}}\n"
        "\t\t\tdefer\n\t\t}\n"
    )
    pinned = "".join(
        f"\n\t@upstream{n} header {UPSTREAM_HEADER} {n}\n"
        f"\thandle @upstream{n} {{\n{served_by}\t\treverse_proxy {upstream}\n\t}}\n"
        for n, upstream in enumerate(upstreams)
    )
    balanced = f"\n\thandle {{\n{served_by}\t\treverse_proxy {' '.join(upstreams)} {{\n"
    return text[: match.start()] + pinned + balanced + text[match.end() :]


class CaddyProxy:
    """Debian's Caddy running the production Caddyfile on 127.0.0.1."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.home = RUN_LOGS.path / f"caddy-{self.port}"
        self.log_path = RUN_LOGS.path / f"caddy-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, upstreams: list[str]) -> CaddyProxy:
        caddy = require_caddy()
        RUN_LOGS.directory()
        self.home.mkdir(parents=True, exist_ok=True)
        config = self.home / "Caddyfile"
        config.write_text(loopback_caddyfile(self.port, upstreams))
        # Caddy keeps its data and autosaved config under HOME / XDG: this run's directory.
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.home),
            "XDG_DATA_HOME": str(self.home / "data"),
            "XDG_CONFIG_HOME": str(self.home / "config"),
        }
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(caddy), "run", "--adapter", "caddyfile", "--config", str(config)],
                cwd=self.home,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until_listening(self.proc, self.port, name="Caddy", log_path=self.log_path, seconds=15)
        return self

    def stop(self) -> None:
        stop_process(self.proc)


def ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def wait_until(answers: Callable[[], bool], what: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not answers():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer 200 within {seconds:g} seconds")
        time.sleep(0.2)


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
        # Caddy's first active health check comes the moment it starts, and a process that
        # fails it gets no traffic for a whole interval (10 s): start it only once every
        # process answers /readyz (its first database and Redis connections made), then wait
        # until the balanced route serves.
        for process in self.processes:
            wait_until(lambda p=process: ready(f"http://{p.hostport}/readyz"), "/readyz", 60)
        self.proxy.start([p.hostport for p in self.processes])
        wait_until(lambda: ready(f"{self.url}/api/csrf"), "the proxy's balanced route", 30)
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
