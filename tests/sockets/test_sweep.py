"""The one sweep per process: a session that ends with no push (its row deleted, as
``clearsessions`` or an administrator would) still closes its sockets; and the Python
client reports what a close code means and whether to reconnect."""

from __future__ import annotations

import json
import time

import pytest
from django.contrib.sessions.models import Session

from relay.accounts.models import Role
from relay_client.client import SocketClosed
from tests.accounts.live import weak_floor_client
from tests.delivery.live import client_for
from tests.factories import make_person
from tests.sockets.live import close_code, raw_socket, tuned_daphne, welcomed

pytestmark = pytest.mark.live
__all__ = ["tuned_daphne"]


def test_a_session_that_ends_without_a_push_closes_its_sockets(tuned_daphne) -> None:  # type: ignore[no-untyped-def]
    server = tuned_daphne(RELAY_SOCKET_SWEEP_SECONDS="0.5")
    person = make_person(Role.PARTICIPANT)
    client, other = client_for(server, person), client_for(server, person)
    key = client.http.cookies["sessionid"]
    with raw_socket(server, client) as conn, raw_socket(server, other) as kept:
        welcomed(conn)
        welcomed(kept)
        Session.objects.filter(session_key=key).delete()
        started = time.monotonic()
        assert close_code(conn, timeout=5) == 4001
        assert time.monotonic() - started < 2.5
        # The other session's socket is untouched.
        kept.send(json.dumps({"type": "ping", "ref": "k"}))
        assert json.loads(kept.recv(timeout=5)) == {"type": "pong", "ref": "k"}


def test_the_python_client_says_whether_to_reconnect(daphne) -> None:  # type: ignore[no-untyped-def]
    staff = make_person(Role.FACILITATOR)
    client = weak_floor_client(daphne)
    client.sign_in(staff.user.username, staff.password)  # no second factor yet
    with pytest.raises(SocketClosed) as refused, client.socket():
        pass
    assert refused.value.close_code == 4403
    assert refused.value.reconnect is False
    assert "second factor" in refused.value.meaning

    participant = client_for(daphne, make_person(Role.PARTICIPANT))
    with pytest.raises(SocketClosed) as closed, participant.socket() as sock:
        sock.conn.send(b"binary")
        sock.drain(5)
    assert closed.value.close_code == 4415
    assert closed.value.reconnect is True


@pytest.mark.redis
def test_an_idle_socket_stays_open_on_the_redis_channel_layer(daphne) -> None:  # type: ignore[no-untyped-def]
    """A socket that hears nothing for longer than the channel layer's 5-second blocking
    read is not dropped (it was, with 1011, under redis-py 8's default read timeout)."""
    client = client_for(daphne, make_person(Role.PARTICIPANT))
    with raw_socket(daphne, client) as conn:
        welcomed(conn)
        with pytest.raises(TimeoutError):
            conn.recv(timeout=12)
        conn.send(json.dumps({"type": "ping", "ref": "still"}))
        assert json.loads(conn.recv(timeout=5)) == {"type": "pong", "ref": "still"}
