"""Catch-up: the events a user may still read after a sequence number, as wire dicts — the
one read for HTTP catch-up and the socket's replay and push alike (DESIGN §6).

It composes three layers: which cases' events the user may read (``cases.access``), the
event rows (``delivery``, which knows no case or message rules) and each message event's
message as this viewer sees it (``moderation``)."""

from __future__ import annotations

from typing import Any

from relay.cases.access import readable_cases
from relay.delivery.selectors import PAGE_SIZE, event_rows, event_wire
from relay.moderation.selectors import message_wire


def events_after(user: Any, after: int, *, limit: int = PAGE_SIZE) -> list[dict[str, Any]]:
    """The user's events with ``seq > after`` of a case they may still read (or of no case),
    in order, up to ``limit``. Seq numbers may skip: events of a case the user left are not
    sent."""
    # The readable cases go into the events query as a subquery: one query, not two.
    rows = event_rows(user, after, limit=limit, case_ids=readable_cases(user))
    return [event_wire(e, viewer=user, message_wire=message_wire) for e in rows]
