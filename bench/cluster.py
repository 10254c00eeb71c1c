"""Several Relay processes on one box behind Caddy, as in production (docker-compose.yml,
deploy/Caddyfile): the rule for running the production Caddyfile on loopback, and starting
and stopping the proxy. The benchmark (``--set relay_processes=N``) and the scale-out tests
(tests/scale/cluster.py) both use it.

The proxy runs **deploy/Caddyfile itself**, with only what a loopback run must change:
a plain-HTTP site address on a free 127.0.0.1 port instead of ``{$RELAY_DOMAIN}`` (so no
certificate), no admin endpoint, the Relay processes as upstreams, and two hooks — a request
carrying ``X-Relay-Upstream: <n>`` goes to process ``n`` (so a test decides which process
holds which socket), and every reply says which process served it in the same header.
Everything else (timeouts, body limit, load-balancing policy, passive and active health
checks, headers) is the production file's.

The Relay processes behind it are started as production starts them: ``python -m
relay.serve --proxy-headers``, with the proxy's address as their only allowed origin
(``RELAY_ALLOWED_ORIGINS``), since every page and socket reaches them through it.
"""

from __future__ import annotations

import re
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
CADDY = Path("/usr/bin/caddy")
PRODUCTION_CADDYFILE = ROOT / "deploy" / "Caddyfile"
UPSTREAM_HEADER = "X-Relay-Upstream"
PROXY_HEADERS = "--proxy-headers"  # the option production starts each process with


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def replace_once(text: str, old: str, new: str) -> str:
    """``old`` must occur exactly once: if deploy/Caddyfile changes shape, say so."""
    if text.count(old) != 1:
        raise AssertionError(f"deploy/Caddyfile no longer holds exactly one {old!r}")
    return text.replace(old, new)


def loopback_caddyfile(port: int, upstreams: list[str]) -> str:
    """deploy/Caddyfile for a loopback proxy on ``port`` in front of ``upstreams``
    (``host:port`` each)."""
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
    raise RuntimeError(f"{name} did not start within {seconds:g} seconds: see {log_path}")


def stop_process(proc: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM, then SIGKILL if it has not gone within ten seconds."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


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


class CaddyProxy:
    """Debian's Caddy running the production Caddyfile on 127.0.0.1; its home (data,
    autosaved config, the adapted Caddyfile) and log under ``directory``."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.home = directory / f"caddy-{self.port}"
        self.log_path = directory / f"caddy-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, upstreams: list[str]) -> CaddyProxy:
        if not CADDY.exists():
            raise RuntimeError(f"{CADDY} is missing: apt-get install caddy")
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
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the handle
            self.proc = subprocess.Popen(
                [str(CADDY), "run", "--adapter", "caddyfile", "--config", str(config)],
                cwd=self.home,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until_listening(self.proc, self.port, name="Caddy", log_path=self.log_path, seconds=15)
        return self

    def stop(self) -> None:
        stop_process(self.proc)


def start_in_front(proxy: CaddyProxy, upstreams: list[str]) -> CaddyProxy:
    """Start ``proxy`` in front of the running Relay processes at ``upstreams`` (``host:port``
    each) once every one of them is ready, and return when its balanced route serves.

    Caddy's first active health check comes the moment it starts, and a process that fails
    it gets no traffic for a whole interval (10 s): so the proxy starts only once every
    process answers /readyz (its first database and Redis connections made)."""
    for upstream in upstreams:
        wait_until(lambda u=upstream: ready(f"http://{u}/readyz"), f"{upstream}/readyz", 60)
    proxy.start(upstreams)
    wait_until(lambda: ready(f"{proxy.url}/api/csrf"), "the proxy's balanced route", 30)
    return proxy
