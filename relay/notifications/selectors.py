"""Reads: a person's choices as they see them, and what is pending for them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Min

from relay.cases.access import readable_case_ids
from relay.delivery.models import Event, EventType
from relay.notifications.models import NotificationPreference

# What is worth telling someone about: something new to read, a decision on what they
# sent, a pause or resumption, and for facilitators the queue.
NOTIFIED_TYPES = (
    EventType.MESSAGE,
    EventType.MESSAGE_STATE,
    EventType.QUEUE,
    EventType.COMMUNICATION,
    EventType.CASE,
)


def preference_of(user: Any) -> NotificationPreference | None:
    return NotificationPreference.objects.filter(user=user).first()


def preference_wire(user: Any) -> dict[str, Any]:
    """What the person (or a facilitator of their case) sees of their choices."""
    pref = preference_of(user)
    if pref is None:
        return {"channels": [], "email": "", "phone": "", "quiet_hours": None,
                "time_zone": "Europe/London"}
    quiet = None
    if pref.quiet_start is not None and pref.quiet_end is not None:
        quiet = {"start": pref.quiet_start.strftime("%H:%M"),
                 "end": pref.quiet_end.strftime("%H:%M")}
    return {"channels": list(pref.channels), "email": pref.email, "phone": pref.phone,
            "quiet_hours": quiet, "time_zone": pref.time_zone}


def first_pending(pref: NotificationPreference) -> tuple[datetime | None, int]:
    """When the oldest update not yet notified arrived, and the newest event number to
    mark as notified (events of cases the person may no longer read are skipped)."""
    events = Event.objects.filter(user_id=pref.user_id, seq__gt=pref.notified_seq)
    latest = events.order_by("-seq").values_list("seq", flat=True).first() or pref.notified_seq
    worth = events.filter(event_type__in=NOTIFIED_TYPES)
    readable = readable_case_ids(pref.user)
    worth = worth.filter(case_id__in=readable) | worth.filter(case__isnull=True)
    oldest = worth.aggregate(at=Min("created_at"))["at"]
    return oldest, latest
