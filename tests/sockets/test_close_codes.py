"""Every way the server ends a socket, as a client sees it through a real Daphne: the
documented 4xxx close code (Daphne refuses 1003, 1008 and 1009 from an application), and
the socket's slot is freed so nothing keeps working for a closed socket."""

from __future__ import annotations

import json
import time

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from relay.accounts.models import Role
from tests.delivery.live import client_for
from tests.factories import make_person
from tests.sockets.live import close_code, raw_socket, receive, tuned_daphne, welcomed

pytestmark = pytest.mark.live
__all__ = ["tuned_daphne"]

FRAME_LIMIT = 4096


def reopens(server, client) -> None:  # type: ignore[no-untyped-def]
    """With one socket allowed per session, a new socket opens: the closed one was
    forgotten by the server."""
    deadline = time.monotonic() + 5
    while True:
        with raw_socket(server, client) as conn:
            first = conn.recv(timeout=10)
            if json.loads(first)["type"] == "welcome":
                return
        if time.monotonic() > deadline:
            raise AssertionError("the closed socket still holds the session's only slot")
        time.sleep(0.2)


@pytest.fixture
def server(tuned_daphne):  # type: ignore[no-untyped-def]
    return tuned_daphne(RELAY_MAX_FRAME_BYTES=str(FRAME_LIMIT), RELAY_MAX_SOCKETS_PER_SESSION="1")


def test_an_oversized_frame_closes_with_4413(server) -> None:  # type: ignore[no-untyped-def]
    client = client_for(server, make_person(Role.PARTICIPANT))
    with raw_socket(server, client) as conn:
        welcomed(conn)
        conn.send(json.dumps({"type": "ping", "pad": "y" * FRAME_LIMIT}))
        assert close_code(conn) == 4413
    reopens(server, client)


def test_a_binary_frame_closes_with_4415(server) -> None:  # type: ignore[no-untyped-def]
    client = client_for(server, make_person(Role.PARTICIPANT))
    with raw_socket(server, client) as conn:
        welcomed(conn)
        conn.send(json.dumps({"type": "ping"}).encode())
        assert close_code(conn) == 4415
    reopens(server, client)


def test_a_flood_of_bad_frames_closes_with_4400(server) -> None:  # type: ignore[no-untyped-def]
    client = client_for(server, make_person(Role.PARTICIPANT))
    with raw_socket(server, client) as conn:
        welcomed(conn)
        for _ in range(50):
            conn.send("not json")
            frame = receive(conn)
            assert frame["type"] == "error" and frame["code"] == "bad_frame", frame
        conn.send("not json")
        assert close_code(conn) == 4400
    reopens(server, client)


# --- refusals at the handshake: accepted, then closed with a code that says why ----------


def test_no_session_is_told_to_sign_in(daphne) -> None:  # type: ignore[no-untyped-def]
    try:
        with raw_socket(daphne) as conn:
            assert close_code(conn) == 4401
    except InvalidStatus as refused:
        pytest.fail(f"the handshake was refused with HTTP {refused.response.status_code}")


def test_staff_without_a_second_factor_are_told_so(daphne) -> None:  # type: ignore[no-untyped-def]
    from tests.accounts.live import weak_floor_client

    person = make_person(Role.FACILITATOR)
    client = weak_floor_client(daphne)
    client.sign_in(person.user.username, person.password)  # password only
    try:
        with raw_socket(daphne, client) as conn:
            assert close_code(conn) == 4403
    except InvalidStatus as refused:
        pytest.fail(f"the handshake was refused with HTTP {refused.response.status_code}")


@pytest.mark.parametrize("origin", ["https://evil.example", "null"])
def test_a_foreign_origin_is_told_so_before_anything_else(daphne, origin) -> None:  # type: ignore[no-untyped-def]
    # Even without a session: a foreign page learns nothing about the visitor's sign-in.
    for client in (None, client_for(daphne, make_person(Role.PARTICIPANT))):
        try:
            with raw_socket(daphne, client, origin=origin) as conn:
                assert close_code(conn) == 4003
        except InvalidStatus as refused:
            pytest.fail(f"the handshake was refused with HTTP {refused.response.status_code}")


def test_frames_sent_to_a_refused_socket_are_never_acted_on(daphne) -> None:  # type: ignore[no-untyped-def]
    with raw_socket(daphne) as conn:
        try:
            conn.send(json.dumps({"type": "cases", "ref": "x"}))
        except ConnectionClosed:
            pass  # the close may already be here
        # No reply ever comes: the first and only thing from the server is the close.
        assert close_code(conn) == 4401
