"""``hello`` needs ``last_seq``; ``bad_frame`` echoes a valid ``ref`` (real Daphne)."""

from __future__ import annotations

import json

import pytest

from relay.accounts.models import Role
from tests.delivery.live import client_for
from tests.factories import make_case, make_person
from tests.sockets.live import raw_socket, receive, welcomed

pytestmark = pytest.mark.live


def test_hello_without_last_seq_is_a_bad_frame(daphne) -> None:  # type: ignore[no-untyped-def]
    client = client_for(daphne, make_case().harmed)
    with raw_socket(daphne, client) as conn:
        assert welcomed(conn)["latest_seq"] > 0  # there is a stream to replay
        conn.send(json.dumps({"type": "hello", "ref": "h1"}))
        answer = receive(conn)
        assert answer["type"] == "error" and answer["code"] == "bad_frame", answer
        assert answer["ref"] == "h1"
        # Nothing was replayed: the next frame answers the next request.
        conn.send(json.dumps({"type": "ping", "ref": "p"}))
        assert receive(conn) == {"type": "pong", "ref": "p"}


@pytest.mark.parametrize(
    ("frame", "ref"),
    [
        ({"ref": "r1", "type": 5}, "r1"),
        ({"ref": "r2"}, "r2"),
        ({"ref": "r3", "type": "no such frame"}, "r3"),
        ({"ref": "r4", "type": "hello", "last_seq": -1}, "r4"),
        ({"ref": "r5", "type": "hello", "last_seq": 0, "extra": 1}, "r5"),
        ({"ref": 7, "type": "ping"}, None),
        ({"ref": "x" * 65, "type": "ping"}, None),
    ],
)
def test_bad_frame_echoes_a_valid_ref(daphne, frame, ref) -> None:  # type: ignore[no-untyped-def]
    client = client_for(daphne, make_person(Role.PARTICIPANT))
    with raw_socket(daphne, client) as conn:
        welcomed(conn)
        conn.send(json.dumps(frame))
        answer = receive(conn)
        assert answer["type"] == "error" and answer["code"] == "bad_frame", answer
        assert answer["ref"] == ref
