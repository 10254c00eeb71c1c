"""Reading a user's event stream for catch-up (DESIGN §6)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from relay.accounts.models import User
from relay.cases.models import FacilitatorAssignment, Participation
from relay.delivery.models import Event
from relay.moderation.selectors import message_wire

PAGE_SIZE = 200


def events_after(user: User, after_seq: int, *, limit: int = PAGE_SIZE) -> list[dict[str, Any]]:
    """The user's events with ``seq > after_seq`` that they may still read, in order, as
    wire dicts: the one read for HTTP catch-up and the socket's replay and push alike.

    The events of a case the user no longer belongs to (a facilitator whose assignment has
    ended) are left out, so the page holds up to ``limit`` readable events and the seq
    numbers it returns may skip; clients treat seq as increasing, not as consecutive.
    """
    events = (
        Event.objects.filter(user=user, seq__gt=after_seq)
        .filter(_readable_cases(user))
        .select_related("message")
        .prefetch_related("message__keys")
        .order_by("seq")[:limit]
    )
    return [event_wire(e, viewer=user) for e in events]


def _readable_cases(user: User) -> Q:
    """Events with no case, or of a case the user takes part in (in any state: a withdrawn
    participant keeps their history) or currently facilitates."""
    taking_part = Participation.objects.filter(user=user).values("case_id")
    facilitating = FacilitatorAssignment.objects.filter(
        facilitator=user, ended_at__isnull=True
    ).values("case_id")
    return Q(case__isnull=True) | Q(case_id__in=taking_part) | Q(case_id__in=facilitating)


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
