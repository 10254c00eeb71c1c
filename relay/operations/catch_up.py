"""Catch-up: the events a user may still read after a sequence number, as wire dicts — the
one read for HTTP catch-up and the socket's replay and push alike (DESIGN §6)."""

from __future__ import annotations

from typing import Any

from relay.delivery import selectors as delivery

PAGE_SIZE = delivery.PAGE_SIZE


def events_after(user: Any, after: int, *, limit: int = PAGE_SIZE) -> list[dict[str, Any]]:
    """The user's events with ``seq > after`` of a case they may still read (or of no case),
    in order. Seq numbers may skip: events of a case the user left are not sent."""
    return delivery.events_after(user, after, limit=limit)
