"""Transition tables for cases and participations. Pure: no database access."""

from __future__ import annotations

from relay.cases.models import CaseState as C
from relay.cases.models import ParticipationState as P
from relay.errors import IllegalTransition

CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    C.REFERRED: frozenset({C.ASSESSING, C.CLOSED}),
    C.ASSESSING: frozenset({C.UNSUITABLE, C.PREPARING, C.CLOSED}),
    C.UNSUITABLE: frozenset({C.CLOSED}),
    C.PREPARING: frozenset({C.ACTIVE, C.CLOSED}),
    C.ACTIVE: frozenset({C.CONCLUDED, C.CLOSED}),
    C.CONCLUDED: frozenset({C.CLOSED}),
    C.CLOSED: frozenset(),
}

PARTICIPATION_TRANSITIONS: dict[str, frozenset[str]] = {
    P.INVITED: frozenset({P.ENROLLED, P.WITHDRAWN}),
    P.ENROLLED: frozenset({P.CONSENTED, P.WITHDRAWN}),
    P.CONSENTED: frozenset({P.ACTIVE, P.WITHDRAWN}),
    P.ACTIVE: frozenset({P.PAUSED, P.WITHDRAWN}),
    P.PAUSED: frozenset({P.ACTIVE, P.WITHDRAWN}),
    P.WITHDRAWN: frozenset(),
}


def check_case_transition(current: str, new: str) -> None:
    if new not in CASE_TRANSITIONS[current]:
        raise IllegalTransition(f"A case cannot move from {current} to {new}.")


def check_participation_transition(current: str, new: str) -> None:
    if new not in PARTICIPATION_TRANSITIONS[current]:
        raise IllegalTransition(f"A participation cannot move from {current} to {new}.")
