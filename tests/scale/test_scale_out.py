"""More processes add capacity: several Daphne processes on one box behind Caddy (running
deploy/Caddyfile), sharing one PostgreSQL database and one Redis, behave as one server.

- a message submitted through one process reaches sockets held by the others, in order, once;
- the proxy path works end to end: sign-in, CSRF, the WebSocket upgrade and its Origin check,
  a session made on one process used on another;
- a process killed with SIGKILL under connected sockets: the clients reconnect through Caddy
  to the survivors and catch up, nothing lost or duplicated;
- a pause committed through one process reaches the case's sockets on every process within
  a second.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from django.core.cache import cache
from websockets.exceptions import ConnectionClosed

from relay.accounts import throttle
from relay.audit.models import AuditEvent, AuditEventType
from relay_client.client import RelayApiError, RelayClient, RelaySocket
from tests.accounts.live import wait_closed, weak_floor_client
from tests.delivery.live import DISCONNECTED, Listener, adopt, message_ids, read_until
from tests.delivery.test_sigkill import Run, assert_nothing_lost_or_duplicated
from tests.factories import make_case
from tests.scale.cluster import Cluster, socket_through

pytestmark = [
    pytest.mark.live,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.timeout(180),
]

ClusterOf = Callable[..., Cluster]


def assert_in_order_once(events: list[dict[str, Any]], expected_ids: list[str]) -> None:
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
    assert message_ids(events) == expected_ids


def wait_for_events(sock: RelaySocket, count: int, timeout: float = 10) -> list[float]:
    """Read until ``count`` events are pending; return when each arrived (monotonic)."""
    arrived: list[float] = []
    deadline = time.monotonic() + timeout
    while len(sock.pending_events) < count:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{len(sock.pending_events)} of {count} events arrived")
        before = len(sock.pending_events)
        try:
            sock._recv(min(remaining, 0.5))
        except TimeoutError:
            continue
        arrived += [time.monotonic()] * (len(sock.pending_events) - before)
    return arrived


def quiet(sock: RelaySocket, seconds: float = 1.0) -> list[dict[str, Any]]:
    """Whatever else arrives within ``seconds`` (nothing, when every event came once)."""
    return sock.drain(quiet=seconds)


def test_a_message_sent_through_one_process_reaches_sockets_held_by_the_others(
    cluster_of: ClusterOf,
) -> None:
    cluster = cluster_of(3)
    assert [cluster.served_by(n) for n in range(3)] == [0, 1, 2]
    sc = make_case()
    harmed = cluster.client(sc.harmed, pin=0)
    facilitator = cluster.client(sc.facilitator, pin=1)
    responsible = cluster.client(sc.responsible, pin=2)
    for client in (harmed, facilitator, responsible):
        client.catch_up()

    with socket_through(facilitator, pin=1) as f_sock, socket_through(responsible, pin=2) as r_sock:
        sent, ack_ms, push_ms = [], [], []
        for i in range(5):
            envelope = harmed.compose(sc.id, "question", f"question {i}")
            began = time.monotonic()
            sent.append(harmed.send_envelope(envelope)["message_id"])
            ack_ms.append(1000 * (time.monotonic() - began))
            (arrived,) = wait_for_events(f_sock, i + 1)[-1:]
            push_ms.append(1000 * (arrived - began))
        received = quiet(f_sock)  # the five, and nothing more
        assert_in_order_once(received, sent)

        # The facilitator forwards through process 1; the person responsible
        # reads it on process 2.
        original = next(e for e in received if e["message"]["message_id"] == sent[0])
        facilitator.forward(original["message"])
        wait_for_events(r_sock, 1)
        r_events = [e for e in quiet(r_sock) if e["type"] == "message"]
        assert len(r_events) == 1
        assert r_events[0]["message"]["envelope"]["header"]["derived_from"] == sent[0]
        assert responsible.open(r_events[0]["message"])["body"] == "question 0"
    print(  # noqa: T201 — the figure docs/architecture.md quotes
        f"\nsend through process 0, acknowledged after "
        f"{', '.join(f'{ms:.0f}' for ms in ack_ms)} ms; pushed on process 1 after "
        f"{', '.join(f'{ms:.0f}' for ms in push_ms)} ms"
    )
    assert max(push_ms) < 1000


def refusal(client: RelayClient, **how: Any) -> int | None:
    """The close code of a socket the server refuses (accepted, then closed at once)."""
    with socket_through(client, hello=False, **how) as sock:
        try:
            frame = sock.conn.recv(timeout=10)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else None
        raise AssertionError(f"the socket was accepted: {frame}")


def test_the_proxy_path_signs_in_checks_csrf_and_origin_and_upgrades(
    cluster_of: ClusterOf,
) -> None:
    cluster = cluster_of(2)
    assert [cluster.served_by(n) for n in range(2)] == [0, 1]
    sc = make_case()
    # Sign-in (salt, CSRF cookie, login, second factor) through the proxy to process 0 ...
    facilitator = cluster.client(sc.facilitator, pin=0)
    # ... and the session it made serves on process 1: sessions live in the database.
    facilitator.http.headers["X-Relay-Upstream"] = "1"
    assert sc.id in [c["case_id"] for c in facilitator.cases()]
    before = AuditEvent.objects.count()

    # A write without the CSRF token, or from a page on another origin (the Daphne process's
    # own address is not the page's), is refused and changes nothing.
    token = facilitator.http.cookies["csrftoken"]
    pause = f"/api/cases/{sc.id}/pause"
    no_token = facilitator.http.post(pause, json={}, headers={"Origin": cluster.url})
    upstream = cluster.processes[1].url
    wrong_origin = facilitator.http.post(
        pause,
        json={},
        headers={"X-CSRFToken": token, "Origin": upstream, "Referer": upstream},
    )
    assert (no_token.status_code, wrong_origin.status_code) == (403, 403)
    assert AuditEvent.objects.count() == before

    # The same write with the token from the proxy's origin goes through.
    assert facilitator.pause(sc.id)
    assert AuditEvent.objects.filter(event_type=AuditEventType.CASE_PAUSED).count() == 1

    # The WebSocket upgrade passes through Caddy to either process, from the proxy's origin.
    # Each replays the facilitator's events from the start, ending with the pause.
    for pin in (0, 1):
        facilitator.last_seq = 0
        with socket_through(facilitator, pin=pin) as sock:
            events = quiet(sock, 0.3)
            assert events and events[-1]["type"] == "communication", events
    # Refused through the proxy: another origin (4003), the upstream's own origin (4003),
    # no session cookie (4401).
    assert refusal(facilitator, origin="https://elsewhere.example") == 4003
    assert refusal(facilitator, origin=upstream) == 4003
    anonymous = RelayClient(cluster.url)
    assert refusal(anonymous) == 4401
    # Caddy passes the Host it was asked for; a Host this server does not answer to never
    # reaches Relay (Caddy's site address does not match it).
    spoofed = httpx.get(f"{cluster.url}/api/csrf", headers={"Host": "elsewhere.example"})
    assert "csrf_token" not in spoofed.text


def test_a_pause_through_one_process_reaches_the_case_on_every_process_within_a_second(
    cluster_of: ClusterOf,
) -> None:
    cluster = cluster_of(3)
    assert [cluster.served_by(n) for n in range(3)] == [0, 1, 2]
    sc = make_case(co_facilitator=True)
    assert sc.co_facilitator is not None
    # Each member's socket on its own process (the co-facilitator shares process 0).
    members = {
        "harmed": (sc.harmed, 0),
        "responsible": (sc.responsible, 1),
        "facilitator": (sc.facilitator, 2),
        "co-facilitator": (sc.co_facilitator, 0),
    }
    clients = {name: cluster.client(person, pin=pin) for name, (person, pin) in members.items()}
    for client in clients.values():
        client.catch_up()
    # The person responsible pauses through process 2, where neither participant's socket is.
    pauser = cluster.client(sc.responsible, pin=2)
    arrived: dict[str, float] = {}
    errors: list[BaseException] = []

    with ExitStack() as stack:
        sockets = {
            name: stack.enter_context(socket_through(clients[name], pin=pin))
            for name, (_person, pin) in members.items()
        }
        ready = threading.Barrier(len(sockets) + 1)

        def watch(name: str, sock: RelaySocket) -> None:
            try:
                ready.wait(10)
                (arrived[name],) = wait_for_events(sock, 1, timeout=10)
            except BaseException as exc:  # noqa: BLE001 — the test reports it
                errors.append(exc)

        watchers = [threading.Thread(target=watch, args=item) for item in sockets.items()]
        for thread in watchers:
            thread.start()
        ready.wait(10)
        began = time.monotonic()
        pauser.pause(sc.id)
        acked = time.monotonic()
        for thread in watchers:
            thread.join(15)
        assert errors == []
        seen = {name: sock.drain(quiet=0) for name, sock in sockets.items()}
        extra = {name: quiet(sock) for name, sock in sockets.items()}

    assert set(arrived) == set(members)
    for name, events in seen.items():
        assert [e["type"] for e in events] == ["communication"], name
        assert events[0]["data"]["communicating"] is False, name
    assert extra == {name: [] for name in members}, "each socket got the pause once"
    assert seen["responsible"][0]["data"]["paused_by_you"] is True
    assert seen["harmed"][0]["data"]["paused_by_you"] is False
    assert seen["facilitator"][0]["data"]["paused_sides"] == ["responsible"]
    after_ms = {name: 1000 * (at - began) for name, at in arrived.items()}
    print(  # noqa: T201 — the figure docs/architecture.md quotes
        f"\npause acknowledged after {1000 * (acked - began):.0f} ms; on every socket after "
        + ", ".join(f"{name} {ms:.0f}" for name, ms in after_ms.items())
        + " ms"
    )
    assert max(after_ms.values()) < 1000


RETRYABLE_STATUS = (502, 503, 504)  # Caddy's answers while an upstream is down


class Failover:
    """What the clients saw while a process died: Caddy's error replies and reconnects."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proxy_errors: Counter[int] = Counter()

    def proxy_error(self, exc: RelayApiError) -> None:
        if exc.status not in RETRYABLE_STATUS:
            raise exc
        with self.lock:
            self.proxy_errors[exc.status] += 1


