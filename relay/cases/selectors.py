"""Reads about cases: their people and keys."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from django.db.models import Exists, OuterRef

from relay.accounts.models import KeyVerification, PublicKey, User
from relay.cases.models import Case, FacilitatorAssignment, Participation, ParticipationState, Side


def current_facilitators(case_id: uuid.UUID) -> list[User]:
    return [
        a.facilitator
        for a in FacilitatorAssignment.objects.select_related("facilitator")
        .filter(case_id=case_id, ended_at__isnull=True)
        .order_by("assigned_at")
    ]


def current_key(user: User) -> PublicKey | None:
    return PublicKey.objects.filter(user=user, retired_at__isnull=True).first()


def current_key_ids(users: list[User]) -> set[str]:
    return set(
        PublicKey.objects.filter(user__in=users, retired_at__isnull=True).values_list(
            "key_id", flat=True
        )
    )


def current_keys_by_user(
    user_ids: list[uuid.UUID], *, case: Case
) -> dict[uuid.UUID, PublicKey]:
    """The current key of each user, with ``has_verification`` annotated for ``case`` (a
    verification in another case does not count, DESIGN §4): one query."""
    keys = PublicKey.objects.filter(user_id__in=user_ids, retired_at__isnull=True).annotate(
        has_verification=Exists(
            KeyVerification.objects.filter(key=OuterRef("pk"), case=case)
        )
    )
    return {key.user_id: key for key in keys}


def key_wire(key: PublicKey | None, *, case: Case) -> dict[str, Any] | None:
    """A public key as clients receive it in ``case``, to encrypt to and to compare
    fingerprints; ``verified`` says whether a facilitator of this case verified it."""
    if key is None:
        return None
    verified = getattr(key, "has_verification", None)
    if verified is None:
        verified = KeyVerification.objects.filter(key=key, case=case).exists()
    return {
        "key_id": key.key_id,
        "public_key": base64.b64encode(bytes(key.public_key)).decode(),
        "fingerprint": key.fingerprint,
        "verified": bool(verified),
    }


def participation_for_side(case: Case, side: str) -> Participation | None:
    return Participation.objects.filter(case=case, side=side).select_related("user").first()


def other_side(side: str) -> str:
    return Side(side).other.value


def is_safety_paused(case: Case) -> bool:
    """A facilitator has paused the case for safety; only a facilitator lifts it."""
    return case.safety_paused_by_id is not None


def is_communicating(case: Case, *, participations: list[Participation] | None = None) -> bool:
    """Both participations active (none paused or withdrawn) and no facilitator safety pause.

    The one rule for whether anything may be forwarded. ``participations`` saves a query
    when the caller has already read them (under the same lock, for actions).
    """
    if case.state != "active" or is_safety_paused(case):
        return False
    if participations is None:
        participations = list(Participation.objects.filter(case=case))
    states = [p.state for p in participations]
    return len(states) == 2 and all(s == ParticipationState.ACTIVE for s in states)


def member_user_ids(case: Case) -> list[uuid.UUID]:
    """Everyone who should hear about the case: its participants and current facilitators."""
    ids = list(Participation.objects.filter(case=case).values_list("user_id", flat=True))
    ids += list(
        FacilitatorAssignment.objects.filter(case=case, ended_at__isnull=True).values_list(
            "facilitator_id", flat=True
        )
    )
    return ids
