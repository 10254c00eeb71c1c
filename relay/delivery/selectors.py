"""Reading a user's event stream for catch-up (DESIGN §6)."""

from __future__ import annotations

from typing import Any

from relay.accounts.models import User
from relay.delivery.models import Event
from relay.moderation.selectors import message_wire

PAGE_SIZE = 200


def events_after(user: User, after_seq: int, *, limit: int = PAGE_SIZE) -> list[dict[str, Any]]:
    """The user's events with ``seq > after_seq``, in order, as wire dicts."""
    events = (
        Event.objects.filter(user=user, seq__gt=after_seq)
        .select_related("message")
        .prefetch_related("message__keys")
        .order_by("seq")[:limit]
    )
    return [event_wire(e, viewer=user) for e in events]


def event_wire(event: Event, *, viewer: User) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "seq": event.seq,
        "type": event.event_type,
        "case_id": str(event.case_id) if event.case_id else None,
        "at": event.created_at.isoformat(),
        "data": event.data,
    }
    if event.event_type == "message" and event.message is not None:
        wire["message"] = message_wire(event.message, viewer=viewer)
    return wire


def latest_seq(user: User) -> int:
    return User.objects.values_list("event_seq", flat=True).get(pk=user.pk)
