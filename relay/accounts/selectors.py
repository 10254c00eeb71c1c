"""Reads for the accounts app."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, UUIDField, Value
from django.utils import timezone

from relay.accounts.models import Invitation, KeyVerification, PublicKey, User, code_hash


def current_key(user: User) -> PublicKey | None:
    """The user's one current key (``retired_at`` null), or None before they have one."""
    return PublicKey.objects.filter(user=user, retired_at__isnull=True).first()


def current_key_ids(users: Iterable[User]) -> set[str]:
    return set(
        PublicKey.objects.filter(user__in=users, retired_at__isnull=True).values_list(
            "key_id", flat=True
        )
    )


def current_keys_by_user(
    user_ids: Iterable[uuid.UUID], *, case_id: uuid.UUID
) -> dict[uuid.UUID, PublicKey]:
    """The current key of each user, with ``has_verification`` annotated for the case (a
    verification in another case does not count, DESIGN §4): one query."""
    keys = PublicKey.objects.filter(user_id__in=user_ids, retired_at__isnull=True).annotate(
        has_verification=Exists(
            KeyVerification.objects.filter(key=OuterRef("pk"), case_id=case_id)
        ),
        # Which case ``has_verification`` is about, so no rule reads it for another.
        verification_case_id=Value(case_id, output_field=UUIDField()),
    )
    return {key.user_id: key for key in keys}


def hub_manager_keys() -> list[PublicKey]:
    """The current keys of the hub managers who can act (not suspended), in key id order:
    what a participant seals a survey comment to."""
    return list(
        PublicKey.objects.filter(
            retired_at__isnull=True,
            user__role="hub_manager",
            user__is_active=True,
            user__suspended_at__isnull=True,
        ).order_by("key_id")
    )


def key_wire(key: PublicKey | None, *, case_id: uuid.UUID) -> dict[str, Any] | None:
    """A public key as clients receive it in a case, to encrypt to and to compare
    fingerprints; ``verified`` says whether a facilitator of this case verified it."""
    if key is None:
        return None
    verified = getattr(key, "has_verification", None)
    if verified is None:
        verified = KeyVerification.objects.filter(key=key, case_id=case_id).exists()
    return {
        "key_id": key.key_id,
        "public_key": base64.b64encode(bytes(key.public_key)).decode(),
        "fingerprint": key.fingerprint,
        "verified": bool(verified),
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
