"""The idle timeout applies to sockets: at the session's idle deadline its sockets close
with 4002, with no HTTP request needed. Operation frames count as activity (as any HTTP
request does); ``ping`` and ``hello`` do not."""

from __future__ import annotations

import json
import time

import pytest
from websockets.exceptions import ConnectionClosed

from relay.accounts.models import Role
from tests.delivery.live import client_for
from tests.factories import make_person
from tests.sockets.live import close_code, raw_socket, receive, tuned_daphne, welcomed

pytestmark = pytest.mark.live
__all__ = ["tuned_daphne"]

IDLE = 3


@pytest.fixture
def server(tuned_daphne):  # type: ignore[no-untyped-def]
    return tuned_daphne(RELAY_IDLE_TIMEOUT=str(IDLE), RELAY_SOCKET_SWEEP_SECONDS="0.5")


def test_an_idle_sessions_socket_closes_at_its_deadline(server) -> None:  # type: ignore[no-untyped-def]
    client = client_for(server, make_person(Role.PARTICIPANT))
    client.get("/api/me")
    last_request = time.monotonic()
    with raw_socket(server, client) as conn:
        welcomed(conn)
        conn.send(json.dumps({"type": "hello", "last_seq": 0}))
        # Pings keep the connection up but are not activity.
        for _ in range(2):
            conn.send(json.dumps({"type": "ping"}))
        assert close_code(conn, timeout=IDLE + 5) == 4002
        closed_after = time.monotonic() - last_request
    assert IDLE - 0.5 < closed_after < IDLE + 2.5, closed_after
    # The session is over: HTTP says so, and a new socket is refused the same way.
    assert client.http.get("/api/me").status_code == 401


def test_a_socket_of_a_session_past_its_deadline_is_refused(server) -> None:  # type: ignore[no-untyped-def]
    client = client_for(server, make_person(Role.PARTICIPANT))
    client.get("/api/me")
    time.sleep(IDLE + 1)
    with raw_socket(server, client) as conn:
        assert close_code(conn) == 4002


def test_operation_frames_count_as_activity(server) -> None:  # type: ignore[no-untyped-def]
    client = client_for(server, make_person(Role.PARTICIPANT))
    started = time.monotonic()
    while time.monotonic() - started < 2 * IDLE:
        # A 1011 (the channel layer dropped the server's read) means reconnect, as documented.
        try:
            with raw_socket(server, client) as conn:
                welcomed(conn)
                while time.monotonic() - started < 2 * IDLE:
                    conn.send(json.dumps({"type": "cases", "ref": "c"}))
                    assert receive(conn)["type"] == "reply"
                    time.sleep(0.5)
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 1011, closed
    # No HTTP request in all that time, and the session is still alive.
    assert client.get("/api/me")["user_id"]
    with raw_socket(server, client) as conn:
        welcomed(conn)
        assert close_code(conn, timeout=IDLE + 5) == 4002
