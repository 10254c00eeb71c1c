"""Hostile frames: the WebSocket answers anything with an error frame or a policy close,
never crashes, and changes nothing.

Property-based: thousands of generated frames — text that is not JSON, JSON of the wrong
shape, wrong types, huge numbers, deep nesting, unknown types, random fields for every
operation and mangled envelopes — go through one real socket to ``relay.asgi.application``.
Any exception inside the consumer would surface from the communicator and fail the test.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from typing import Any

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relay import operations
from relay.consumers import (
    CLOSE_ORIGIN,
    CLOSE_POLICY,
    CLOSE_SECOND_FACTOR,
    CLOSE_TOO_BIG,
    CLOSE_UNAUTHENTICATED,
    CLOSE_UNSUPPORTED,
    RelayConsumer,
)
from tests.envelopes import seal_from
from tests.factories import Person, ShuttleCase, make_case
from tests.moderation.helpers import Sockets, SyncSocket, assert_plain_english, counts, sockets

pytestmark = pytest.mark.django_db(transaction=True)

# The socket's operations: those of the table offered as frames.
SOCKET_OPERATIONS = sorted(RelayConsumer.OPERATION_FRAMES)
FRAME_TYPES = ["hello", "ping", *SOCKET_OPERATIONS]
FIELD_NAMES = ["case_id", "message_id", "envelope", "after", "limit", "last_seq", "ref", "type"]
HUGE = st.sampled_from([2**63, 2**64 + 1, -(2**63) - 1, 10**100, -1, 2**31, 1e308, -0.0])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | HUGE
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
WRITES = {name for name in SOCKET_OPERATIONS if operations.OPERATIONS[name].writes}
FAST = settings(
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class Hostile:
    """One person's socket, reconnected whenever the consumer closes it for a bad frame,
    and the rules every answer must follow."""

    def __init__(self, opened: Sockets, person: Person, *, may_write: bool) -> None:
        self.may_write = may_write
        self.opened = opened
        self.person = person
        self.socket = self._connect()
        self.frames = 0
        self.closes: dict[int, int] = {}
        self.replies: list[str] = []
        self.accepted: list[str] = []
        # Error codes of the answers (``reply`` for a reply): "bad_frame" and "invalid" are
        # refusals before any operation runs; anything else came from an operation.
        self.codes: Counter[str] = Counter()

    def reached_operations(self) -> int:
        """How many frames got past frame and input validation into an operation."""
        return sum(n for code, n in self.codes.items() if code not in ("bad_frame", "invalid"))

    def _connect(self) -> SyncSocket:
        socket = self.opened.open(self.person)
        assert socket.welcome is not None
        self.latest = socket.welcome["latest_seq"]
        return socket

    def send_text(self, text: str) -> None:
        self.frames += 1
        before = counts() if self.may_write else None
        self.socket.send_text(text)
        answer = self.check_answer(text)
        if before is not None and answer["type"] in ("error", "close"):
            assert counts() == before, f"a refused frame changed state: {text[:200]}"
        elif answer["type"] == "reply":
            self.replies.append(answer["op"])
            self.accepted.append(text)

    def check_answer(self, text: str) -> dict[str, Any]:
        answer = self.socket.receive()
        if answer["type"] == "close":
            assert answer["code"] in (CLOSE_POLICY, CLOSE_TOO_BIG, CLOSE_UNSUPPORTED), answer
            self.closes[answer["code"]] = self.closes.get(answer["code"], 0) + 1
            self.socket.close()
            self.socket = self._connect()
            return answer
        assert answer["type"] in ("error", "reply", "pong", "ready"), answer
        if answer["type"] == "error":
            assert isinstance(answer["code"], str) and answer["code"]
            assert_plain_english(answer["message"])
            self.codes[answer["code"]] += 1
        elif answer["type"] == "reply":
            self.codes["reply"] += 1
        if answer["type"] == "ready":
            # hello replays what this socket has not seen: here, events up to ``latest``.
            last_seq = json.loads(text).get("last_seq", 0)
            for seq in range(last_seq + 1, self.latest + 1):
                frame = self.socket.receive()
                assert frame["type"] == "event" and frame["event"]["seq"] == seq, frame
        return answer


@pytest.fixture
def world() -> ShuttleCase:
    return make_case()


def hostile_run(
    sc: ShuttleCase, person: Person, examples: int, strategy: Any, *, may_write: bool = False
) -> Hostile:
    """Send ``examples`` generated frames as ``person``; assert nothing changed (unless
    ``may_write``: then only frames answered with an error or a close must change nothing)."""
    with sockets() as opened:
        hostile = Hostile(opened, person, may_write=may_write)
        before = counts()

        @settings(FAST, max_examples=examples)
        @given(strategy)
        def property_holds(text: str) -> None:
            hostile.send_text(text)

        property_holds()
        if not may_write:
            assert counts() == before, f"a hostile frame changed state: {hostile.accepted}"
            assert not set(hostile.replies) & WRITES, hostile.replies
        hostile.socket.send_text(json.dumps({"type": "ping", "ref": "alive"}))
        assert hostile.socket.receive() == {"type": "pong", "ref": "alive"}
    return hostile


def as_text(value: Any) -> str:
    return json.dumps(value)


# --- the properties ------------------------------------------------------------------------


def test_text_that_is_not_a_frame(world: ShuttleCase) -> None:
    texts = st.text(max_size=200) | JSON.map(as_text) | st.binary(max_size=50).map(repr)
    hostile = hostile_run(world, world.harmed, 400, texts)
    assert hostile.frames == 400


def test_deep_nesting(world: ShuttleCase) -> None:
    depth = st.integers(min_value=1, max_value=60_000)
    shapes = st.sampled_from(["[{}]", '{"a":{}}', '{"type":"send","envelope":{}}'])

    def nest(args: tuple[int, str]) -> str:
        n, shape = args
        if shape == "[{}]":
            return "[" * n + "]" * n
        if shape == '{"a":{}}':
            return '{"a":' * n + "1" + "}" * n
        return '{"type":"send","envelope":' + '{"x":' * n + "1" + "}" * n + "}"

    hostile_run(world, world.harmed, 100, st.tuples(depth, shapes).map(nest))


def frames_for(types: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    fields = st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=12), JSON, max_size=5)
    return st.tuples(types, fields, st.none() | st.text(max_size=80) | JSON).map(
        lambda t: as_text({**t[1], "type": t[0], **({"ref": t[2]} if t[2] is not None else {})})
    )


def test_random_fields_for_every_frame_type(world: ShuttleCase) -> None:
    types = st.sampled_from(FRAME_TYPES) | st.text(max_size=30)
    hostile_run(world, world.harmed, 500, frames_for(types))


def test_random_fields_for_every_operation_as_a_facilitator(world: ShuttleCase) -> None:
    hostile_run(world, world.facilitator, 300, frames_for(st.sampled_from(FRAME_TYPES)))


def test_real_ids_with_wrong_companions(world: ShuttleCase) -> None:
    """Real case and message ids paired with wrong types and values, so validation goes
    past the ids and into the actions."""
    from tests.moderation.helpers import submit

    pending = submit(world, world.responsible)
    ids = st.sampled_from([world.id, str(pending.pk), str(uuid.uuid4()), world.id.upper()])
    values = JSON | ids
    any_fields = st.tuples(
        st.sampled_from(SOCKET_OPERATIONS),
        st.dictionaries(st.sampled_from(FIELD_NAMES), values, max_size=4),
    ).map(lambda t: as_text({**t[1], "type": t[0]}))

    def with_its_fields(name: str) -> st.SearchStrategy[str]:
        """Exactly the fields the operation takes: an id where it wants one, anything else
        in the rest, so the frame passes input validation often enough to run the handler."""
        fields = operations.OPERATIONS[name].schema.model_fields
        shape = {field: ids if field.endswith("_id") else JSON for field in fields}
        return st.fixed_dictionaries(shape).map(lambda d: as_text({**d, "type": name}))

    # Not withdraw: that ends the participant's part in the case, and closes their socket.
    shaped = [with_its_fields(name) for name in SOCKET_OPERATIONS if name != "withdraw"]
    frames = any_fields | st.one_of(*shaped)
    hostile = hostile_run(world, world.harmed, 300, frames, may_write=True)
    assert hostile.frames == 300
    print(f"\nanswers: {dict(hostile.codes)}")  # noqa: T201
    assert hostile.reached_operations() >= 30, hostile.codes


def mangled_envelopes(sc: ShuttleCase) -> st.SearchStrategy[str]:
    good = seal_from(sc.harmed, sc, "question", "q")

    def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        found = [prefix]
        if isinstance(value, dict):
            for key, inner in value.items():
                found += paths(inner, (*prefix, key))
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                found += paths(inner, (*prefix, index))
        return found

    def replace(args: tuple[tuple[Any, ...], Any, str]) -> str | None:
        path, value, op = args
        envelope = json.loads(json.dumps(good))
        envelope["header"]["message_id"] = str(uuid.uuid4())
        target = envelope
        for step in path[:-1]:
            target = target[step]
        if json.dumps(target[path[-1]]) == json.dumps(value):
            return None  # not a change: the envelope would still be valid
        target[path[-1]] = value
        extra = {"message_id": str(uuid.uuid4())} if op != "send" else {}
        return as_text({"type": op, "envelope": envelope, **extra})

    # A mangled copy of a real envelope must never be stored; the one valid original is
    # never sent as is because every copy gets a replaced leaf.
    # (Well-formed base64 of the right size, "a" * 64 say, would be a valid envelope the
    # server cannot tell from a real one: only sizes and shapes are checked, never content.)
    values = JSON | st.sampled_from(["", "AAAA", "=" * 8, "not base64!", "a" * 60, "0" * 31])
    return (
        st.tuples(
            st.sampled_from([p for p in paths(good) if p]),
            values,
            st.sampled_from(["send", "forward"]),
        )
        .map(replace)
        .filter(lambda text: text is not None)
    )


def test_mangled_envelopes(world: ShuttleCase) -> None:
    hostile = hostile_run(world, world.harmed, 400, mangled_envelopes(world))
    assert hostile.frames == 400
    print(f"\nanswers: {dict(hostile.codes)}")  # noqa: T201
    assert hostile.reached_operations() >= 300, hostile.codes


def test_huge_numbers_and_wrong_types_in_known_fields(world: ShuttleCase) -> None:
    """The numeric fields the relay reads, with values no database column can hold."""
    values = [2**63, 2**64 + 1, 10**100, -1, -(2**63) - 1, 1.5, 1e308, "1", True, None, [], {}]
    frames = [{"type": "hello", "last_seq": v} for v in values]
    frames += [{"type": "events", "after": v} for v in values]
    frames += [{"type": "events", "limit": v} for v in values]
    frames += [{"type": "events", "after": 0, "limit": 1, "ref": v} for v in values]
    with sockets() as opened:
        hostile = Hostile(opened, world.harmed, may_write=False)
        before = counts()
        for frame in frames:
            hostile.send_text(json.dumps(frame))
        assert counts() == before
        hostile.socket.send_text(json.dumps({"type": "events", "after": 0, "ref": "ok"}))
        assert hostile.socket.receive()["type"] == "reply"


# --- policy closes ---------------------------------------------------------------------------


def test_oversized_frame_is_closed_with_4413(world: ShuttleCase) -> None:
    limit = django_settings.RELAY_MAX_FRAME_BYTES
    with sockets() as opened:
        before = counts()
        socket = opened.open(world.harmed)
        raw = seal_from(world.harmed, world, "question", "x" * 10)
        frame = json.dumps({"type": "send", "envelope": raw, "pad": "y" * limit})
        assert len(frame) > limit
        socket.send_text(frame)
        assert socket.receive() == {"type": "close", "code": CLOSE_TOO_BIG}
        # Just under the limit is answered normally (here: an unknown field).
        socket = opened.open(world.harmed)
        socket.send_text(json.dumps({"type": "ping", "pad": "y" * (limit - 100)}))
        assert socket.receive()["type"] == "pong"
        # Multi-byte characters count as bytes, not characters.
        socket.send_text(
            json.dumps({"type": "ping", "pad": "é" * (limit // 2 + 10)}, ensure_ascii=False)
        )
        assert socket.receive() == {"type": "close", "code": CLOSE_TOO_BIG}
        assert counts() == before


def test_binary_frame_is_closed_with_4415(world: ShuttleCase) -> None:
    with sockets() as opened:
        socket = opened.open(world.harmed)
        socket.send_bytes(json.dumps({"type": "ping"}).encode())
        assert socket.receive() == {"type": "close", "code": CLOSE_UNSUPPORTED}


def test_too_many_bad_frames_close_the_socket(world: ShuttleCase) -> None:
    with sockets() as opened:
        socket = opened.open(world.harmed)
        answers = []
        for _ in range(60):
            socket.send_text("not json")
            answers.append(socket.receive())
            if answers[-1]["type"] == "close":
                break
        assert answers[-1] == {"type": "close", "code": CLOSE_POLICY}
        assert all(a["type"] == "error" and a["code"] == "bad_frame" for a in answers[:-1])


def test_connect_is_refused_without_a_session_second_factor_or_allowed_origin(
    world: ShuttleCase,
) -> None:
    with sockets() as opened:
        assert opened.open(None, refused=True).close_code == CLOSE_UNAUTHENTICATED
        staff = opened.open(world.facilitator, second_factor=False, refused=True)
        assert staff.close_code == CLOSE_SECOND_FACTOR
        for origin in ("https://evil.example", "", "http://127.0.0.1:8000.evil.example", "null"):
            bad = opened.open(world.harmed, origin_header=origin, refused=True)
            assert bad.close_code == CLOSE_ORIGIN


def test_a_frame_on_a_refused_connection_is_never_acted_on() -> None:
    """A refused socket is accepted and closed at once; a frame that slips in before the
    close is ignored, never run."""
    from asgiref.sync import async_to_sync

    from relay.consumers import RelayConsumer

    consumer = RelayConsumer()
    closed: list[int] = []

    async def close(code: int | None = None, reason: str | None = None) -> None:
        closed.append(code or 0)

    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    consumer.close = close  # type: ignore[method-assign]
    consumer.send = send  # type: ignore[method-assign]
    async_to_sync(consumer.receive)(text_data='{"type": "pause", "case_id": "x"}')
    assert closed == [] and sent == []


def test_a_participant_who_turned_on_a_second_factor_needs_it_for_the_socket(
    world: ShuttleCase,
) -> None:
    from django_otp.plugins.otp_static.models import StaticDevice

    device = StaticDevice.objects.create(user=world.harmed.user, name="backup", confirmed=True)
    world.harmed.extra["otp_device"] = device
    with sockets() as opened:
        refused = opened.open(world.harmed, second_factor=False, refused=True)
        assert refused.close_code == CLOSE_SECOND_FACTOR
        opened.open(world.harmed)
        opened.open(world.responsible, second_factor=False)
