"""The rules of ending a case and of the survey. Pure: no database access."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext, gettext_noop

from relay.errors import IllegalTransition, InvalidRequest
from relay.outcomes.models import AgreementItemKind, CloseReason, DeliveryMode, SurveyState

# Case states (relay.cases.models.CaseState values; the cases app is above this one).
REFERRED, ASSESSING, UNSUITABLE, PREPARING, ACTIVE, CONCLUDED = (
    "referred", "assessing", "unsuitable", "preparing", "active", "concluded",
)
SIDES = ("harmed", "responsible")

# Why a case in each state may close. "Completed" follows a conclusion, with its outcome;
# a withdrawal or an unsuitable finding can end a case at any stage before that; "no
# contact" before the conversation has begun.
CLOSE_REASONS: dict[str, frozenset[str]] = {
    REFERRED: frozenset({CloseReason.WITHDREW, CloseReason.UNSUITABLE, CloseReason.NO_CONTACT}),
    ASSESSING: frozenset({CloseReason.WITHDREW, CloseReason.UNSUITABLE, CloseReason.NO_CONTACT}),
    UNSUITABLE: frozenset({CloseReason.UNSUITABLE}),
    PREPARING: frozenset({CloseReason.WITHDREW, CloseReason.UNSUITABLE, CloseReason.NO_CONTACT}),
    ACTIVE: frozenset({CloseReason.WITHDREW, CloseReason.UNSUITABLE}),
    CONCLUDED: frozenset({CloseReason.COMPLETED}),
}

REASON_WORDS = {
    CloseReason.COMPLETED: "completed",
    CloseReason.WITHDREW: "a participant withdrew",
    CloseReason.UNSUITABLE: "unsuitable",
    CloseReason.NO_CONTACT: "no contact",
}


def close_reasons(case_state: str) -> frozenset[str]:
    """The reasons a case in ``case_state`` may close with (none once closed)."""
    return CLOSE_REASONS.get(case_state, frozenset())


def check_close(case_state: str, reason: str, withdrawn_side: str | None) -> None:
    """Refuse a close whose reason does not fit the case's stage, or a withdrawal without
    the side that withdrew (and a side for any other reason)."""
    if reason not in CloseReason.values:
        raise InvalidRequest(
            gettext(
                "Choose why the case is closing: completed, withdrew, unsuitable or no_contact."
            )
        )
    allowed = close_reasons(case_state)
    if reason not in allowed:
        if not allowed:
            raise IllegalTransition(gettext("This case is closed already."))
        words = ", ".join(REASON_WORDS[CloseReason(r)] for r in sorted(allowed))
        if case_state == ACTIVE and reason == CloseReason.COMPLETED:
            raise IllegalTransition(
                gettext(
                    "A case at this stage can close only as: %(reasons)s."
                    " Record its outcome first to close it as completed."
                )
                % {"reasons": words}
            )
        raise IllegalTransition(
            gettext("A case at this stage can close only as: %(reasons)s.") % {"reasons": words}
        )
    if reason == CloseReason.WITHDREW and withdrawn_side not in SIDES:
        raise InvalidRequest(gettext("Say which participant withdrew: harmed or responsible."))
    if reason != CloseReason.WITHDREW and withdrawn_side:
        raise InvalidRequest(gettext("A side is recorded only when a participant withdrew."))


@dataclass(frozen=True)
class AgreementItemInput:
    kind: str
    follow_up_on: datetime.date | None = None


@dataclass(frozen=True)
class OutcomeInput:
    """What a facilitator records when a case concludes (all countable, no words)."""

    questions_answered: bool = False
    explanation_given: bool = False
    apology_offered: bool = False
    apology_accepted: bool | None = None
    agreement: tuple[AgreementItemInput, ...] = ()
    delivery_modes: tuple[str, ...] = ()


MAX_AGREEMENT_ITEMS = 20


def check_outcome(outcome: OutcomeInput, *, today: datetime.date) -> list[str]:
    """Refuse an outcome that does not hold together; return its delivery modes, sorted."""
    modes = sorted(set(outcome.delivery_modes))
    if not modes:
        raise InvalidRequest(
            gettext(
                "Say how the communication happened: messages, letters, recorded statements or a "
                "conference."
            )
        )
    if not set(modes) <= set(DeliveryMode.values):
        raise InvalidRequest(
            gettext("Ways of delivery are %(modes)s.") % {"modes": ", ".join(DeliveryMode.values)}
        )
    if outcome.apology_accepted is not None and not outcome.apology_offered:
        raise InvalidRequest(
            gettext("Whether an apology was accepted is recorded only if one was offered.")
        )
    if len(outcome.agreement) > MAX_AGREEMENT_ITEMS:
        raise InvalidRequest(
            gettext("An agreement has at most %(max_agreement_items)s items.")
            % {"max_agreement_items": MAX_AGREEMENT_ITEMS}
        )
    for item in outcome.agreement:
        if item.kind not in AgreementItemKind.values:
            raise InvalidRequest(
                gettext("Agreement items are %(kinds)s.")
                % {"kinds": ", ".join(AgreementItemKind.values)}
            )
        if item.follow_up_on is not None and item.follow_up_on < today:
            raise InvalidRequest(gettext("A follow-up date cannot be in the past."))
    return modes


def follow_up_is_due(follow_up_on: datetime.date | None, met: bool | None,
                     today: datetime.date) -> bool:
    """A follow-up shows in the facilitator's list from its date until it is recorded."""
    return follow_up_on is not None and met is None and follow_up_on <= today


