"""Reads for the accounts app."""

from __future__ import annotations

import base64
from typing import Any

from django.utils import timezone

from relay.accounts.models import Invitation, PublicKey, User, code_hash
from relay.cases.access import access_case_as_facilitator
from relay.cases.selectors import current_key, key_wire, participation_for_side
from relay.errors import AccessDenied, InvalidRequest
from relay.moderation.models import Message
from relay.moderation.selectors import message_wire


def history_to_rewrap(*, actor: User, case_id: Any, side: str) -> dict[str, Any]:
    """What a facilitator's client re-encrypts after a participant re-enrolled: the
    participant's current key, and every message of the case that one of their retired keys
    could open, that their current key cannot, and that the facilitator's own key can.

    Who: a current facilitator of the case (``access_case_as_facilitator``).
    """
    case = access_case_as_facilitator(actor, case_id)
    participation = participation_for_side(case, side)
    if participation is None:
        raise AccessDenied()
    key = current_key(participation.user)
    if key is None:
        raise InvalidRequest("This participant has not enrolled again yet.")
    own = current_key(actor)
    messages = (
        Message.objects.filter(
            case=case,
            keys__recipient_key__user_id=participation.user_id,
            keys__recipient_key__retired_at__isnull=False,
        )
        .filter(keys__recipient_key=own)
        .exclude(keys__recipient_key=key)
        .prefetch_related("keys")
        .distinct()
        .order_by("created_at")
    )
    referenced = {m.header.get("sender_key_id") for m in messages}
    referenced |= {k.wrapped_by_id for m in messages for k in m.keys.all() if k.wrapped_by_id}
    sender_keys = {
        k.key_id: base64.b64encode(bytes(k.public_key)).decode()
        for k in PublicKey.objects.filter(key_id__in=referenced)
    }
    return {
        "user_id": str(participation.user_id),
        # Public keys the messages were boxed from, retired ones included; the client
        # checks each against its key id.
        "sender_keys": sender_keys,
        "key": key_wire(key, case=case),
        "messages": [message_wire(m, viewer=actor) for m in messages],
    }


def has_enrolled(user: User) -> bool:
    """Whether the person has ever enrolled, which registers their first key (a reset leaves
    their keys on record). Such a person gets a new code only through the audited reset
    (DESIGN §4)."""
    return PublicKey.objects.filter(user=user).exists()


def invitation_for_code(code: str) -> Invitation | None:
    """The unused, unexpired invitation with this code, or None (any reason: same answer).
    Only a reset's code is good for a person who has enrolled already."""
    if not isinstance(code, str) or not 1 <= len(code) <= 64:
        return None
    invitation = (
        Invitation.objects.select_related("user").filter(code_hash=code_hash(code)).first()
    )
    if invitation is None or invitation.used_at is not None:
        return None
    if invitation.expires_at <= timezone.now() or invitation.user.suspended_at is not None:
        return None
    if not invitation.for_reset and has_enrolled(invitation.user):
        return None
    return invitation
