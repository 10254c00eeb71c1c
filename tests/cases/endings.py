"""Building cases that have ended, through the real actions."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.utils import timezone

from relay.cases import actions as case_actions
from relay.outcomes.models import AgreementItem
from relay.outcomes.states import AgreementItemInput, OutcomeInput
from tests.envelopes import parsed, seal_from
from tests.factories import Person, ShuttleCase, make_case

AGREEMENT_OUTCOME = OutcomeInput(
    questions_answered=True,
    explanation_given=True,
    apology_offered=True,
    apology_accepted=True,
    agreement=(
        AgreementItemInput("apology"),
        AgreementItemInput("reparation", datetime.date.today() + datetime.timedelta(days=30)),
    ),
    delivery_modes=("letters", "shuttle_messages"),
)


def outcome_note(sc: ShuttleCase, text: str, *, by: Person | None = None) -> dict[str, Any]:
    """A note on how the case ended, sealed by a facilitator to the case's facilitators."""
    writer = by or sc.facilitator
    return seal_from(writer, sc, "outcome_note", text, to=sc.facilitators())


def concluded_case(
    *,
    outcome: OutcomeInput = AGREEMENT_OUTCOME,
    note: str | None = None,
    co_facilitator: bool = False,
) -> ShuttleCase:
    sc = make_case(co_facilitator=co_facilitator)
    case_actions.conclude_case(
        actor=sc.facilitator.user,
        case_id=sc.case.pk,
        outcome=outcome,
        note=parsed(outcome_note(sc, note)) if note else None,
    )
    sc.case.refresh_from_db()
    return sc


def case_with_follow_up_due() -> tuple[ShuttleCase, uuid.UUID]:
    """A concluded case whose one follow-up is today."""
    today = timezone.localdate()
    sc = concluded_case(
        outcome=OutcomeInput(
            agreement=(AgreementItemInput("behaviour", today),),
            delivery_modes=("conference",),
        )
    )
    item = AgreementItem.objects.get(outcome__case=sc.case)
    return sc, item.pk
