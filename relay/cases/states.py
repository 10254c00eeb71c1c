"""Transition tables for cases and participations. Pure: no database access."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from relay.accounts.models import TRAINING_ORDER, TrainingLevel
from relay.cases.models import CaseState as C
from relay.cases.models import CommunicationMode, RecordKind
from relay.cases.models import Complexity as X
from relay.cases.models import OffenceCategory as O
from relay.cases.models import ParticipationState as P
from relay.errors import IllegalTransition, InvalidRequest

CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    C.REFERRED: frozenset({C.ASSESSING, C.CLOSED}),
    C.ASSESSING: frozenset({C.UNSUITABLE, C.PREPARING, C.CLOSED}),
    C.UNSUITABLE: frozenset({C.CLOSED}),
    # Found unsuitable at any stage of preparation, too (DESIGN §7).
    C.PREPARING: frozenset({C.ACTIVE, C.UNSUITABLE, C.CLOSED}),
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
            gettext("This case is already paused for safety.")
            if paused
            else gettext("This case is not paused for safety.")
        )


def may_move_case(current: str, new: str) -> bool:
    return new in CASE_TRANSITIONS[current]


def check_case_transition(current: str, new: str) -> None:
    if not may_move_case(current, new):
        raise IllegalTransition(
            gettext("A case cannot move from %(current)s to %(new)s.")
            % {"current": current, "new": new}
        )


def participation_may_move(current: str, new: str) -> bool:
    return new in PARTICIPATION_TRANSITIONS[current]


def check_participation_transition(current: str, new: str) -> None:
    if not participation_may_move(current, new):
        raise IllegalTransition(
            gettext("A participation cannot move from %(current)s to %(new)s.")
            % {"current": current, "new": new}
        )


# The rules for what a participant may do now, from the states alone. The actions call
# these before they change anything, and the case summary reports them as ``may_*`` fields,
# so a client shows exactly the controls the server will accept.

CLOSED_TO_MESSAGES = frozenset({C.CLOSED, C.CONCLUDED, C.UNSUITABLE})
# A case in one of these has ended: its retention period runs from ``Case.ended_at``.
ENDED_STATES = frozenset({C.CLOSED, C.CONCLUDED, C.UNSUITABLE})


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


# Assessment (docs/casework.md): the clear facts of each record kind and the gate from
# assessing to preparing. The words of every record are sealed; these are what the gate needs.

# Each criterion's words finish the sentence "Say whether ..." and the case page's checklist;
# they are in the hub's language when they become text.
SUITABILITY_CRITERIA: dict[str, Promise] = {
    "reported_to_police": _("the offence has been reported to the police"),
    "identifiable_parties": _("there is an identifiable person harmed and person responsible"),
    "responsibility_admitted": _("the person responsible admits responsibility"),
    "both_willing": _("both people are willing to take part"),
}
RISK_LEVELS = ("low", "medium", "high")
APPROACH_RESPONSES = ("accepted", "declined", "needs_time")
CONTACT_METHODS = ("phone", "email", "letter", "visit", "other")


def preparation_blockers(latest: dict[str, dict[str, object]]) -> list[str]:
    """What stops a case moving from assessing to preparing, in plain words, given the
    latest facts of each record kind (``latest[kind]``): every suitability criterion met, a
    risk assessment recorded, and the person responsible has accepted the approach (an offer
    declined or needing time stays open: a later approach can be accepted). Empty: it may."""
    blockers: list[str] = []
    suitability = latest.get("suitability")
    if suitability is None:
        blockers.append(gettext("the suitability criteria have not been recorded"))
    else:
        blockers += [
            gettext("not met: %(criterion)s") % {"criterion": words}
            for name, words in SUITABILITY_CRITERIA.items()
            if suitability.get(name) is not True
        ]
    if "risk_assessment" not in latest:
        blockers.append(gettext("no risk assessment has been recorded"))
    approach = latest.get("approach")
    if approach is None or approach.get("response") != "accepted":
        blockers.append(gettext("the person responsible has not accepted the approach"))
    return blockers


UNSUITABLE_FROM = frozenset({C.ASSESSING, C.PREPARING})


def may_find_unsuitable(case: str) -> bool:
    """A case is found unsuitable after assessment or at any stage of preparation."""
    return case in UNSUITABLE_FROM and may_move_case(case, C.UNSUITABLE)


def case_steps(case: str) -> list[str]:
    """The case-work steps a facilitator may offer from ``case``, by action name, in the
    order a case takes them. A gate on the records (``preparation_blockers``) or on consent
    is checked when the step is taken; its refusal says what is missing."""
    steps = {
        "begin_assessment": may_move_case(case, C.ASSESSING),
        "begin_preparation": may_move_case(case, C.PREPARING),
        "start_communication": may_move_case(case, C.ACTIVE),
        "find_unsuitable": may_find_unsuitable(case),
    }
    return [name for name, allowed in steps.items() if allowed]


def clean_facts(kind: str, facts: dict[str, Any]) -> dict[str, Any]:
    """The clear facts of a record of ``kind``, checked; anything else is refused, so no
    words can slip into the clear part of a record."""
    def one_of(name: str, choices: Sequence[str]) -> str:
        value = facts.get(name)
        if value not in choices:
            raise InvalidRequest(
                gettext("Give %(name)s as one of: %(choices)s.")
                % {"name": name, "choices": ", ".join(choices)}
            )
        return str(value)

    allowed: set[str]
    if kind == RecordKind.SUITABILITY:
        allowed = set(SUITABILITY_CRITERIA)
        for name in SUITABILITY_CRITERIA:
            if not isinstance(facts.get(name), bool):
                raise InvalidRequest(
                    gettext("Say whether %(criterion)s (true or false).")
                    % {"criterion": SUITABILITY_CRITERIA[name]}
                )
        cleaned: dict[str, Any] = {name: facts[name] for name in SUITABILITY_CRITERIA}
    elif kind == RecordKind.RISK_ASSESSMENT:
        allowed = {"level"}
        cleaned = {"level": one_of("level", RISK_LEVELS)}
    elif kind == RecordKind.APPROACH:
        allowed = {"response"}
        cleaned = {"response": one_of("response", APPROACH_RESPONSES)}
    elif kind == RecordKind.CONTACT_ATTEMPT:
        allowed = {"side", "method", "reached"}
        if not isinstance(facts.get("reached"), bool):
            raise InvalidRequest(gettext("Say whether the person was reached (true or false)."))
        cleaned = {
            "side": one_of("side", ("harmed", "responsible")),
            "method": one_of("method", CONTACT_METHODS),
            "reached": facts["reached"],
        }
    else:
        allowed, cleaned = set(), {}
    if set(facts) - allowed:
        raise InvalidRequest(
            gettext("A record holds only its listed facts; write anything else in its note.")
        )
    return cleaned


SUPPORTER_TRANSITIONS: dict[str, frozenset[str]] = {
    "requested": frozenset({"approved", "ended"}),
    "approved": frozenset({"ended"}),
    "ended": frozenset(),
}


def check_supporter_transition(current: str, new: str) -> None:
    if new not in SUPPORTER_TRANSITIONS[current]:
        raise IllegalTransition(
            gettext("A supporter cannot move from %(current)s to %(new)s.")
            % {"current": current, "new": new}
        )
