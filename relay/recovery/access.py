"""Who may re-encrypt a message to someone's new key. Returns the objects or raises
``AccessDenied``: the same for "does not exist" and "not yours"."""

from __future__ import annotations

from typing import Any

from relay.accounts.models import PublicKey
from relay.accounts.selectors import current_key
from relay.cases.access import access_case_as_facilitator
from relay.cases.models import Case
from relay.errors import AccessDenied
from relay.moderation.models import Message


def access_message_to_rewrap(actor: Any, message_id: Any) -> tuple[Message, Case, PublicKey]:
    """A message a facilitator may re-encrypt to someone's new key: a current facilitator of
    its case whose own current key can open it. Returns the message, its case and that key
    (the one the new wrap is boxed from)."""
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        raise AccessDenied()
    case = access_case_as_facilitator(actor, message.case_id)
    own = current_key(actor)
    if own is None:
        raise AccessDenied()
    if not message.keys.filter(recipient_key=own).exists():
        raise AccessDenied()
    return message, case, own
