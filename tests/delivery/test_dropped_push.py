"""Invariant 4: push is an optimisation. A lost wake-up or a full channel layer loses and
duplicates nothing: the socket sends what it missed from the database on its next wake,
on its process's periodic sweep, or after a reconnect with ``hello{last_seq}``.

The tests of the push path set the sweep to a minute and want each event well within a
second, so they fail if only the sweep delivers; the test of the sweep sets it short and
checks that the wakes it repairs were really dropped."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from channels.layers import InMemoryChannelLayer, channel_layers

from relay.consumers import RelayConsumer
from relay.delivery import streams
from tests.delivery.inprocess import connected, new_case, submit
from tests.delivery.live import client_for
from tests.factories import Person, make_case
from tests.sockets.live import tuned_daphne

__all__ = ["tuned_daphne"]

pytestmark = [pytest.mark.django_db(transaction=True)]

SLOW_SWEEP = 60.0  # seconds: far longer than any push-path test waits
PUSH_WITHIN = 1.0  # seconds: what the push path may take per event


def message_ids(events: list[dict]) -> list[str]:
    return [e["message"]["message_id"] for e in events if e["type"] == "message"]


class DroppedWakes(set[int]):
    """The sequence numbers whose wakes to drop, and the wakes that were in fact dropped."""

    def __init__(self) -> None:
        super().__init__()
        self.hits: list[tuple[str, int]] = []

    def of(self, person: Person) -> list[int]:
        return [seq for user_id, seq in self.hits if user_id == person.id]


@pytest.fixture
def dropped_wakes(monkeypatch: pytest.MonkeyPatch) -> Iterator[DroppedWakes]:
    """Wakes for the sequence numbers in the returned set are dropped, as if the channel
    layer had lost them."""
    dropped = DroppedWakes()
    original = streams.wake

    def wake(user_id, seq):  # type: ignore[no-untyped-def]
        if seq in dropped:
            dropped.hits.append((str(user_id), seq))
            return
        original(user_id, seq)

    monkeypatch.setattr(streams, "wake", wake)
    yield dropped


@pytest.fixture
def slow_sweep(settings: Any) -> None:
    """The process's sweep runs only after a minute: what arrives sooner came by push."""
    settings.RELAY_SOCKET_SWEEP_SECONDS = SLOW_SWEEP


@pytest.mark.asyncio
@pytest.mark.usefixtures("slow_sweep")
async def test_a_dropped_wake_is_repaired_by_the_next_one(dropped_wakes: DroppedWakes) -> None:
    shuttle = await new_case()
    device = await connected(shuttle.facilitator)
    start = device.last_seq
    dropped_wakes.update({start + 1, start + 2, start + 4})
    sent = [await submit(shuttle, shuttle.harmed, f"question {i}") for i in range(5)]
    events = await device.wait_for_events(5, timeout=PUSH_WITHIN)
    assert [e["seq"] for e in events] == list(range(start + 1, start + 6))
    assert message_ids(events) == sent
    assert dropped_wakes.of(shuttle.facilitator) == [start + 1, start + 2, start + 4]
    assert await device.nothing_more()
    await device.close()


@pytest.mark.asyncio
async def test_dropped_wakes_are_caught_up_without_reconnecting(
    dropped_wakes: DroppedWakes, settings: Any
) -> None:
    # The process's sweep (relay.sockets) finds them; a short interval keeps the test quick.
    settings.RELAY_SOCKET_SWEEP_SECONDS = 1.0
    shuttle = await new_case()
    device = await connected(shuttle.facilitator)
    start = device.last_seq
    dropped_wakes.update(range(start + 1, start + 4))
    sent = [await submit(shuttle, shuttle.harmed, f"unannounced {i}") for i in range(3)]
    # No wake arrives; the process's periodic sweep finds the events in the database.
    events = await device.wait_for_events(3, timeout=4 * settings.RELAY_SOCKET_SWEEP_SECONDS)
    assert message_ids(events) == sent
    assert dropped_wakes.of(shuttle.facilitator) == [start + 1, start + 2, start + 3]
    assert await device.nothing_more()
    await device.close()


@pytest.mark.asyncio
async def test_reconnect_with_last_seq_replays_exactly_what_was_missed(
    dropped_wakes: DroppedWakes,
) -> None:
    shuttle = await new_case()
    device = await connected(shuttle.harmed)
    first = await submit(shuttle, shuttle.harmed, "seen live")
    await device.wait_for_events(1)
    await device.close()
    start = device.last_seq
    dropped_wakes.update(range(start + 1, start + 4))
    missed = [await submit(shuttle, shuttle.harmed, f"while away {i}") for i in range(3)]
    await device.connect()
    events = await device.wait_for_events(4)
    assert message_ids(events) == [first, *missed]
    assert [e["seq"] for e in events] == list(range(start, start + 4))
    assert await device.nothing_more()
    await device.close()


