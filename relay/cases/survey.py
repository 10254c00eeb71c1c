"""The satisfaction survey: offered to each participant when their part ends, answered or
declined by them, and counted without being attributed (relay.outcomes.models).

Each action locks the case row first, as every action on a case.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from relay.accounts.models import User
from relay.accounts.selectors import hub_manager_keys
from relay.audit.chain import record
from relay.audit.models import AuditEventType
from relay.cases.access import access_case_as_facilitator, access_case_as_participant
from relay.cases.actions import lock_case
from relay.cases.models import Participation
from relay.envelopes import SealedComment
from relay.errors import EnvelopeRejected, IllegalTransition, InvalidRequest
from relay.outcomes.models import SurveyOffer, SurveyResponse, SurveyState
from relay.outcomes.states import (
    check_answers,
    may_answer_survey,
    may_offer_after_withdrawal,
    survey_month,
)


def _open_offer(actor: User, case_id: uuid.UUID) -> tuple[Participation, SurveyOffer]:
    participation = access_case_as_participant(actor, case_id)
    lock_case(participation.case_id)
    offer = SurveyOffer.objects.select_for_update().filter(participation=participation).first()
    if not may_answer_survey(offer.state if offer is not None else None):
        raise IllegalTransition(gettext("There is no survey waiting for you in this case."))
    assert offer is not None
    return participation, offer


def _check_comment_recipients(comment: SealedComment) -> None:
    """A comment is sealed to exactly the current keys of the hub managers."""
    wanted = [key.key_id for key in hub_manager_keys()]
    if comment.recipient_key_ids != wanted:
        raise EnvelopeRejected(
            gettext("The comment must be sealed to every hub manager's current key and no other. "
            "Refresh the page and try again."),
            code="recipients_missing",
        )


@transaction.atomic
def answer_survey(
    *,
    actor: User,
    case_id: uuid.UUID,
    answers: Mapping[str, object],
    comment: SealedComment | None = None,
) -> SurveyResponse:
    """A participant answers the survey offered to them. The answers are stored with only
    the month and the side, never the case or the person; the offer is marked answered, so
    it is not offered again.

    Who: a participant of the case with a survey waiting. Audits: SURVEY_ANSWERED (the side
    only, never the answers).
    """
    participation, offer = _open_offer(actor, case_id)
    checked = check_answers(answers)
    if not any(checked.values()) and comment is None:
        raise InvalidRequest(
            gettext("Answer at least one question, or choose not to take the survey.")
        )
    if comment is not None:
        _check_comment_recipients(comment)
    response = SurveyResponse.objects.create(
        month=survey_month(timezone.now()),
        side=participation.side,
        comment=comment.model_dump(mode="json") if comment is not None else None,
        **checked,
    )
    offer.state = SurveyState.ANSWERED
    offer.save(update_fields=["state"])
    record(
        AuditEventType.SURVEY_ANSWERED, actor=actor, case=participation.case,
        side=participation.side,
    )
    return response


@transaction.atomic
def decline_survey(*, actor: User, case_id: uuid.UUID) -> SurveyOffer:
    """A participant chooses not to take the survey; it is not offered again.

    Who: a participant of the case with a survey waiting. Audits: SURVEY_DECLINED.
    """
    participation, offer = _open_offer(actor, case_id)
    offer.state = SurveyState.DECLINED
    offer.save(update_fields=["state"])
    record(
        AuditEventType.SURVEY_DECLINED, actor=actor, case=participation.case,
        side=participation.side,
    )
    return offer


@transaction.atomic
def offer_survey(*, actor: User, case_id: uuid.UUID, side: str) -> SurveyOffer:
    """A facilitator offers the survey to a participant who withdrew and has agreed to be
    asked (it is never offered to someone who withdrew otherwise).

    Who: a current facilitator of the case. Audits: SURVEY_OFFERED.
    """
    case = lock_case(access_case_as_facilitator(actor, case_id).pk)
    participation = Participation.objects.filter(case=case, side=side).first()
    if participation is None:
        raise InvalidRequest(gettext("This case has no participant on that side."))
    offer = SurveyOffer.objects.filter(participation=participation).first()
    if not may_offer_after_withdrawal(participation.state, offer.state if offer else None):
        raise IllegalTransition(
            gettext(
                "The survey is offered here only to a participant who withdrew and agreed to be "
                "asked, once."
            )
        )
    offer = SurveyOffer.objects.create(participation=participation, state=SurveyState.OFFERED)
    record(AuditEventType.SURVEY_OFFERED, actor=actor, case=case, side=side)
    return offer
