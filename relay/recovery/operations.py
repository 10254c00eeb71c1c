"""The recovery operations: what a facilitator re-encrypts for a participant who
re-enrolled with a new key, and each content key they wrap for it (docs/accounts.md)."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils.translation import gettext

from relay.accounts.operations import b64_field, text_field
from relay.recovery import actions as recovery_actions
from relay.recovery import selectors as recovery_selectors
from relay.surface import Body, Caller, Operation, Route


class SideBody(Body):
    case_id: uuid.UUID
    side: str


class MessageBody(Body):
    message_id: uuid.UUID


def history_to_rewrap(caller: Caller, data: SideBody) -> dict[str, Any]:
    """For a facilitator: the participant's current key and every message of the case that
    their retired keys could open and their current key cannot yet."""
    return recovery_selectors.history_to_rewrap(
        actor=caller.user, case_id=data.case_id, side=data.side
    )


def rewrap(caller: Caller, data: MessageBody) -> dict[str, Any]:
    """A facilitator adds a content key wrapped for a recovered person's new key."""
    body = data.fields()
    key_id = text_field(body, "key_id", gettext("Send the key id of the new key."))
    key = recovery_actions.rewrap_message_key(
        actor=caller.user,
        message_id=data.message_id,
        key_id=key_id,
        nonce=b64_field(body, "nonce", 24),
        box=b64_field(body, "box", 48),
    )
    return {
        "message_id": str(data.message_id),
        "key_id": key.recipient_key_id,
        "wrapped_by": key.wrapped_by_id,
    }


OPERATIONS: dict[str, Operation] = {
    "history_to_rewrap": Operation(
        history_to_rewrap, SideBody, False,
        Route("GET", "cases/<uuid:case_id>/participants/<str:side>/rewrap"),
    ),
    "rewrap": Operation(
        rewrap, MessageBody, True, Route("POST", "messages/<uuid:message_id>/rewrap", status=201)
    ),
}  # fmt: skip