class ProxiedListener(Listener):
    """A device's socket held first by process ``pin``; after a disconnect it reconnects
    through Caddy's balancer (as a browser would) and says ``hello{last_seq}``."""

    def __init__(self, client: RelayClient, *, pin: int, until: Callable[..., bool]) -> None:
        super().__init__(client, until=until)
        self.pin: int | None = pin

    def run(self) -> None:
        try:
            while not self.done():
                try:
                    with socket_through(self.client, pin=self.pin) as sock:
                        self.connections += 1
                        self.pin = None
                        adopt(sock, self.events)
                        self.connected.set()
                        read_until(sock, self.done)
                except DISCONNECTED:
                    time.sleep(0.2)
        except BaseException as exc:  # noqa: BLE001 — the test reports it
            self.errors.append(exc)


def send_through_proxy(
    client: RelayClient, envelopes: list[dict[str, Any]], run: Run, failover: Failover
) -> None:
    """Send each envelope through Caddy's balancer, retrying the same envelope after a lost
    connection or a proxy error until it is acknowledged."""
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
                    time.sleep(0.1)
                    continue
                except RelayApiError as exc:
                    failover.proxy_error(exc)
                    time.sleep(0.1)
                    continue
                run.ack(message_id, reply, attempt=attempt)
                break
    except BaseException as exc:  # noqa: BLE001 — the test reports it
        run.errors.append(exc)


