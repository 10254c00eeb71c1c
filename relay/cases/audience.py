"""Who hears about a change: the one home for every event's audience in a case.

Participants of a case never hear of each other's accounts or keys (DESIGN §1): an event
about one participant goes to them and the facilitators, never to the other party, unless
it is about the case as a whole (``everyone_in``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from relay.cases.models import FacilitatorAssignment, Participation

if TYPE_CHECKING:
    from relay.accounts.models import User
    from relay.cases.models import Case


def _facilitator_ids(case_ids: set[uuid.UUID] | list[uuid.UUID]) -> set[uuid.UUID]:
    return set(
        FacilitatorAssignment.objects.filter(
            case_id__in=case_ids, ended_at__isnull=True
        ).values_list("facilitator_id", flat=True)
    )


def case_audience(
    case: Case, *people: uuid.UUID, facilitator_ids: Iterable[uuid.UUID] | None = None
) -> list[uuid.UUID]:
    """``people`` and the case's current facilitators, each once, in id order.
    ``facilitator_ids`` saves the query when the action has read them under the case lock
    (``relay.cases.members``)."""
    if facilitator_ids is None:
        facilitator_ids = _facilitator_ids([case.pk])
    return sorted({*people, *facilitator_ids}, key=str)


def everyone_in(case: Case) -> list[uuid.UUID]:
    """Every member of the case: its participants (in any state) and current facilitators."""
    participants = Participation.objects.filter(case=case).values_list("user_id", flat=True)
    return case_audience(case, *participants)


def key_change_audience(user: User) -> set[uuid.UUID]:
    """Everyone who encrypts to this user's key, and so must hear loudly that it changed.

    A participant's key is relied on only by the facilitators of their cases: the other party
    never encrypts to it and must learn nothing about the participant's account (DESIGN §1).
    A facilitator's key is relied on by everyone in the cases they facilitate.
    """
    participant_cases = set(
        Participation.objects.filter(user=user).values_list("case_id", flat=True)
    )
    facilitated_cases = set(
        FacilitatorAssignment.objects.filter(facilitator=user, ended_at__isnull=True).values_list(
            "case_id", flat=True
        )
    )
    ids = _facilitator_ids(participant_cases | facilitated_cases)
    ids |= set(
        Participation.objects.filter(case_id__in=facilitated_cases).values_list(
            "user_id", flat=True
        )
    )
    ids.discard(user.pk)
    return ids
