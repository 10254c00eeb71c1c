"""Invariant 4: a Daphne killed with SIGKILL while messages are in flight loses nothing and
duplicates nothing.

Several devices of the person harmed send messages with client-generated ids, over HTTP and
over the WebSocket, while the facilitator's and the sender's sockets listen. Daphne is killed
with SIGKILL mid-stream and started again on the same port. Each sender retries every message
it had no acknowledgement for, with the same envelope; every socket reconnects with
``hello{last_seq}``. Every message must be stored once, every acknowledged message kept, and
every socket must see every event once, in order.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from relay.audit.models import AuditEvent, AuditEventType
from relay.moderation.models import Message
from relay_client.client import RelayClient
from tests.conftest import DaphneProcess
from tests.delivery.live import DISCONNECTED, Listener, adopt, client_for, message_ids, read_until
from tests.factories import make_case

HTTP_SENDERS = 6
SOCKET_SENDERS = 2
PER_SENDER = 8
KILL_AFTER_ACKS = 20


class Run:
    """Shared state of one kill-and-restart run."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.up = threading.Event()
        self.up.set()
        self.acked: dict[str, dict[str, Any]] = {}
        self.outstanding: set[str] = set()
        self.retried: dict[str, bool] = {}  # id -> the retry was a duplicate
        self.errors: list[BaseException] = []

    def ack(self, message_id: str, reply: dict[str, Any], *, attempt: int) -> None:
        with self.lock:
            self.outstanding.discard(message_id)
            self.acked[message_id] = reply
            if attempt > 1:
                self.retried[message_id] = reply["duplicate"]

    def start(self, message_id: str) -> None:
        with self.lock:
            self.outstanding.add(message_id)


def wait_for_server(run: Run) -> None:
    run.up.wait(60)
    time.sleep(0.05)


def send_over_http(client: RelayClient, envelopes: list[dict[str, Any]], run: Run) -> None:
    try:
        for envelope in envelopes:
            message_id = envelope["header"]["message_id"]
            attempt = 0
            while True:
                attempt += 1
                run.start(message_id)
                try:
                    reply = client.send_envelope(envelope)
                except DISCONNECTED:
                    wait_for_server(run)
                    continue
                run.ack(message_id, reply, attempt=attempt)
                break
    except BaseException as exc:  # noqa: BLE001
        run.errors.append(exc)


def send_over_socket(
    client: RelayClient,
    envelopes: list[dict[str, Any]],
    run: Run,
    events: list[dict[str, Any]],
    done: Callable[[], bool],
) -> None:
    try:
        attempts: Counter[str] = Counter()
        queue = list(envelopes)
        while queue or not done():
            try:
                with client.socket() as sock:
                    adopt(sock, events)
                    while queue:
                        message_id = queue[0]["header"]["message_id"]
                        attempts[message_id] += 1
                        run.start(message_id)
                        reply = sock.request("send", envelope=queue[0])
                        run.ack(message_id, reply, attempt=attempts[message_id])
                        queue.pop(0)
                    read_until(sock, done)
            except DISCONNECTED:
                wait_for_server(run)
    except BaseException as exc:  # noqa: BLE001
        run.errors.append(exc)


