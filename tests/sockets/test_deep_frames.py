"""A frame nested deeper than the JSON limit (32, as for HTTP bodies) is a ``bad_frame``
that names the limit and echoes the frame's ``ref``; one too deep to parse at all is a
``bad_frame`` without a ``ref``. Either way the socket stays open (real Daphne)."""

from __future__ import annotations

import json

import pytest

from relay.accounts.models import Role
from relay.limits import MAX_JSON_DEPTH
from tests.delivery.live import client_for
from tests.factories import make_case, make_person
from tests.sockets.live import raw_socket, receive, welcomed

pytestmark = pytest.mark.live


def nested(depth: int) -> str:
    """A JSON array nested ``depth`` levels deep."""
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("kind", ["ping", "hello", "forward"])
def test_a_frame_nested_past_the_limit_is_a_bad_frame_with_its_ref(daphne, kind) -> None:  # type: ignore[no-untyped-def]
    client = client_for(daphne, make_person(Role.PARTICIPANT))
    with raw_socket(daphne, client) as conn:
        welcomed(conn)
        # The frame object is level 1: the field nests MAX_JSON_DEPTH more levels.
        conn.send(f'{{"type": "{kind}", "ref": "d1", "x": {nested(MAX_JSON_DEPTH)}}}')
        answer = receive(conn)
        assert answer["type"] == "error" and answer["code"] == "bad_frame", answer
        assert answer["ref"] == "d1"
        assert "nested more than 32 levels deep" in answer["message"]
        conn.send(json.dumps({"type": "ping", "ref": "p"}))
        assert receive(conn) == {"type": "pong", "ref": "p"}


def test_a_frame_just_at_the_limit_is_answered(daphne) -> None:  # type: ignore[no-untyped-def]
    client = client_for(daphne, make_person(Role.PARTICIPANT))
    with raw_socket(daphne, client) as conn:
        welcomed(conn)
        conn.send(f'{{"type": "ping", "ref": "ok", "x": {nested(MAX_JSON_DEPTH - 1)}}}')
        assert receive(conn) == {"type": "pong", "ref": "ok"}


def test_a_frame_too_deep_to_parse_is_a_bad_frame_and_the_socket_stays_open(daphne) -> None:  # type: ignore[no-untyped-def]
    client = client_for(daphne, make_case().harmed)
    with raw_socket(daphne, client) as conn:
        welcomed(conn)
        conn.send(f'{{"type": "ping", "ref": "d2", "x": {nested(100_000)}}}')
        answer = receive(conn)
        assert answer["type"] == "error" and answer["code"] == "bad_frame", answer
        assert "nested more than 32 levels deep" in answer["message"]
        conn.send(json.dumps({"type": "ping", "ref": "p"}))
        assert receive(conn) == {"type": "pong", "ref": "p"}
