"""Reads about cases: their people and keys."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from django.utils import timezone

from relay.accounts.models import MANAGER_ROLES, Role, User
from relay.accounts.selectors import hub_manager_keys
from relay.cases.access import access_case_as_participant
from relay.cases.models import Case, FacilitatorAssignment, Participation, ParticipationState, Side
from relay.errors import AccessDenied
from relay.outcomes.models import AgreementItem, SurveyOffer
from relay.outcomes.states import QUESTIONS, follow_up_is_due, may_answer_survey


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


def follow_ups_for(user: User) -> list[dict[str, Any]]:
    """The agreement follow-ups a user should see: a facilitator, those of their current
    cases whose date has come and that nobody has recorded yet; a hub manager, every open
    follow-up in the hub, due or not. Anyone else: none to see (refused)."""
    today = timezone.localdate()
    items = AgreementItem.objects.select_related("outcome__case").filter(
        follow_up_on__isnull=False, met__isnull=True
    )
    if user.role == Role.FACILITATOR:
        current = FacilitatorAssignment.objects.filter(
            facilitator=user, ended_at__isnull=True
        ).values_list("case_id", flat=True)
        items = items.filter(outcome__case_id__in=current, follow_up_on__lte=today)
    elif user.role not in MANAGER_ROLES:
        raise AccessDenied()
    return [
        {
            "item_id": str(item.pk),
            "case_id": str(item.outcome.case_id),
            "reference": item.outcome.case.reference,
            "kind": item.kind,
            "follow_up_on": item.follow_up_on.isoformat() if item.follow_up_on else None,
            "due": follow_up_is_due(item.follow_up_on, item.met, today),
        }
        for item in items.order_by("follow_up_on", "pk")
    ]


def survey_form(user: User, case_id: Any) -> dict[str, Any]:
    """The survey as a participant of the case sees it: whether it waits for them, its
    questions and choices, and the hub managers' keys to seal a comment to."""
    participation = access_case_as_participant(user, case_id)
    offer = SurveyOffer.objects.filter(participation=participation).first()
    state = offer.state if offer is not None else None
    return {
        "case_id": str(participation.case_id),
        "state": state,
        "may_answer": may_answer_survey(state),
        "questions": [
            {"name": name, "question": words, "choices": [
                {"value": value, "label": label} for value, label in choices
            ]}
            for name, (words, choices) in QUESTIONS.items()
        ],
        "comment_recipients": [
            {"key_id": key.key_id, "public_key": base64.b64encode(bytes(key.public_key)).decode()}
            for key in hub_manager_keys()
        ],
    }
