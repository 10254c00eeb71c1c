"""What a facilitator's client re-encrypts after a person re-enrolled."""

from __future__ import annotations

import base64
from typing import Any

from django.utils.translation import gettext

from relay.accounts import selectors as account_selectors
from relay.accounts.models import PublicKey, User
from relay.cases.access import access_case_as_facilitator
from relay.cases.selectors import participation_for_side
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
    key = account_selectors.current_key(participation.user)
    if key is None:
        raise InvalidRequest(gettext("This participant has not enrolled again yet."))
    own = account_selectors.current_key(actor)
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
        "key": account_selectors.key_wire(key, case_id=case.pk),
        "messages": [message_wire(m, viewer=actor) for m in messages],
    }
