"""Reading a user's event stream for catch-up (DESIGN §6)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import Q

from relay.delivery.events import MessageEvent
from relay.delivery.models import Event

if TYPE_CHECKING:
    from relay.accounts.models import User

PAGE_SIZE = 200

# moderation's ``message_wire(message, *, viewer)``: delivery sits below moderation, so the
# caller passes it in.
MessageWire = Callable[..., dict[str, Any]]


def event_rows(user: User, after: int, *, limit: int, case_ids: Iterable[Any]) -> list[Event]:
    """The user's events with ``seq > after``, in order, that have no case or belong to one
    of ``case_ids`` (the cases the user may still read), up to ``limit``: the seq numbers
    may skip."""
    return list(
        Event.objects.filter(user=user, seq__gt=after)
        .filter(Q(case__isnull=True) | Q(case_id__in=case_ids))
        .select_related("message")
        .prefetch_related("message__keys")
        .order_by("seq")[:limit]
    )


def events_after(user: User, after_seq: int, *, limit: int = PAGE_SIZE) -> list[dict[str, Any]]:
    """``event_rows`` of the cases the user may read, as wire dicts. Kept for callers that
    do not compose them yet (``relay.operations.catch_up`` is the composition)."""
    from relay.cases.models import FacilitatorAssignment, Participation
    from relay.moderation.selectors import message_wire

    taking_part = Participation.objects.filter(user=user).values_list("case_id", flat=True)
    facilitating = FacilitatorAssignment.objects.filter(
        facilitator=user, ended_at__isnull=True
    ).values_list("case_id", flat=True)
    rows = event_rows(
        user, after_seq, limit=limit, case_ids={*taking_part, *facilitating}
    )
    return [event_wire(e, viewer=user, message_wire=message_wire) for e in rows]


def event_wire(event: Event, *, viewer: User, message_wire: MessageWire) -> dict[str, Any]:
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


def latest_seq(user: User) -> int:
    seq: int = get_user_model().objects.values_list("event_seq", flat=True).get(pk=user.pk)
    return seq
