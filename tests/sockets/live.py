"""Raw WebSocket connections to a real Daphne, for the socket tests: what a client written
from docs/api.md observes, frame by frame and close code by close code."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from relay_client.client import RelayClient
from tests.conftest import DaphneProcess


@pytest.fixture
def tuned_daphne(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Start a real Daphne with extra settings from the environment: ``tuned_daphne(**env)``."""
    servers: list[DaphneProcess] = []

    def start(**env: str) -> DaphneProcess:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        server = DaphneProcess().start()
        servers.append(server)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


def ws_url(server: DaphneProcess) -> str:
    return server.url.replace("http", "ws", 1) + "/ws/"


@contextmanager
def raw_socket(
    server: DaphneProcess, client: RelayClient | None = None, *, origin: str | None = None
) -> Iterator[ClientConnection]:
    """A WebSocket with ``client``'s cookies (none without a client), handshake only."""
    headers = {}
    if client is not None:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in client.http.cookies.items())
    with connect(
        ws_url(server),
        origin=origin if origin is not None else server.url,  # type: ignore[arg-type]
        additional_headers=headers,
        open_timeout=10,
        max_size=2**22,
    ) as conn:
        yield conn


def receive(conn: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    return json.loads(conn.recv(timeout=timeout))


def close_code(conn: ClientConnection, timeout: float = 10) -> int | None:
    """Read until the server closes; the close code it sent (frames before it ignored)."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("the socket was still open at the deadline")
        try:
            conn.recv(timeout=remaining)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else None
        except TimeoutError:
            raise AssertionError("the socket was still open at the deadline") from None


def welcomed(conn: ClientConnection) -> dict[str, Any]:
    frame = receive(conn)
    assert frame["type"] == "welcome", frame
    return frame
