"""A socket replays a backlog page by page: a full page is always followed by another read,
and a short page ends the flush (``RelayConsumer._flush``), so nothing in a backlog longer
than a page is left behind and no empty read follows a short page."""

from __future__ import annotations

import pytest

from relay import consumers
from relay.operations import catch_up
from tests.factories import make_case
from tests.moderation.helpers import sockets, submit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("backlog", [4, 5])  # whole pages of 2, then a short one
def test_a_backlog_longer_than_a_page_is_replayed_in_full_and_in_order(
    backlog: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consumers, "PAGE_SIZE", 2)
    reads: list[int] = []
    real_events_after = catch_up.events_after

    def counted(user, after, *, limit):  # type: ignore[no-untyped-def]
        batch = real_events_after(user, after, limit=limit)
        reads.append(len(batch))
        return batch

    monkeypatch.setattr(consumers, "events_after", counted)
    shuttle = make_case()
    shuttle.facilitator.user.refresh_from_db(fields=["event_seq"])
    before = shuttle.facilitator.user.event_seq
    sent = [submit(shuttle, shuttle.harmed, f"Question {i}") for i in range(backlog)]
    with sockets() as opened:
        socket = opened.open(shuttle.facilitator)
        assert socket.request("hello", last_seq=before)["type"] == "ready"
        while len(socket.events) < backlog:
            socket.receive()
        assert socket.quiet()
    assert [e["message"]["message_id"] for e in socket.events] == [str(m.pk) for m in sent]
    seqs = [e["seq"] for e in socket.events]
    assert seqs == sorted(seqs)
    # Full pages, then one short page (empty only when the backlog fills whole pages).
    assert reads == [2] * (backlog // 2) + [backlog % 2]
