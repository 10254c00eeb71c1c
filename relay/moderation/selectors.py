"""Reads: the moderation queue, a user's view of messages, and wire forms of both."""

from __future__ import annotations

import base64
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from relay.accounts.models import User
from relay.cases.models import Case
from relay.moderation.models import Audience, Message, MessageKey, MessageState


def envelope_wire(message: Message) -> dict[str, Any]:
    """The envelope exactly as its author sent it (docs/protocol.md §4)."""
    return {
        "header": message.header,
        "nonce": base64.b64encode(bytes(message.nonce)).decode(),
        "ciphertext": base64.b64encode(bytes(message.ciphertext)).decode(),
        "keys": [
            _key_wire(k) for k in sorted(message.keys.all(), key=lambda k: k.recipient_key_id)
        ],
    }


def _key_wire(key: MessageKey) -> dict[str, Any]:
    wire = {
        "key_id": key.recipient_key_id,
        "nonce": base64.b64encode(bytes(key.nonce)).decode(),
        "box": base64.b64encode(bytes(key.box)).decode(),
    }
    if key.wrapped_by_id is not None:
        # Re-encrypted after a recovery: boxed from this facilitator key, not the sender's.
        wire["wrapped_by"] = key.wrapped_by_id
    return wire


def message_wire(message: Message, *, viewer: User) -> dict[str, Any]:
    """A message as one viewer sees it. A forwarded message shows when it was forwarded,
    never when the other person wrote it (DESIGN §4)."""
    return {
        "message_id": str(message.pk),
        "case_id": str(message.case_id),
        "kind": message.kind,
        "audience": message.audience,
        "state": message.state,
        "from_you": message.sender_id == viewer.pk,
        "at": message.created_at.isoformat(),
        "envelope": envelope_wire(message),
    }


def moderation_queue(case: Case) -> list[Message]:
    """Messages waiting for a facilitator's decision, oldest first."""
    return list(
        Message.objects.filter(
            case=case, audience=Audience.OTHER_PARTY, state=MessageState.SUBMITTED
        )
        .prefetch_related("keys")
        .order_by("created_at")
    )


def revisable_messages(case: Case, sender: User) -> QuerySet[Message]:
    """The sender's returned messages in ``case`` that have no new version yet: the only
    messages a new version may name (``derived_from``). One new version per returned
    message; if that one is returned too, it can be revised in turn."""
    return Message.objects.filter(case=case, sender=sender, state=MessageState.RETURNED).exclude(
        Exists(Message.objects.filter(derived_from=OuterRef("pk"), sender=sender))
    )


def revisable_message_ids(case: Case, sender: User) -> list[Any]:
    """The ids of ``revisable_messages``, for the case summary's ``may_revise``."""
    return list(revisable_messages(case, sender).values_list("pk", flat=True))


def message_for_recipient(viewer: User, message_id: Any) -> Message | None:
    """A message the viewer holds a wrapped key for, or None."""
    return (
        Message.objects.filter(pk=message_id, keys__recipient_key__user=viewer)
        .prefetch_related("keys")
        .distinct()
        .first()
    )
