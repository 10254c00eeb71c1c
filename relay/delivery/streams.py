"""Writing to users' event streams inside an action, and waking their sockets after commit.

The channel layer carries only a wake-up with the new sequence number, never the event:
a socket that is woken reads what it has not sent yet from the database. A lost wake-up is
repaired by the next one, or by the client's catch-up on reconnect.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from relay.accounts.models import User
from relay.delivery.groups import user_group
from relay.delivery.models import Event, EventType

log = logging.getLogger(__name__)


def append_events(
    user_ids: Iterable[uuid.UUID],
    event_type: EventType,
    *,
    case: Any = None,
    message: Any = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append one event to each user's stream, in the caller's transaction.

    Users are locked in id order so concurrent actions never deadlock on each other.
    """
    ids = sorted(set(user_ids), key=str)
    if not ids:
        return
    users = list(User.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    events = []
    for user in users:
        user.event_seq += 1
        events.append(
            Event(
                user=user,
                seq=user.event_seq,
                event_type=event_type,
                case=case,
                message=message,
                data=data or {},
            )
        )
    User.objects.bulk_update(users, ["event_seq"])
    Event.objects.bulk_create(events)
    for event in events:
        transaction.on_commit(partial(wake, event.user_id, event.seq))


def wake(user_id: uuid.UUID, seq: int) -> None:
    """Tell the user's open sockets to catch up. Never raises: push is an optimisation."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(user_group(user_id), {"type": "stream.wake", "seq": seq})
    except Exception:  # noqa: BLE001 — the database already holds the event
        log.warning("push failed; the client will catch up on its next wake or reconnect")


def revoke_sockets(user_id: uuid.UUID, *, reason: str) -> None:
    """Close every open socket of a user (logout, password change, suspension, withdrawal)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            user_group(user_id), {"type": "stream.revoke", "reason": reason}
        )
    except Exception:  # noqa: BLE001
        log.warning("socket revocation push failed; the socket sweep closes them")
