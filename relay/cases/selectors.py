"""Reads about cases: their people and keys."""

from __future__ import annotations

import uuid

from relay.accounts.models import User
from relay.cases.models import Case, FacilitatorAssignment, Participation, ParticipationState, Side


def current_facilitators(case_id: uuid.UUID) -> list[User]:
    return [
        a.facilitator
        for a in FacilitatorAssignment.objects.select_related("facilitator")
        .filter(case_id=case_id, ended_at__isnull=True)
        .order_by("assigned_at")
    ]


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
