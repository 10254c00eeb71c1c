"""Who is invited to a meeting from a participation: THE one place supporters join.

A preparation meeting invites one participant, a joint conference both; each with the
supporters they consented to bring (``relay.cases.selectors.consented_supporters``, the same
list every recipient rule uses). When that consent ends, the supporter leaves every meeting
not yet over at once (``relay.scheduling.actions.on_case_change``, change ``supporter_ended``).
"""

from __future__ import annotations

from dataclasses import dataclass

from relay.accounts.models import User
from relay.cases.models import Participation
from relay.cases.selectors import consented_supporters


@dataclass(frozen=True)
class Invited:
    user: User
    side: str
    supporter: bool = False


def invited_with(participation: Participation) -> list[Invited]:
    """The participant and the supporters they consented to have with them."""
    invited = [Invited(participation.user, participation.side)]
    invited.extend(
        Invited(user, participation.side, supporter=True)
        for user in consented_supporters(participation)
    )
    return invited
