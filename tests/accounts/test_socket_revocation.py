"""Sockets follow the session: every socket of a user closes within five seconds of
signing out, a password change and a suspension (real Daphne; with REDIS_URL set the
channel layer is Redis, and a second test spreads the sockets over two Daphne processes)."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import pytest
from websockets.sync.client import connect

from relay.accounts.models import Role
from relay.consumers import CLOSE_REVOKED, CLOSE_SECOND_FACTOR, CLOSE_UNAUTHENTICATED
from tests.accounts.live import totp_now, wait_closed, weak_floor_client
from tests.conftest import DaphneProcess
from tests.delivery.live import client_for
from tests.factories import make_case, make_person, otp_token
from tests.sockets.live import close_code

pytestmark = pytest.mark.live

LIMIT = 5.0
NEW_PASSWORD = "an entirely new passphrase for the test"


def two_sessions(server, person):
    """The same person signed in twice (two devices), each with an open socket."""
    return [client_for(server, person) for _ in range(2)]


def assert_all_close(socks, started: float) -> list[float]:
    deadline = started + LIMIT
    delays = []
    for sock in socks:
        code, at = wait_closed(sock, deadline)
        assert code in (CLOSE_REVOKED, CLOSE_UNAUTHENTICATED), code
        delays.append(at - started)
    assert max(delays) < LIMIT
    return delays


def assert_sockets_close_on(clients, act: Callable[[], Any]) -> Any:
    """Open a socket for each client, do ``act``, and see every socket close within the
    limit. Returns what ``act`` returned."""
    with ExitStack() as stack:
        socks = [stack.enter_context(c.socket()) for c in clients]
        started = time.monotonic()
        result = act()
        assert_all_close(socks, started)
    return result


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.FACILITATOR])
def test_signing_out_closes_every_socket_of_the_user(daphne, role):
    person = make_person(role)
    bystander = make_person(Role.PARTICIPANT)
    first, second = two_sessions(daphne, person)
    other = client_for(daphne, bystander)
    with other.socket() as other_sock:
        assert_sockets_close_on([first, second], first.sign_out)
        # Someone else's socket stays open.
        assert other_sock.request("events", after=0) is not None


def test_a_password_change_closes_every_socket_of_the_user(daphne):
    person = make_person(Role.PARTICIPANT)
    first, second = two_sessions(daphne, person)
    assert_sockets_close_on(
        [first, second], lambda: first.change_password(person.password, NEW_PASSWORD)
    )
    # The session that changed the password is kept; the other one has ended.
    assert first.get("/api/me")["user_id"] == person.id
    assert second.http.get("/api/me").status_code == 401
    with first.socket() as again:
        assert again.request("events", after=0) is not None


def test_suspension_closes_every_socket_and_ends_every_session(daphne):
    sc = make_case()
    manager = client_for(daphne, sc.manager)
    first, second = two_sessions(daphne, sc.harmed)
    assert_sockets_close_on([first, second], lambda: manager.suspend(sc.harmed.id))
    for client in (first, second):
        assert client.http.get("/api/me").status_code == 401
    fresh = weak_floor_client(daphne)
    with pytest.raises(Exception) as refused:
        fresh.sign_in(sc.harmed.user.username, sc.harmed.password)
    assert "do not match" in str(refused.value)
    manager.reinstate(sc.harmed.id)
    fresh.sign_in(sc.harmed.user.username, sc.harmed.password)
    assert fresh.me["user_id"] == sc.harmed.id


def test_only_a_hub_manager_suspends(daphne):
    sc = make_case()
    facilitator = client_for(daphne, sc.facilitator)
    with pytest.raises(Exception) as refused:
        facilitator.suspend(sc.harmed.id)
    assert "404" in str(refused.value)
    sc.harmed.user.refresh_from_db()
    assert sc.harmed.user.suspended_at is None


@pytest.mark.redis
def test_sockets_on_another_daphne_process_close_too(daphne):
    """With the Redis channel layer, a sign-out handled by one process closes the user's
    sockets on another."""
    second_server = DaphneProcess().start()
    try:
        person = make_person(Role.PARTICIPANT)
        here = client_for(daphne, person)
        there = client_for(second_server, person)
        assert_sockets_close_on([there, here], here.sign_out)
    finally:
        second_server.stop()


def test_a_second_factor_change_closes_every_socket_of_the_user(daphne):
    person = make_person(Role.FACILITATOR)
    first, second = two_sessions(daphne, person)
    setup = first.otp_setup()
    codes = assert_sockets_close_on(
        [first, second], lambda: first.otp_confirm(totp_now(setup["otpauth_uri"]))
    )
    assert len(codes) == 10


def test_staff_without_a_verified_second_factor_get_no_socket(daphne):
    person = make_person(Role.FACILITATOR)
    client = weak_floor_client(daphne)
    client.sign_in(person.user.username, person.password)  # password only
    cookie = "; ".join(f"{k}={v}" for k, v in client.http.cookies.items())
    url = daphne.url.replace("http", "ws", 1) + "/ws/"
    # The handshake completes and the server closes at once with 4403, before any frame.
    with connect(
        url, origin=client.origin, additional_headers={"Cookie": cookie}, open_timeout=5
    ) as refused:
        assert close_code(refused) == CLOSE_SECOND_FACTOR
    client.complete_second_factor(otp_token(person))
    with client.socket() as sock:
        assert sock.request("cases")["cases"] == []
