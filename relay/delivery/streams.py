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
from django.contrib.auth import get_user_model
from django.db import transaction

from relay.delivery.events import Payload, message_of
from relay.delivery.groups import user_group
from relay.delivery.models import Event

log = logging.getLogger(__name__)


Audience = Iterable[uuid.UUID]


def append_events(batch: Iterable[tuple[Payload, Audience]], *, case: Any = None) -> None:
    """Append every event of one action, in the caller's transaction: ``batch`` is a list
    of ``(payload, user ids)``; each user's events get consecutive ``seq`` numbers in the
    batch's order. ``case`` is the case they belong to (None for events of no case).

    One call per action: the users of the whole batch are locked once, in id order, after
    every row the action locked before (case → message/participation rows → the one audit
    chain head it recorded to → user rows; docs/architecture.md, "Locking order"), so two
    actions never wait for each other's user rows in opposite orders.
    """
    planned = [(payload, sorted(set(audience), key=str)) for payload, audience in batch]
    ids = sorted({user_id for _, audience in planned for user_id in audience}, key=str)
    if not ids:
        return
    User = get_user_model()
    users = {u.pk: u for u in User.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    events = []
    for payload, audience in planned:
        data = payload.data()
        for user_id in audience:
            user = users.get(user_id)
            if user is None:
                continue
            user.event_seq += 1
            events.append(
                Event(
                    user=user,
                    seq=user.event_seq,
                    event_type=payload.TYPE,
                    case=case,
                    message=message_of(payload),
                    data=data,
                )
            )
    User.objects.bulk_update(list(users.values()), ["event_seq"])
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
