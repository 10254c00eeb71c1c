"""Account and key changes."""

from __future__ import annotations

import os

from django.db import transaction
from django.utils import timezone

from relay.accounts.models import KeyVerification, PublicKey, Role, User, key_id_for
from relay.audit.chain import record, serialize_with_audit
from relay.audit.models import AuditEventType
from relay.cases.access import access_case_as_facilitator, require_usable
from relay.cases.models import FacilitatorAssignment, Participation
from relay.delivery.models import EventType
from relay.delivery.streams import append_events
from relay.errors import AccessDenied, InvalidRequest

PUBLIC_KEY_BYTES = 32


@transaction.atomic
def create_account(
    *, actor: User | None, username: str, role: str, display_name: str = ""
) -> User:
    """Create an account with no usable password; the person sets one when they enrol.

    Who: a hub manager or admin (``actor`` None only for the seeding command and tests'
    factories). Audits: ACCOUNT_CREATED.
    """
    if actor is not None:
        actor = require_usable(actor)
        if actor.role not in (Role.HUB_MANAGER, Role.ADMIN):
            raise AccessDenied()
    if role not in Role.values:
        raise InvalidRequest("Unknown role.")
    username = username.strip()
    if not username or User.objects.filter(username__iexact=username).exists():
        raise InvalidRequest("That username is taken or empty.")
    user = User(username=username, role=role, display_name=display_name.strip()[:80])
    user.kdf_salt = os.urandom(16)
    user.set_unusable_password()
    user.save()
    record(AuditEventType.ACCOUNT_CREATED, actor=actor, user=str(user.pk), role=role)
    return user


def _relying_users(user: User) -> set:
    """Everyone who encrypts to this user's key: members of every case they are in."""
    case_ids = set(Participation.objects.filter(user=user).values_list("case_id", flat=True))
    case_ids |= set(
        FacilitatorAssignment.objects.filter(facilitator=user, ended_at__isnull=True).values_list(
            "case_id", flat=True
        )
    )
    ids = set(Participation.objects.filter(case_id__in=case_ids).values_list("user_id", flat=True))
    ids |= set(
        FacilitatorAssignment.objects.filter(case_id__in=case_ids, ended_at__isnull=True)
        .values_list("facilitator_id", flat=True)
    )
    ids.discard(user.pk)
    return ids


@transaction.atomic
def register_key(
    *, actor: User, public_key: bytes, wrapped: tuple[bytes, bytes] | None = None
) -> PublicKey:
    """The user registers a new X25519 public key, retiring their previous one.

    Who: the user themself. A change of key (not the first key) is announced loudly to every
    person who relies on it, and forwarding to a changed participant key waits for a
    facilitator to verify it again. Audits: KEY_REGISTERED. Emits: ``key`` to relying users.
    """
    if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_BYTES:
        raise InvalidRequest("A public key is exactly 32 bytes.")
    serialize_with_audit()
    user = User.objects.select_for_update().get(pk=actor.pk)
    key_id = key_id_for(public_key)
    if wrapped is not None:
        from django.conf import settings

        user.wrapped_key_nonce, user.wrapped_private_key = wrapped
        user.kdf_opslimit = settings.RELAY_KDF_OPSLIMIT
        user.kdf_memlimit = settings.RELAY_KDF_MEMLIMIT
        user.save(
            update_fields=["wrapped_key_nonce", "wrapped_private_key", "kdf_opslimit", "kdf_memlimit"]
        )
    existing = PublicKey.objects.filter(key_id=key_id).first()
    if existing is not None:
        if existing.user_id == user.pk and existing.retired_at is None:
            return existing
        raise InvalidRequest("This key is already registered.")
    previous = PublicKey.objects.filter(user=user, retired_at__isnull=True).first()
    if previous is not None:
        previous.retired_at = timezone.now()
        previous.save(update_fields=["retired_at"])
    key = PublicKey.objects.create(key_id=key_id, user=user, public_key=public_key)
    record(
        AuditEventType.KEY_REGISTERED,
        actor=user,
        user=str(user.pk),
        key=key_id,
        replaced=previous.key_id if previous else None,
    )
    if previous is not None:
        append_events(
            _relying_users(user),
            EventType.KEY,
            data={"user_id": str(user.pk), "key_id": key_id, "previous_key_id": previous.key_id},
        )
    return key


@transaction.atomic
def verify_key(*, actor: User, case_id, key_id: str, method: str = "in_person") -> KeyVerification:
    """A facilitator records that they compared a participant's fingerprint with them.

    Who: a current facilitator of a case the key's owner takes part in.
    Audits: KEY_VERIFIED.
    """
    case = access_case_as_facilitator(actor, case_id)
    key = PublicKey.objects.filter(
        key_id=key_id, retired_at__isnull=True, user__participations__case=case
    ).first()
    if key is None:
        raise AccessDenied()
    if method not in {"in_person", "phone", "video"}:
        raise InvalidRequest("Method must be in_person, phone or video.")
    verification = KeyVerification.objects.create(key=key, verified_by=actor, method=method)
    record(AuditEventType.KEY_VERIFIED, actor=actor, case=case, key=key_id, method=method)
    return verification
