"""Catch-up (DESIGN §6): a client that missed events gets every one of them, in order,
exactly once — over HTTP with ``/api/events?after=N`` and over the WebSocket after
``hello{last_seq}``."""

from __future__ import annotations

import pytest

from relay.cases import actions as case_actions
from relay.delivery.models import Event
from tests.delivery.live import client_for
from tests.factories import Person, ShuttleCase, make_case
from tests.moderation.helpers import forward, http_client, sockets, submit, via_http


def shuttle_messages(sc: ShuttleCase, count: int) -> None:
    """Forward ``count`` questions to the person responsible, with a pause in the middle."""
    for i in range(count):
        forward(sc, submit(sc, sc.harmed, f"question {i}"))
        if i == count // 2:
            case_actions.pause(actor=sc.harmed.user, case_id=sc.case.pk)
            case_actions.resume(actor=sc.harmed.user, case_id=sc.case.pk)


def stored_seqs(person: Person) -> list[int]:
    return list(
        Event.objects.filter(user=person.user).order_by("seq").values_list("seq", flat=True)
    )


@pytest.mark.django_db
def test_http_pages_through_every_event_in_order_exactly_once() -> None:
    sc = make_case()
    shuttle_messages(sc, 12)
    client = http_client(sc.responsible)
    seen: list[int] = []
    after = 0
    while True:
        status, body = via_http(client, "events", after=after, limit=5)
        assert status == 200, body
        if not body["events"]:
            break
        seen += [e["seq"] for e in body["events"]]
        after = body["events"][-1]["seq"]
    assert seen == stored_seqs(sc.responsible)
    assert seen == list(range(1, len(seen) + 1))
    assert body["latest"] == seen[-1]
    forwarded = [
        e
        for page_after in range(0, seen[-1], 500)
        for e in via_http(client, "events", after=page_after, limit=500)[1]["events"]
        if e["type"] == "message"
    ]
    assert len(forwarded) == 12
    assert all(e["message"]["envelope"]["keys"] for e in forwarded)


@pytest.mark.django_db
def test_http_after_the_latest_returns_nothing_and_bad_cursors_are_refused() -> None:
    sc = make_case()
    shuttle_messages(sc, 2)
    client = http_client(sc.responsible)
    latest = stored_seqs(sc.responsible)[-1]
    status, body = via_http(client, "events", after=latest)
    assert (status, body["events"], body["latest"]) == (200, [], latest)
    for bad in ({"after": -1}, {"after": "x"}, {"limit": 0}, {"limit": 501}):
        status, body = via_http(client, "events", **bad)
        assert status == 400 and body["error"]["code"] == "invalid"


@pytest.mark.django_db(transaction=True)
def test_websocket_replays_what_was_missed_then_pushes_live() -> None:
    sc = make_case()
    shuttle_messages(sc, 4)
    with sockets() as opened:
        first = opened.open(sc.responsible)
        seen_before = 3
        first.send({"type": "hello", "ref": "h", "last_seq": seen_before})
        assert first.receive() == {"type": "ready", "ref": "h"}
        latest = stored_seqs(sc.responsible)[-1]
        replayed = [first.receive()["event"]["seq"] for _ in range(latest - seen_before)]
        assert replayed == list(range(seen_before + 1, latest + 1))
        assert first.quiet()
        # Something new while connected: pushed once.
        shuttle_messages(sc, 1)
        now = stored_seqs(sc.responsible)[-1]
        pushed = [first.receive()["event"]["seq"] for _ in range(now - latest)]
        assert pushed == list(range(latest + 1, now + 1))
        assert first.quiet()
        first.close()

        # Disconnected: more happens. Reconnecting from the last seen seq gets only that.
        shuttle_messages(sc, 3)
        final = stored_seqs(sc.responsible)[-1]
        second = opened.open(sc.responsible)
        assert second.welcome is not None and second.welcome["latest_seq"] == final
        second.send({"type": "hello", "ref": "again", "last_seq": now})
        assert second.receive() == {"type": "ready", "ref": "again"}
        caught_up = [second.receive()["event"] for _ in range(final - now)]
        assert [e["seq"] for e in caught_up] == list(range(now + 1, final + 1))
        assert sum(e["type"] == "message" for e in caught_up) == 3
        assert second.quiet()


@pytest.mark.django_db(transaction=True)
def test_a_socket_without_hello_is_sent_no_events() -> None:
    sc = make_case()
    with sockets() as opened:
        socket = opened.open(sc.responsible)
        shuttle_messages(sc, 1)
        assert socket.quiet(0.5)
        socket.send({"type": "hello", "ref": "h", "last_seq": 0})
        assert socket.receive()["type"] == "ready"
        assert [socket.receive()["event"]["seq"] for _ in stored_seqs(sc.responsible)] == (
            stored_seqs(sc.responsible)
        )


def removed_co_facilitator() -> tuple[ShuttleCase, Person, list[int]]:
    """A co-facilitator who saw a case's traffic, was removed from it, and then assigned to
    another case. Returns the case, them, and the seqs of their events of the other case."""
    sc = make_case(co_facilitator=True)
    shuttle_messages(sc, 2)
    co = sc.co_facilitator
    assert co is not None
    assert Event.objects.filter(user=co.user, case=sc.case, message__isnull=False).exists()
    case_actions.unassign_facilitator(
        actor=sc.manager.user, case_id=sc.case.pk, facilitator=co.user
    )
    other = case_actions.create_case(actor=sc.manager.user, reference=f"RJ-O{sc.case.reference}")
    case_actions.assign_facilitator(actor=sc.manager.user, case_id=other.pk, facilitator=co.user)
    kept = list(
        Event.objects.filter(user=co.user).exclude(case=sc.case).values_list("seq", flat=True)
    )
    assert kept
    return sc, co, kept


@pytest.mark.django_db
def test_http_catch_up_leaves_out_a_case_the_facilitator_was_removed_from() -> None:
    sc, co, kept = removed_co_facilitator()
    client = http_client(co)
    status, body = via_http(client, "events", after=0, limit=500)
    assert status == 200, body
    assert [e["seq"] for e in body["events"]] == kept
    assert all(e["case_id"] != sc.id for e in body["events"])
    # The seq numbers skip where the case's events were; ``latest`` is still the stream's.
    assert body["latest"] == stored_seqs(co)[-1]
    # Paging one event at a time still finds every readable event, and then stops.
    seen, after = [], 0
    while True:
        page = via_http(client, "events", after=after, limit=1)[1]["events"]
        if not page:
            break
        seen.append(page[0]["seq"])
        after = page[0]["seq"]
    assert seen == kept
    # The facilitator still in the case keeps the whole history.
    assert [
        e["seq"] for e in via_http(http_client(sc.facilitator), "events", limit=500)[1]["events"]
    ] == stored_seqs(sc.facilitator)


def test_socket_replay_and_the_python_client_leave_it_out_too(daphne) -> None:
    sc, co, kept = removed_co_facilitator()
    client = client_for(daphne, co)
    with client.socket() as socket:  # says hello from last_seq 0
        replayed = socket.drain()
    assert [e["seq"] for e in replayed] == kept
    client.last_seq = 0
    assert [e["seq"] for e in client.catch_up()] == kept