def test_a_process_killed_under_connected_sockets_loses_and_duplicates_nothing(
    cluster_of: ClusterOf,
) -> None:
    cluster = cluster_of(3)
    sc = make_case(co_facilitator=True)
    assert sc.co_facilitator is not None
    senders = [cluster.client(sc.harmed) for _ in range(4)]
    plan = [
        [
            s.compose(sc.id, "question", f"question {n}.{i}", message_id=str(uuid.uuid4()))
            for i in range(6)
        ]
        for n, s in enumerate(senders)
    ]
    total = sum(len(batch) for batch in plan)

    def all_of_them(events: list[dict[str, Any]]) -> bool:
        return len(message_ids(events)) >= total

    failover = Failover()
    # Three sockets on process 0 (to be killed), one on process 1.
    placed = {
        "facilitator": (sc.facilitator, 0),
        "co-facilitator": (sc.co_facilitator, 0),
        "harmed listener": (sc.harmed, 0),
        "facilitator, second device": (sc.facilitator, 1),
    }
    listeners = {}
    for name, (person, pin) in placed.items():
        client = cluster.client(person)
        client.catch_up()
        listeners[name] = ProxiedListener(client, pin=pin, until=all_of_them)
    for each in listeners.values():
        each.start()
    for each in listeners.values():
        assert each.connected.wait(10)

    run = Run()
    threads = [
        threading.Thread(target=send_through_proxy, args=(s, batch, run, failover))
        for s, batch in zip(senders, plan, strict=True)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(run.acked) < total // 3 and time.monotonic() < deadline:
        time.sleep(0.002)
    with run.lock:
        cluster.processes[0].kill()
        killed_at = time.monotonic()
        acked_at_kill = len(run.acked)

    for thread in [*threads, *listeners.values()]:
        thread.join(90)
    caught_up = time.monotonic() - killed_at
    assert not any(t.is_alive() for t in [*threads, *listeners.values()]), "a client never finished"
    assert run.errors == []
    assert {name: each.errors for name, each in listeners.items()} == {n: [] for n in listeners}
    assert 0 < acked_at_kill < total, "the kill must land mid-stream"
    reconnected = {name: each.connections for name, each in listeners.items()}
    # The sockets on the killed process reconnected (through Caddy, to a survivor); the one
    # on process 1 never had to.
    assert all(reconnected[name] >= 2 for name, (_p, pin) in placed.items() if pin == 0)
    assert reconnected["facilitator, second device"] == 1
    assert_nothing_lost_or_duplicated(
        sc.case.pk, plan, run, {name: each.events for name, each in listeners.items()}
    )
    # A request Caddy could not even connect to the dead process with was tried on another
    # (lb_try_duration), never answered 502; and what Caddy logs of the errors it did answer
    # names no client: no address, no port, no headers (DESIGN §9).
    caddy_log = cluster.proxy.log_path.read_text()
    assert "connect: connection refused" not in caddy_log
    for field in (
        '"remote_ip"',
        '"client_ip"',
        '"remote_port"',
        '"headers"',
        "X-Csrftoken",
        '"uri"',
    ):
        assert field not in caddy_log, field
    print(  # noqa: T201 — the figures docs/architecture.md quotes
        f"\n{total} messages, {acked_at_kill} acknowledged at the kill; every socket had every "
        f"event {caught_up:.1f}s after it; proxy errors retried: {dict(failover.proxy_errors)}; "
        f"socket connections: {reconnected}"
    )


def test_signing_out_through_one_process_closes_the_sockets_on_the_others(
    cluster_of: ClusterOf,
) -> None:
    """Signing out closes every socket of the user (docs/api.md), on every process."""
    cluster = cluster_of(3)
    sc = make_case()
    phone = cluster.client(sc.harmed, pin=0)
    laptop = cluster.client(sc.harmed, pin=1)
    with (
        socket_through(phone, pin=1) as on_1,
        socket_through(phone, pin=2) as on_2,
        socket_through(laptop, pin=2) as laptop_on_2,
    ):
        began = time.monotonic()
        phone.sign_out()  # through process 0, which holds none of these sockets
        closed = {
            name: wait_closed(sock, began + 5)
            for name, sock in (
                ("phone on 1", on_1),
                ("phone on 2", on_2),
                ("laptop on 2", laptop_on_2),
            )
        }
    assert {name: code for name, (code, _at) in closed.items()} == dict.fromkeys(closed, 4001)
    # The signed-out session is refused on every process; the laptop's session still works.
    for pin in (1, 2):
        assert refusal(phone, pin=pin) == 4401
        with socket_through(laptop, pin=pin) as sock:
            assert sock.request("cases")
    after_ms = {name: 1000 * (at - began) for name, (_code, at) in closed.items()}
    print(  # noqa: T201
        "\nsigned out through process 0; sockets closed after "
        + ", ".join(f"{name} {ms:.0f}" for name, ms in after_ms.items())
        + " ms"
    )
    assert max(after_ms.values()) < 1000


def test_the_sign_in_throttle_counts_the_client_behind_caddy_not_caddy(
    cluster_of: ClusterOf,
) -> None:
    """Daphne runs with ``--proxy-headers``: the address is Caddy's ``X-Forwarded-For``, which
    Caddy sets itself (a client's own is not trusted). A client on 127.0.0.2 that used up its
    failures is throttled whatever it claims; a client on 127.0.0.1, the address Caddy
    connects to the processes from, is not."""
    cluster = cluster_of(2, env={"RELAY_SIGN_IN_ATTEMPTS_PER_ADDRESS": "3"})
    sc = make_case()
    elsewhere = weak_floor_client(cluster)
    elsewhere.http = httpx.Client(
        base_url=cluster.url,
        timeout=10,
        transport=httpx.HTTPTransport(local_address="127.0.0.2"),
    )
    try:
        for attempt in range(3):
            elsewhere.http.headers["X-Forwarded-For"] = f"198.51.100.{attempt + 1}"
            elsewhere.http.headers["X-Relay-Upstream"] = str(attempt % 2)
            with pytest.raises(RelayApiError) as wrong:
                elsewhere.sign_in(sc.harmed.user.username, "not the password")
            assert wrong.value.code != "throttled"
        with pytest.raises(RelayApiError) as throttled:
            elsewhere.sign_in(sc.harmed.user.username, sc.harmed.password)
        assert (throttled.value.status, throttled.value.code) == (429, "throttled")
        # The same person from another address signs in: the count was 127.0.0.2's alone.
        assert cluster.client(sc.harmed).me
    finally:
        for address in ("127.0.0.1", "127.0.0.2"):
            cache.delete(throttle._key("sign_in", "addr", address))
