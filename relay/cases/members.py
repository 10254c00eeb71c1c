"""Who is in a case right now, read once by an action under the case lock.

An action on a case asks several rules the same facts: the participations (and which are
held), the current facilitators, and everyone's current key. ``case_members`` reads them in
three queries after ``lock_case``, and the rules take them from it instead of each asking
the database again. It lives for one action only: nothing is kept between requests, so a
pause, withdrawal, reassignment or key change made since is always seen by the next action.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from relay.accounts.selectors import current_keys_by_user
from relay.cases.audience import case_audience
from relay.cases.models import FacilitatorAssignment, Participation
from relay.cases.selectors import with_held

if TYPE_CHECKING:
    from relay.accounts.models import PublicKey, User
    from relay.cases.models import Case


@dataclass(frozen=True)
class CaseMembers:
    case: Case
    # Both participations (any state), each with its user and ``held`` annotated.
    participations: tuple[Participation, ...]
    # The current facilitators, in the order they were assigned.
    facilitators: tuple[User, ...]
    # The current key of each participant and facilitator who has one, with
    # ``has_verification`` annotated for this case.
    keys: dict[uuid.UUID, PublicKey]

    def participation_of(self, user_id: uuid.UUID) -> Participation | None:
        return next((p for p in self.participations if p.user_id == user_id), None)

    def on_side(self, side: str) -> Participation | None:
        return next((p for p in self.participations if p.side == side), None)

    def other_than(self, participation: Participation) -> Participation | None:
        return next((p for p in self.participations if p.pk != participation.pk), None)

    def facilitator_ids(self) -> frozenset[uuid.UUID]:
        return frozenset(f.pk for f in self.facilitators)

    def is_facilitator(self, user_id: uuid.UUID) -> bool:
        return user_id in self.facilitator_ids()

    def key_of(self, user_id: uuid.UUID) -> PublicKey | None:
        """The user's current key, if they are a member with one."""
        return self.keys.get(user_id)

    def facilitator_key_ids(self) -> frozenset[str]:
        """The current keys of the current facilitators (``recipients.facilitator_key_ids``)."""
        return frozenset(k.key_id for uid, k in self.keys.items() if self.is_facilitator(uid))

    def audience(self, *people: uuid.UUID) -> list[uuid.UUID]:
        """``case_audience`` from the facilitators read here."""
        return case_audience(self.case, *people, facilitator_ids=self.facilitator_ids())


def case_members(case: Case) -> CaseMembers:
    """The case's participations, current facilitators and their current keys: three
    queries. Call it after ``lock_case``, in the action's transaction, so what it returns
    cannot change before the action commits (a pause or withdrawal locks the case first)."""
    participations = tuple(
        with_held(Participation.objects.filter(case=case).select_related("user").order_by("side"))
    )
    facilitators = tuple(
        a.facilitator
        for a in FacilitatorAssignment.objects.select_related("facilitator")
        .filter(case=case, ended_at__isnull=True)
        .order_by("assigned_at")
    )
    user_ids = [p.user_id for p in participations] + [f.pk for f in facilitators]
    keys = current_keys_by_user(user_ids, case_id=case.pk)
    return CaseMembers(case, participations, facilitators, keys)