@pytest.mark.live
def test_sigkill_mid_stream_loses_and_duplicates_nothing(
    transactional_db: None, record_property: Callable[[str, object], None]
) -> None:
    sc = make_case()
    server = DaphneProcess().start()
    run = Run()
    try:
        facilitator = client_for(server, sc.facilitator)
        listener = client_for(server, sc.harmed)
        senders = [client_for(server, sc.harmed) for _ in range(HTTP_SENDERS + SOCKET_SENDERS)]
        plan = [
            [
                s.compose(sc.id, "question", f"question {n}.{i}", message_id=str(uuid.uuid4()))
                for i in range(PER_SENDER)
            ]
            for n, s in enumerate(senders)
        ]
        intended = [e["header"]["message_id"] for batch in plan for e in batch]
        total = len(intended)

        def all_of_them(events: list[dict[str, Any]]) -> bool:
            return len(message_ids(events)) >= total

        listeners = {
            "facilitator": Listener(facilitator, until=all_of_them),
            "harmed listener": Listener(listener, until=all_of_them),
        }
        streams: dict[str, list[dict[str, Any]]] = {
            **{name: each.events for name, each in listeners.items()},
            **{f"socket sender {i}": [] for i in range(SOCKET_SENDERS)},
        }

        def complete(stream: str) -> Callable[[], bool]:
            return lambda: all_of_them(streams[stream])

        threads: list[threading.Thread] = list(listeners.values())
        for i in range(SOCKET_SENDERS):
            name = f"socket sender {i}"
            threads.append(
                threading.Thread(
                    target=send_over_socket,
                    args=(senders[i], plan[i], run, streams[name], complete(name)),
                )
            )
        for i in range(SOCKET_SENDERS, len(senders)):
            threads.append(threading.Thread(target=send_over_http, args=(senders[i], plan[i], run)))
        for each in listeners.values():
            each.start()
        for each in listeners.values():  # the listeners are connected before the first send
            assert each.connected.wait(10)
        for thread in threads[len(listeners) :]:
            thread.start()

        deadline = time.monotonic() + 60
        while len(run.acked) < KILL_AFTER_ACKS and time.monotonic() < deadline:
            time.sleep(0.002)
        with run.lock:
            run.up.clear()
            server.kill()
            in_flight = set(run.outstanding)
            acked_at_kill = set(run.acked)
        time.sleep(0.5)
        server = DaphneProcess(port=server.port).start()
        run.up.set()

        for thread in threads:
            thread.join(120)
        assert not any(t.is_alive() for t in threads), "a client never finished"
        assert run.errors == []
        assert {name: each.errors for name, each in listeners.items()} == {
            name: [] for name in listeners
        }
    finally:
        server.stop()

    record_property("in_flight_at_kill", len(in_flight))
    committed_unacked = sorted(i for i, duplicate in run.retried.items() if duplicate)
    print(  # noqa: T201 — the figures the invariant-4 report quotes
        f"\n{total} messages; acknowledged before the kill: {len(acked_at_kill)}; "
        f"in flight at the kill: {len(in_flight)}; stored but unacknowledged (retry said "
        f"duplicate): {len(committed_unacked)}; retried and stored by the retry: "
        f"{sum(1 for d in run.retried.values() if not d)}"
    )
    assert 0 < len(acked_at_kill) < total, "the kill must land mid-stream"
    assert_nothing_lost_or_duplicated(sc.case.pk, plan, run, streams)


def assert_nothing_lost_or_duplicated(
    case_pk: Any,
    plan: list[list[dict[str, Any]]],
    run: Run,
    streams: dict[str, list[dict[str, Any]]],
) -> None:
    """Every message of ``plan`` acknowledged and stored once (and audited once), and every
    stream saw every message once, in ``seq`` order, each device's in the order it sent them."""
    intended = [e["header"]["message_id"] for batch in plan for e in batch]
    total = len(intended)
    assert set(run.acked) == set(intended)

    stored = Counter(
        str(i) for i in Message.objects.filter(pk__in=intended).values_list("pk", flat=True)
    )
    assert sorted(stored) == sorted(intended) and set(stored.values()) == {1}
    # No retry was stored again under another id: the case holds exactly the messages sent.
    assert Message.objects.filter(case_id=case_pk).count() == total
    audited = AuditEvent.objects.filter(
        event_type=AuditEventType.MESSAGE_SUBMITTED, case_id=case_pk
    ).count()
    assert audited == total

    for name, events in streams.items():
        seqs = [e["seq"] for e in events]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), name
        ids = message_ids(events)
        assert Counter(ids) == Counter(intended), name
        for batch in plan:  # each device's messages arrive in the order it sent them
            mine = [e["header"]["message_id"] for e in batch]
            assert [i for i in ids if i in set(mine)] == mine, name
