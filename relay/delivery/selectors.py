"""Reading a user's event stream for catch-up (DESIGN §6).

Delivery sits below every app: it knows the user model only through ``get_user_model()``
and no case or message rule; ``relay.operations.catch_up`` composes these reads with them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q

from relay.delivery.events import MessageEvent
from relay.delivery.models import Event

PAGE_SIZE = 200

# A row of ``settings.AUTH_USER_MODEL``: delivery does not import accounts.
AnyUser = Any

# moderation's ``message_wire(message, *, viewer)``: delivery sits below moderation, so the
# caller passes it in.
MessageWire = Callable[..., dict[str, Any]]


def event_rows(user: AnyUser, after: int, *, limit: int, case_ids: Iterable[Any]) -> list[Event]:
    """The user's events with ``seq > after``, in order, that have no case or belong to one
    of ``case_ids`` (the cases the user may still read; a values query is used as a
    subquery), up to ``limit``: the seq numbers may skip. Fewer than ``limit`` means there
    was nothing more to read when it ran."""
    return list(
        Event.objects.filter(user=user, seq__gt=after)
        .filter(Q(case__isnull=True) | Q(case_id__in=case_ids))
        # A forward's message says whether the words it passes on were entered for a
        # held person: the original comes in the same query.
        .select_related("message", "message__derived_from")
        .prefetch_related("message__keys")
        .order_by("seq")[:limit]
    )


def event_wire(event: Event, *, viewer: AnyUser, message_wire: MessageWire) -> dict[str, Any]:
    """An event as ``viewer`` receives it (docs/api.md, "Events"); a ``message`` event
    carries the message as the viewer sees it, through ``message_wire``."""
    wire: dict[str, Any] = {
        "seq": event.seq,
        "type": event.event_type,
        "case_id": str(event.case_id) if event.case_id else None,
        "at": event.created_at.isoformat(),
        "data": event.data,
    }
    if event.event_type == MessageEvent.TYPE and event.message is not None:
        wire["message"] = message_wire(event.message, viewer=viewer)
    return wire


def latest_seq(user: AnyUser) -> int:
    seq: int = get_user_model().objects.values_list("event_seq", flat=True).get(pk=user.pk)
    return seq
