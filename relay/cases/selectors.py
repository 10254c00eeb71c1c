"""Reads about cases: their people and keys."""

from __future__ import annotations

import uuid

from relay.accounts.models import PublicKey, User
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


def participation_for_side(case: Case, side: str) -> Participation | None:
    return Participation.objects.filter(case=case, side=side).select_related("user").first()


def other_side(side: str) -> str:
    return Side(side).other.value


def is_communicating(case: Case) -> bool:
    """Both participations active (none paused or withdrawn) and no facilitator safety pause."""
    if case.state != "active" or case.safety_paused_by_id is not None:
        return False
    states = list(Participation.objects.filter(case=case).values_list("state", flat=True))
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
