"""Helpers for tests against a real Daphne: signed-in Python clients, a Redis MONITOR
capture, and a dump of everything the database holds."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
from django.db import connection
from websockets.exceptions import WebSocketException

from relay_client.client import RelayClient, RelaySocket
from tests.accounts.live import weak_floor_client
from tests.factories import Person, otp_token


def client_for(server: Any, person: Person) -> RelayClient:
    """A Python client signed in as ``person`` (staff pass their second factor)."""
    client = weak_floor_client(server)
    token = otp_token(person) if "otp_device" in person.extra else None
    client.sign_in(person.user.username, person.password, otp_token=token)
    return client


def redis_address(url: str) -> tuple[str, int]:
    parsed = urlparse(url)
    return parsed.hostname or "127.0.0.1", parsed.port or 6379


class RedisMonitor:
    """Everything a Redis server sees while the monitor runs, from ``redis-cli MONITOR``."""

    def __init__(self, url: str, out: Path) -> None:
        self.host, self.port = redis_address(url)
        self.out = out
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> RedisMonitor:
        self.out.parent.mkdir(exist_ok=True)
        handle = self.out.open("wb")
        self.proc = subprocess.Popen(
            ["redis-cli", "-h", self.host, "-p", str(self.port), "MONITOR"],
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and b"OK" not in self.out.read_bytes():
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            time.sleep(0.3)  # let the last commands reach the capture
            self.proc.terminate()
            self.proc.wait(5)

    def text(self) -> str:
        return self.out.read_bytes().decode("utf-8", "backslashreplace")


def dump_database() -> str:
    """Every row of every table as text: ``pg_dump`` on PostgreSQL (bytea as hex),
    ``iterdump`` on SQLite (blobs as X'hex')."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        command = [
            "pg_dump",
            "--no-owner",
            "-h",
            db.get("HOST") or "127.0.0.1",
            "-p",
            str(db.get("PORT") or 5432),
            "-U",
            db.get("USER") or "postgres",
            db["NAME"],
        ]
        env = {"PATH": "/usr/bin:/bin", "PGPASSWORD": db.get("PASSWORD") or ""}
        result = subprocess.run(command, capture_output=True, env=env, check=True, timeout=60)
        return result.stdout.decode("utf-8")
    connection.ensure_connection()
    return "\n".join(connection.connection.iterdump())


DISCONNECTED = (OSError, WebSocketException, TimeoutError, httpx.TransportError)


def adopt(sock: RelaySocket, events: list[dict[str, Any]]) -> None:
    """Make a freshly connected socket collect into ``events`` (after what it replayed)."""
    events.extend(sock.pending_events)
    sock.pending_events = events


def read_until(sock: RelaySocket, done: Callable[[], bool]) -> None:
    """Keep reading frames (the socket collects the events) until ``done()``."""
    while not done():
        try:
            sock._recv(0.2)
        except TimeoutError:
            continue


class Listener(threading.Thread):
    """One device's socket, kept open: after any disconnect it reconnects and says
    ``hello{last_seq}``. Collects every event; RelaySocket raises on a gap or a duplicate."""

    def __init__(self, client: RelayClient, *, until: Callable[[list[dict[str, Any]]], bool]):
        super().__init__(daemon=True)
        self.client = client
        self.until = until
        self.events: list[dict[str, Any]] = []
        self.errors: list[BaseException] = []
        self.connections = 0
        self.connected = threading.Event()
        self.stopped = threading.Event()

    def done(self) -> bool:
        return self.stopped.is_set() or self.until(self.events)

    def run(self) -> None:
        try:
            while not self.done():
                try:
                    with self.client.socket() as sock:
                        self.connections += 1
                        adopt(sock, self.events)
                        self.connected.set()
                        read_until(sock, self.done)
                except DISCONNECTED:
                    time.sleep(0.2)
        except BaseException as exc:  # noqa: BLE001 — the test reports it
            self.errors.append(exc)


def message_ids(events: list[dict[str, Any]]) -> list[str]:
    return [e["message"]["message_id"] for e in events if e["type"] == "message"]
