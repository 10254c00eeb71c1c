"""A user's keys: registering one, storing its wrap, announcing a change."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from relay.accounts.access import require_usable
from relay.accounts.models import PublicKey, RecoveryWrap, User, key_id_for
from relay.accounts.ports import key_audience
from relay.accounts.selectors import current_key
from relay.audit.chain import record, serialize_with_audit
from relay.audit.models import AuditEventType
from relay.delivery.events import KeyEvent
from relay.delivery.streams import append_events
from relay.errors import InvalidRequest

PUBLIC_KEY_BYTES = 32


@transaction.atomic
def register_key(
    *,
    actor: User,
    public_key: bytes,
    wrapped: tuple[bytes, bytes] | None = None,
    login_key: str | None = None,
) -> PublicKey:
    """The user registers a new X25519 public key, retiring their previous one, and with it
    (``wrapped``) the private key wrapped under their password-derived wrap key.

    Who: the user themself; replacing the stored wrapped private key also needs their
    current ``login_key``, checked like a password, or a stolen session could make their next
    sign-in fail. A change of key (not the first key) is announced loudly to every person
    who relies on it, and forwarding to a changed participant key waits for a facilitator
    of each case to verify it again. Audits: KEY_REGISTERED for a new key, KEY_WRAP_REPLACED
    when only the stored wrap of the current key changes. Emits: ``key`` to relying users.
    """
    serialize_with_audit()
    if wrapped is not None or login_key is not None:
        check_current_login_key(actor, login_key)
    user = User.objects.select_for_update().get(pk=actor.pk)
    stored = (
        None
        if user.wrapped_private_key is None
        else (bytes(user.wrapped_key_nonce or b""), bytes(user.wrapped_private_key))
    )
    key, previous, created = store_key(actor, public_key, wrapped)
    if created:
        announce_key_change(AuditEventType.KEY_REGISTERED, actor, key, previous)
    elif wrapped is not None and wrapped != stored:
        record(AuditEventType.KEY_WRAP_REPLACED, actor=actor, user=str(actor.pk), key=key.key_id)
    return key


def check_current_login_key(actor: User, login_key: object) -> None:
    """The user's current login key, as the sign-in checks it; refused with
    ``bad_credentials``."""
    user = User.objects.select_for_update().get(pk=actor.pk)
    if not isinstance(login_key, str) or not user.check_password(login_key):
        raise InvalidRequest(gettext("Your current password is not right."), code="bad_credentials")


def store_key(
    actor: User,
    public_key: bytes,
    wrapped: tuple[bytes, bytes] | None,
    *,
    enrolled_in: uuid.UUID | None = None,
) -> tuple[PublicKey, PublicKey | None, bool]:
    """Store a key (and its wrapped private half), retiring the previous one. Not audited:
    the calling action records the one audit event. ``enrolled_in`` is the case whose
    participant's first code registers it (trusted there without a verification).
    Returns (key, previous, created)."""
    if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_BYTES:
        raise InvalidRequest(gettext("A public key is exactly 32 bytes."))
    user = User.objects.select_for_update().get(pk=actor.pk)
    key_id = key_id_for(public_key)
    if wrapped is not None:
        user.wrapped_key_nonce, user.wrapped_private_key = wrapped
        user.kdf_opslimit = settings.RELAY_KDF_OPSLIMIT
        user.kdf_memlimit = settings.RELAY_KDF_MEMLIMIT
        user.save(
            update_fields=[
                "wrapped_key_nonce", "wrapped_private_key", "kdf_opslimit", "kdf_memlimit"
            ]
        )
    existing = PublicKey.objects.filter(key_id=key_id).first()
    if existing is not None:
        if existing.user_id == user.pk and existing.retired_at is None:
            return existing, None, False
        raise InvalidRequest(gettext("This key is already registered."))
    previous = PublicKey.objects.filter(user=user, retired_at__isnull=True).first()
    if previous is not None:
        previous.retired_at = timezone.now()
        previous.save(update_fields=["retired_at"])
    key = PublicKey.objects.create(
        key_id=key_id, user=user, public_key=public_key, enrolled_in_id=enrolled_in
    )
    return key, previous, True


def announce_key_change(
    event_type: AuditEventType,
    user: User,
    key: PublicKey,
    previous: PublicKey | None,
    **fields: object,
) -> None:
    """Audit a key the user stored (naming the key it replaced) and announce a change of key
    to everyone who relies on it (``relay.accounts.ports.key_audience``)."""
    record(
        event_type,
        actor=user,
        user=str(user.pk),
        key=key.key_id,
        replaced=previous.key_id if previous else None,
        **fields,
    )
    if previous is None:
        return
    event = KeyEvent(user_id=str(user.pk), key_id=key.key_id, previous_key_id=previous.key_id)
    append_events([(event, key_audience(user))])


@transaction.atomic
def store_recovery_wrap(*, actor: User, nonce: bytes, box: bytes) -> RecoveryWrap:
    """Store the user's private key wrapped under their printable recovery key.

    Who: the signed-in user, for their current key. Audits: KEY_REGISTERED (with ``recovery_wrap``).
    """
    user = require_usable(actor)
    key = current_key(user)
    if key is None:
        raise InvalidRequest(gettext("Register a key before storing its recovery wrap."))
    if len(nonce) != 24 or len(box) != 48:
        raise InvalidRequest(gettext("A wrapped private key is a 24-byte nonce and a 48-byte box."))
    wrap, _ = RecoveryWrap.objects.update_or_create(
        user=user, defaults={"key": key, "nonce": nonce, "box": box}
    )
    record(
        AuditEventType.KEY_REGISTERED, actor=user, user=str(user.pk), key=key.key_id,
        recovery_wrap=True,
    )
    return wrap
