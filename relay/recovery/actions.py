"""Re-encrypting a case's history to a recovered person's new key."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext

from relay.accounts.models import PublicKey, User
from relay.audit.chain import record
from relay.audit.models import AuditEventType
from relay.cases.actions import lock_case
from relay.errors import AccessDenied, InvalidRequest
from relay.moderation.models import MessageKey
from relay.recovery.access import access_message_to_rewrap


@transaction.atomic
def rewrap_message_key(
    *, actor: User, message_id, key_id: str, nonce: bytes, box: bytes
) -> MessageKey:
    """A facilitator re-encrypts one message's content key to a recovered person's new key.

    Who: a current facilitator of the message's case whose own current key can open the
    message, for a person (participant or co-facilitator) whose earlier, now retired key
    was a recipient of it and whose new key is not yet. The earlier key's wrap is deleted:
    the history opens with the new key, not the old one. Audits: HISTORY_REENCRYPTED.
    """
    message, case, own = access_message_to_rewrap(actor, message_id)
    # The case row first, as every action on a case (docs/architecture.md, "Locking order").
    case = lock_case(case.pk)
    target = PublicKey.objects.select_related("user").filter(key_id=key_id).first()
    if target is None or target.retired_at is not None:
        raise InvalidRequest(gettext("That is not anyone's current key."))
    existing = message.keys.filter(recipient_key=target).first()
    if existing is not None:
        if existing.wrapped_by_id is None:
            raise InvalidRequest(gettext("That key can already open this message."))
        return existing
    old = message.keys.filter(
        recipient_key__user=target.user, recipient_key__retired_at__isnull=False
    )
    if not old.exists():
        raise AccessDenied()
    if len(nonce) != 24 or len(box) != 48:
        raise InvalidRequest(gettext("A wrapped content key is a 24-byte nonce and a 48-byte box."))
    retired = sorted(old.values_list("recipient_key_id", flat=True))
    old.delete()
    rewrapped = MessageKey.objects.create(
        message=message, recipient_key=target, nonce=nonce, box=box, wrapped_by=own
    )
    record(
        AuditEventType.HISTORY_REENCRYPTED,
        actor=actor,
        case=case,
        message=str(message.pk),
        key=target.key_id,
        replaced=retired,
    )
    return rewrapped