def full_layers() -> list[str]:
    kinds = ["memory"]
    if os.environ.get("REDIS_URL"):
        kinds.append("redis")
    return kinds


@pytest.mark.asyncio
@pytest.mark.usefixtures("slow_sweep")
@pytest.mark.parametrize("kind", full_layers())
async def test_a_full_channel_layer_loses_nothing(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Capacity 1: while the socket is busy, wakes beyond the one queued are refused by
    the layer. The events still arrive, in order, once, from the database."""
    if kind == "memory":
        layer = InMemoryChannelLayer(capacity=1)
    else:
        from channels_redis.core import RedisChannelLayer

        layer = RedisChannelLayer(
            hosts=[os.environ["REDIS_URL"]], prefix="relaytest-full", capacity=1
        )
    monkeypatch.setitem(channel_layers.backends, "default", layer)
    shuttle = await new_case()
    device = await connected(shuttle.facilitator)
    start = device.last_seq

    gate, busy = asyncio.Event(), asyncio.Event()
    original = RelayConsumer._flush

    async def busy_flush(self: RelayConsumer) -> None:
        busy.set()
        await gate.wait()
        await original(self)

    monkeypatch.setattr(RelayConsumer, "_flush", busy_flush)
    sent = [await submit(shuttle, shuttle.harmed, "burst 0")]
    await asyncio.wait_for(busy.wait(), 10)  # the socket is now held up by its first wake
    sent += [await submit(shuttle, shuttle.harmed, f"burst {i}") for i in range(1, 6)]
    if kind == "memory":
        assert [q.qsize() for q in layer.channels.values()] == [1], "the channel is full"
    gate.set()
    events = await device.wait_for_events(6, timeout=PUSH_WITHIN)
    assert [e["seq"] for e in events] == list(range(start + 1, start + 7))
    assert message_ids(events) == sent
    assert await device.nothing_more(0.5)
    await device.close()
    if kind == "redis":
        await layer.flush()


@pytest.mark.asyncio
async def test_a_long_absence_is_replayed_across_pages(dropped_wakes: DroppedWakes) -> None:
    """More events than one catch-up page (200) while away: all of them, once, in order."""
    shuttle = await new_case()
    device = await connected(shuttle.facilitator)
    await device.close()
    start = device.last_seq
    dropped_wakes.update(range(start + 1, start + 500))
    missed = [await submit(shuttle, shuttle.harmed, f"away {i}") for i in range(230)]
    await device.connect()
    events = await device.wait_for_events(230)
    assert [e["seq"] for e in events] == list(range(start + 1, start + 231))
    assert message_ids(events) == missed
    assert dropped_wakes.of(shuttle.facilitator) == list(range(start + 1, start + 231))
    assert await device.nothing_more()
    await device.close()


@pytest.mark.live
def test_a_real_socket_pushes_every_event_itself(tuned_daphne: Any) -> None:
    """Through a real Daphne with a sweep of a minute, the Python client's socket gets every
    event pushed, in order, well within a second each. Its reader would fill a gap in the
    sequence over HTTP; here a push lost silently must fail the test, so the fills are
    counted and must be none."""
    server = tuned_daphne(RELAY_SOCKET_SWEEP_SECONDS=str(SLOW_SWEEP))
    shuttle = make_case()
    client = client_for(server, shuttle.facilitator)
    harmed = client_for(server, shuttle.harmed)
    fills: list[int] = []
    with client.socket() as sock:
        fill_gap = sock._fill_gap

        def counted(up_to: int) -> None:
            fills.append(up_to)
            fill_gap(up_to)

        sock._fill_gap = counted  # type: ignore[method-assign]
        assert sock.drain(0.5)  # what happened before: the case being set up, replayed
        start = client.last_seq
        sent = []
        for i in range(5):
            started = time.monotonic()
            sent.append(harmed.send(shuttle.id, "question", f"pushed {i}")["message_id"])
            [event] = sock.events(1, timeout=PUSH_WITHIN)
            assert time.monotonic() - started < PUSH_WITHIN
            assert fills == [], "every event came over the socket itself"
            assert event["seq"] == start + i + 1
            assert event["message"]["message_id"] == sent[-1]
        assert sock.drain(0.3) == []
        assert fills == []
