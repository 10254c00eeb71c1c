"""Transition tables for cases and participations. Pure: no database access."""

from __future__ import annotations

from collections.abc import Iterable

from relay.accounts.models import TRAINING_ORDER, TrainingLevel
from relay.cases.models import CaseState as C
from relay.cases.models import CommunicationMode
from relay.cases.models import Complexity as X
from relay.cases.models import OffenceCategory as O
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


COMMUNICATION_MODES = frozenset(CommunicationMode.values)


def consents_to(consented_modes: Iterable[str], mode: str) -> bool:
    """The one consent rule: a participant takes part in ``mode`` only while they consent
    to it (``Participation.consented_modes``)."""
    return mode in COMMUNICATION_MODES and mode in set(consented_modes)


# The training a case needs: the higher of what its offence category and its complexity
# need. Sensitive and complex cases (domestic abuse, sexual offences, homicide) need
# specialist facilitators, as RJ service standards ask.
CATEGORY_TRAINING: dict[str, TrainingLevel] = {
    O.DOMESTIC_ABUSE: TrainingLevel.SPECIALIST,
    O.SEXUAL_OFFENCE: TrainingLevel.SPECIALIST,
    O.HOMICIDE: TrainingLevel.SPECIALIST,
    O.SERIOUS_VIOLENCE: TrainingLevel.ADVANCED,
    O.HATE_CRIME: TrainingLevel.ADVANCED,
    O.HARASSMENT: TrainingLevel.ADVANCED,
}
COMPLEXITY_TRAINING: dict[str, TrainingLevel] = {
    X.STANDARD: TrainingLevel.FOUNDATION,
    X.COMPLEX: TrainingLevel.ADVANCED,
    X.SENSITIVE: TrainingLevel.SPECIALIST,
}


def required_training(offence_category: str, complexity: str) -> TrainingLevel:
    """The training level a facilitator of a case with this category and complexity needs."""
    need = (
        CATEGORY_TRAINING.get(offence_category, TrainingLevel.FOUNDATION),
        COMPLEXITY_TRAINING.get(complexity, TrainingLevel.FOUNDATION),
    )
    return max(need, key=TRAINING_ORDER.index)


def training_fits(training_level: str, offence_category: str, complexity: str) -> bool:
    """Whether a facilitator with ``training_level`` may take a case of this kind."""
    needed = required_training(offence_category, complexity)
    return TRAINING_ORDER.index(TrainingLevel(training_level)) >= TRAINING_ORDER.index(needed)


# The safety pause is a facilitator's: on or off, over the case's ``safety_paused_by``.
SAFETY_PAUSE_TRANSITIONS: dict[bool, frozenset[bool]] = {
    False: frozenset({True}),
    True: frozenset({False}),
}


def check_safety_pause_transition(paused: bool, new: bool) -> None:
    if new not in SAFETY_PAUSE_TRANSITIONS[paused]:
        raise IllegalTransition(
            "This case is already paused for safety."
            if paused
            else "This case is not paused for safety."
        )


def may_move_case(current: str, new: str) -> bool:
    return new in CASE_TRANSITIONS[current]


def check_case_transition(current: str, new: str) -> None:
    if not may_move_case(current, new):
        raise IllegalTransition(f"A case cannot move from {current} to {new}.")


def participation_may_move(current: str, new: str) -> bool:
    return new in PARTICIPATION_TRANSITIONS[current]


def check_participation_transition(current: str, new: str) -> None:
    if not participation_may_move(current, new):
        raise IllegalTransition(f"A participation cannot move from {current} to {new}.")


# The rules for what a participant may do now, from the states alone. The actions call
# these before they change anything, and the case summary reports them as ``may_*`` fields,
# so a client shows exactly the controls the server will accept.

CLOSED_TO_MESSAGES = frozenset({C.CLOSED, C.CONCLUDED, C.UNSUITABLE})


def may_pause_participation(case: str, participation: str, other: str | None) -> bool:
    """A participant pauses while the conversation is under way: the case is active, they
    take part unpaused, and the other person has not withdrawn (then it has ended)."""
    return (
        case == C.ACTIVE
        and participation != P.PAUSED
        and participation_may_move(participation, P.PAUSED)
        and other != P.WITHDRAWN
    )


def may_resume_participation(participation: str) -> bool:
    return participation == P.PAUSED and participation_may_move(participation, P.ACTIVE)


def may_safety_pause(case: str, safety_paused: bool) -> bool:
    """A facilitator pauses an active case for safety, unless it already is."""
    return case == C.ACTIVE and not safety_paused


def may_withdraw_participation(participation: str) -> bool:
    return participation_may_move(participation, P.WITHDRAWN)


def may_write_to_facilitators(case: str, participation: str) -> bool:
    """Notes to the facilitators flow in every open case, paused or not, until withdrawal."""
    return participation != P.WITHDRAWN and case not in CLOSED_TO_MESSAGES


def may_write_to_other_party(case: str, participation: str, other: str | None) -> bool:
    """Messages for the other party: once the conversation has started (the case is active
    and this participation is active or paused), and only while the other person is still
    taking part. A paused participant may still write: it waits until the pause is lifted."""
    return (
        may_write_to_facilitators(case, participation)
        and case == C.ACTIVE
        and participation in (P.ACTIVE, P.PAUSED)
        and other is not None
        and other != P.WITHDRAWN
    )


def may_be_written_to(participation: str) -> bool:
    """Whether a facilitator may send a note to this participant."""
    return participation != P.WITHDRAWN