def follow_up_is_open(follow_up_on: datetime.date | None, met: bool | None) -> bool:
    return follow_up_on is not None and met is None


# --- the survey ---------------------------------------------------------------------------

YES_PARTLY_NO = (
    ("yes", gettext_noop("Yes")), ("partly", gettext_noop("Partly")), ("no", gettext_noop("No"))
)

# Each question: (its words, its choices). Every question may be skipped. The words are
# marked for the catalogue but kept as plain English (``gettext_noop``): the survey reply
# carries them as plain text; the statistics page translates them where it draws them.
QUESTIONS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "felt_safe": (gettext_noop("Did you feel safe taking part?"), YES_PARTLY_NO),
    "felt_heard": (gettext_noop("Did you feel listened to?"), YES_PARTLY_NO),
    "got_what_they_came_for": (
        gettext_noop("Did you get what you wanted from taking part?"), YES_PARTLY_NO
    ),
    "would_recommend": (
        gettext_noop("Would you recommend restorative justice to someone in your position?"),
        (
            ("yes", gettext_noop("Yes")),
            ("not_sure", gettext_noop("Not sure")),
            ("no", gettext_noop("No")),
        ),
    ),
    "overall": (
        gettext_noop("Overall, how satisfied are you with the service?"),
        (
            ("very_satisfied", gettext_noop("Very satisfied")),
            ("satisfied", gettext_noop("Satisfied")),
            ("neither", gettext_noop("Neither satisfied nor dissatisfied")),
            ("dissatisfied", gettext_noop("Dissatisfied")),
            ("very_dissatisfied", gettext_noop("Very dissatisfied")),
        ),
    ),
}


def check_answers(answers: Mapping[str, object]) -> dict[str, str]:
    """Every question's answer ("" where skipped); an unknown question or choice is refused."""
    unknown = set(answers) - set(QUESTIONS)
    if unknown:
        raise InvalidRequest(
            gettext("The survey has no question called %(name)s.") % {"name": sorted(unknown)[0]}
        )
    checked: dict[str, str] = {}
    for name, (_, choices) in QUESTIONS.items():
        value = answers.get(name) or ""
        if value and value not in {v for v, _ in choices}:
            raise InvalidRequest(gettext("Choose one of the answers given for each question."))
        checked[name] = str(value)
    return checked


# The participation states in which a person has taken part: their part ends with the case,
# and they are offered the survey then.
TOOK_PART = frozenset({"consented", "active", "paused"})


def offered_when_case_ends(participation_state: str) -> bool:
    """Whether a participant is offered the survey when the case concludes or closes: if
    they took part. Someone who withdrew is never offered it unless they agree
    (``may_offer_after_withdrawal``)."""
    return participation_state in TOOK_PART


def may_offer_after_withdrawal(participation_state: str, offer: str | None) -> bool:
    return participation_state == "withdrawn" and offer is None


def may_answer_survey(offer: str | None) -> bool:
    return offer == SurveyState.OFFERED


def survey_month(moment: datetime.datetime) -> datetime.date:
    """A response's time, coarsened to its month (re-identification by timing)."""
    return moment.date().replace(day=1)
