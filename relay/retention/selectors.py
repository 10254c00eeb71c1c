"""Reads: each case's retention, and which cases are due for shredding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from relay.cases.models import Case
from relay.cases.states import ENDED_STATES
from relay.outcomes.models import Closure
from relay.retention.models import LegalHold, Shredding
from relay.retention.policy import is_due, retention_days, shred_after


def current_hold(case: Case) -> LegalHold | None:
    return LegalHold.objects.filter(case=case, released_at__isnull=True).first()


def days_for(case: Case) -> int | None:
    closure = Closure.objects.filter(case=case).only("reason", "stage").first()
    return retention_days(
        case.state,
        close_reason=closure.reason if closure else None,
        close_stage=closure.stage if closure else None,
    )


def retention_wire(case: Case) -> dict[str, Any]:
    """What a facilitator of the case or a hub manager sees (docs/api.md, "Retention")."""
    days = days_for(case)
    after = shred_after(case.ended_at, days)
    hold = current_hold(case)
    shredding = Shredding.objects.filter(case=case).first()
    return {
        "case_id": str(case.pk),
        "ended_at": case.ended_at.isoformat() if case.ended_at else None,
        "retention_days": days,
        "shred_after": after.isoformat() if after else None,
        "hold": None if hold is None else {
            "reason": hold.reason,
            "reference": hold.reference,
            "placed_at": hold.placed_at.isoformat(),
        },
        "shredded_at": shredding.shredded_at.isoformat() if shredding else None,
    }


@dataclass(frozen=True)
class DueCases:
    due: list[Case]
    held: list[Case]


def due_for_shredding(now: datetime) -> DueCases:
    """Ended, unshredded cases whose period has passed: those to shred, and those a
    current hold keeps."""
    shortest = min(settings.RELAY_RETENTION_CASE_DAYS, settings.RELAY_RETENTION_UNSUITABLE_DAYS)
    candidates = (
        Case.objects.filter(state__in=ENDED_STATES, ended_at__lte=now - timedelta(days=shortest))
        .exclude(pk__in=Shredding.objects.values("case_id"))
        .order_by("ended_at")
    )
    held_ids = set(
        LegalHold.objects.filter(released_at__isnull=True).values_list("case_id", flat=True)
    )
    due: list[Case] = []
    held: list[Case] = []
    for case in candidates:
        if is_due(case.ended_at, days_for(case), now):
            (held if case.pk in held_ids else due).append(case)
    return DueCases(due, held)
