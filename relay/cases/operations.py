"""The case operations: reading cases, pausing and withdrawing, and the participants'
enrolment, reset and key verification (docs/api.md, docs/accounts.md)."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.utils.translation import gettext
from pydantic import Field

from relay.accounts import selectors as account_selectors
from relay.accounts import throttle
from relay.accounts.actions import BAD_CODE
from relay.accounts.models import Role
from relay.accounts.operations import (
    b64_field,
    invitation_reply,
    me_wire,
    text_field,
    wrapped_key_field,
)
from relay.cases import actions as case_actions
from relay.cases import assessment, held, participants, supporters, survey
from relay.cases.models import Participation
from relay.cases.selectors import (
    case_records,
    case_timeline,
    consent_history,
    follow_ups_for,
    notices_for,
    record_wire,
    survey_form,
)
from relay.cases.visibility import case_summary
from relay.envelopes import parse_envelope, parse_sealed_comment
from relay.errors import InvalidRequest
from relay.outcomes.states import MAX_AGREEMENT_ITEMS, AgreementItemInput, OutcomeInput
from relay.surface import Body, Caller, Input, Operation, Route


class CaseRef(Input):
    case_id: uuid.UUID


class CaseBody(Body):
    case_id: uuid.UUID


class SideBody(Body):
    case_id: uuid.UUID
    side: str


class KeyBody(Body):
    case_id: uuid.UUID
    key_id: str


def get_case(caller: Caller, data: CaseRef) -> dict[str, Any]:
    return case_summary(caller.user, data.case_id)


def list_cases(caller: Caller, data: Input) -> dict[str, Any]:
    user = caller.user
    ids: list[Any] = []
    if user.role == Role.FACILITATOR:
        ids = list(user.assignments.filter(ended_at__isnull=True).values_list("case_id", flat=True))
    elif user.role == Role.PARTICIPANT:
        ids = list(Participation.objects.filter(user=user).values_list("case_id", flat=True))
    return {"cases": [case_summary(user, cid) for cid in ids]}


def pause(caller: Caller, data: CaseRef) -> dict[str, Any]:
    case = case_actions.pause(actor=caller.user, case_id=data.case_id)
    return case_summary(caller.user, case.pk)


def resume(caller: Caller, data: CaseRef) -> dict[str, Any]:
    case = case_actions.resume(actor=caller.user, case_id=data.case_id)
    return case_summary(caller.user, case.pk)


def withdraw(caller: Caller, data: CaseRef) -> dict[str, Any]:
    participation = case_actions.withdraw(actor=caller.user, case_id=data.case_id)
    return {"case_id": str(participation.case_id), "state": participation.state}


def invite_participant(caller: Caller, data: CaseBody) -> dict[str, Any]:
    """A facilitator of the case issues a participant's enrolment code."""
    side = data.field("side")
    if side not in ("harmed", "responsible"):
        raise InvalidRequest(gettext("The side must be 'harmed' or 'responsible'."))
    code, invitation = participants.invite_participant(
        actor=caller.user, case_id=data.case_id, side=side
    )
    return invitation_reply(code, invitation)


def reset_participant(caller: Caller, data: SideBody) -> dict[str, Any]:
    """A facilitator of the case resets a participant who lost their password."""
    code, invitation = participants.reset_participant(
        actor=caller.user, case_id=data.case_id, side=data.side
    )
    return invitation_reply(code, invitation)


def verify_key(caller: Caller, data: KeyBody) -> dict[str, Any]:
    """A facilitator records a fingerprint comparison with a participant."""
    method = data.field("method", "in_person")
    participants.verify_key(
        actor=caller.user, case_id=data.case_id, key_id=data.key_id, method=method
    )
    return {"key_id": data.key_id, "verified": True}


def code_attempt(caller: Caller, data: Body) -> str:
    """The enrolment code sent, counted against the address; a code no invitation has is
    refused (and counted as a failure)."""
    code = data.field("code")
    throttle.check("enrolment", account=None, address=caller.address)
    if not isinstance(code, str):
        raise InvalidRequest(gettext("Enter the code your facilitator gave you."))
    return code


def bad_code(caller: Caller) -> InvalidRequest:
    throttle.fail("enrolment", account=None, address=caller.address)
    return InvalidRequest(str(BAD_CODE), code="bad_code")


def enrol(caller: Caller, data: Body) -> dict[str, Any]:
    """Enrol with a code: set the login key, register the key pair, sign in."""
    assert caller.session is not None
    code = code_attempt(caller, data)
    if account_selectors.invitation_for_code(code) is None:
        raise bad_code(caller)
    body = data.fields()
    login_key = text_field(
        body, "login_key", gettext("Send the login key derived from your password.")
    )
    user = participants.enrol(
        code=code,
        login_key=login_key,
        public_key=b64_field(body, "public_key", 32),
        wrapped=wrapped_key_field(body),
    )
    caller.session.sign_in(user)
    return me_wire(user)


class AgreementItemIn(Input):
    kind: str = Field(max_length=20)
    follow_up_on: datetime.date | None = None


class ConcludeIn(Input):
    case_id: uuid.UUID
    questions_answered: bool = False
    explanation_given: bool = False
    apology_offered: bool = False
    apology_accepted: bool | None = None
    agreement: list[AgreementItemIn] = Field(default_factory=list, max_length=MAX_AGREEMENT_ITEMS)
    delivery_modes: list[str] = Field(default_factory=list, max_length=8)
    note: dict[str, Any] | None = None


class CloseIn(Input):
    case_id: uuid.UUID
    reason: str = Field(max_length=20)
    withdrawn_side: str | None = Field(default=None, max_length=20)
    note: dict[str, Any] | None = None


class FollowUpIn(Input):
    item_id: uuid.UUID
    met: bool


class SurveyIn(Input):
    case_id: uuid.UUID
    answers: dict[str, str] = Field(default_factory=dict, max_length=10)
    comment: dict[str, Any] | None = None


class ConsentIn(Input):
    case_id: uuid.UUID
    modes: list[str] = Field(min_length=1, max_length=4)
    side: str | None = Field(default=None, max_length=20)
    how: str | None = Field(default=None, max_length=20)


class OfferSurveyIn(Input):
    case_id: uuid.UUID
    side: str = Field(max_length=20)


def sealed_note(raw: dict[str, Any] | None) -> Any:
    if raw is None:
        return None
    return parse_envelope(raw, max_ciphertext=settings.RELAY_MAX_CIPHERTEXT_BYTES)


def conclude(caller: Caller, data: ConcludeIn) -> dict[str, Any]:
    outcome = OutcomeInput(
        questions_answered=data.questions_answered,
        explanation_given=data.explanation_given,
        apology_offered=data.apology_offered,
        apology_accepted=data.apology_accepted,
        agreement=tuple(
            AgreementItemInput(item.kind, item.follow_up_on) for item in data.agreement
        ),
        delivery_modes=tuple(data.delivery_modes),
    )
    case = case_actions.conclude_case(
        actor=caller.user, case_id=data.case_id, outcome=outcome, note=sealed_note(data.note)
    )
    return case_summary(caller.user, case.pk)


def close(caller: Caller, data: CloseIn) -> dict[str, Any]:
    case = case_actions.close_case(
        actor=caller.user, case_id=data.case_id, reason=data.reason,
        withdrawn_side=data.withdrawn_side, note=sealed_note(data.note),
    )
    return {"case_id": str(case.pk), "state": case.state}


def follow_ups(caller: Caller, data: Input) -> dict[str, Any]:
    return {"follow_ups": follow_ups_for(caller.user)}


def record_follow_up(caller: Caller, data: FollowUpIn) -> dict[str, Any]:
    item = case_actions.record_follow_up(actor=caller.user, item_id=data.item_id, met=data.met)
    return {"item_id": str(item.pk), "met": item.met}


def get_survey(caller: Caller, data: CaseRef) -> dict[str, Any]:
    return survey_form(caller.user, data.case_id)


def answer_survey(caller: Caller, data: SurveyIn) -> dict[str, Any]:
    comment = None
    if data.comment is not None:
        comment = parse_sealed_comment(
            data.comment, max_ciphertext=settings.RELAY_MAX_CIPHERTEXT_BYTES
        )
    survey.answer_survey(
        actor=caller.user, case_id=data.case_id, answers=data.answers, comment=comment
    )
    return {"case_id": str(data.case_id), "survey": "answered"}


def decline_survey(caller: Caller, data: CaseRef) -> dict[str, Any]:
    survey.decline_survey(actor=caller.user, case_id=data.case_id)
    return {"case_id": str(data.case_id), "survey": "declined"}


def offer_survey(caller: Caller, data: OfferSurveyIn) -> dict[str, Any]:
    survey.offer_survey(actor=caller.user, case_id=data.case_id, side=data.side)
    return {"case_id": str(data.case_id), "side": data.side, "survey": "offered"}


def get_consent(caller: Caller, data: CaseRef) -> dict[str, Any]:
    return consent_history(caller.user, data.case_id)


def give_consent(caller: Caller, data: ConsentIn) -> dict[str, Any]:
    case_actions.give_consent(
        actor=caller.user, case_id=data.case_id, modes=data.modes, side=data.side, how=data.how
    )
    return consent_history(caller.user, data.case_id)


def withdraw_consent(caller: Caller, data: ConsentIn) -> dict[str, Any]:
    case_actions.withdraw_consent(
        actor=caller.user, case_id=data.case_id, modes=data.modes, side=data.side, how=data.how
    )
    return consent_history(caller.user, data.case_id)


class RecordIn(Input):
    case_id: uuid.UUID
    kind: str = Field(max_length=24)
    facts: dict[str, Any] = Field(default_factory=dict, max_length=8)
    envelope: dict[str, Any] | None = None


class UnsuitableIn(Input):
    case_id: uuid.UUID
    reason: dict[str, Any]
    notices: list[dict[str, Any]] = Field(default_factory=list, max_length=2)
    signposting: list[str] = Field(default_factory=list, max_length=20)


def get_records(caller: Caller, data: CaseRef) -> dict[str, Any]:
    return {"case_id": str(data.case_id), "records": case_records(caller.user, data.case_id)}


def add_record(caller: Caller, data: RecordIn) -> dict[str, Any]:
    row = assessment.add_case_record(
        actor=caller.user, case_id=data.case_id, kind=data.kind, facts=data.facts,
        envelope=sealed_note(data.envelope),
    )
    return record_wire(row)


def get_timeline(caller: Caller, data: CaseRef) -> dict[str, Any]:
    return case_timeline(caller.user, data.case_id)


def begin_assessment(caller: Caller, data: CaseRef) -> dict[str, Any]:
    case = case_actions.begin_assessment(actor=caller.user, case_id=data.case_id)
    return case_summary(caller.user, case.pk)


def begin_preparation(caller: Caller, data: CaseRef) -> dict[str, Any]:
    case = assessment.begin_preparation(actor=caller.user, case_id=data.case_id)
    return case_summary(caller.user, case.pk)


def start_communication(caller: Caller, data: CaseRef) -> dict[str, Any]:
    case = case_actions.start_communication(actor=caller.user, case_id=data.case_id)
    return case_summary(caller.user, case.pk)


def find_unsuitable(caller: Caller, data: UnsuitableIn) -> dict[str, Any]:
    case = assessment.find_unsuitable(
        actor=caller.user, case_id=data.case_id, reason=sealed_note(data.reason),
        notices=[sealed_note(raw) for raw in data.notices], signposting=data.signposting,
    )
    return {"case_id": str(case.pk), "state": case.state}


def get_notices(caller: Caller, data: CaseRef) -> dict[str, Any]:
    return notices_for(caller.user, data.case_id)


class SupporterRef(Input):
    supporter_id: uuid.UUID


class ApproveSupporterIn(Input):
    supporter_id: uuid.UUID
    username: str = Field(min_length=1, max_length=150)
    display_name: str = Field(default="", max_length=80)


def get_supporters(caller: Caller, data: CaseRef) -> dict[str, Any]:
    return supporters.supporters_of_case(caller.user, data.case_id)


def request_supporter(caller: Caller, data: CaseRef) -> dict[str, Any]:
    supporter = supporters.request_supporter(actor=caller.user, case_id=data.case_id)
    return {"supporter_id": str(supporter.pk), "state": supporter.state}


def approve_supporter(caller: Caller, data: ApproveSupporterIn) -> dict[str, Any]:
    code, invitation = supporters.approve_supporter(
        actor=caller.user, supporter_id=data.supporter_id, username=data.username,
        display_name=data.display_name,
    )
    return {"supporter_id": str(data.supporter_id), "state": "approved",
            **invitation_reply(code, invitation)}


def end_supporter(caller: Caller, data: SupporterRef) -> dict[str, Any]:
    supporter = supporters.end_supporter(actor=caller.user, supporter_id=data.supporter_id)
    return {"supporter_id": str(supporter.pk), "state": supporter.state}


def get_supporting(caller: Caller, data: Input) -> dict[str, Any]:
    return supporters.supporting(caller.user)


class HoldIn(Input):
    case_id: uuid.UUID
    side: str = Field(max_length=20)
    consent_how: str = Field(max_length=20)
    consent_given_at: datetime.datetime


class HeldSide(Input):
    case_id: uuid.UUID
    side: str = Field(max_length=20)


def hold_participation(caller: Caller, data: HoldIn) -> dict[str, Any]:
    held.hold_participation(
        actor=caller.user, case_id=data.case_id, side=data.side,
        consent_how=data.consent_how, consent_given_at=data.consent_given_at,
    )
    return case_summary(caller.user, data.case_id)


def pause_held(caller: Caller, data: HeldSide) -> dict[str, Any]:
    held.pause_held(actor=caller.user, case_id=data.case_id, side=data.side)
    return case_summary(caller.user, data.case_id)


def resume_held(caller: Caller, data: HeldSide) -> dict[str, Any]:
    held.resume_held(actor=caller.user, case_id=data.case_id, side=data.side)
    return case_summary(caller.user, data.case_id)


def withdraw_held(caller: Caller, data: HeldSide) -> dict[str, Any]:
    held.withdraw_held(actor=caller.user, case_id=data.case_id, side=data.side)
    return case_summary(caller.user, data.case_id)


_C = "cases/<uuid:case_id>"
_H = f"{_C}/held/<str:side>"
_S = "supporters/<uuid:supporter_id>"

OPERATIONS: dict[str, Operation] = {
    "cases": Operation(list_cases, Input, False, Route("GET", "cases"), socket=True),
    "case": Operation(get_case, CaseRef, False, Route("GET", _C), socket=True),
    "pause": Operation(pause, CaseRef, True, Route("POST", f"{_C}/pause"), socket=True),
    "resume": Operation(resume, CaseRef, True, Route("POST", f"{_C}/resume"), socket=True),
    "withdraw": Operation(withdraw, CaseRef, True, Route("POST", f"{_C}/withdraw"), socket=True),
    "invite_participant": Operation(
        invite_participant, CaseBody, True, Route("POST", f"{_C}/invitations", status=201)
    ),
    "reset_participant": Operation(
        reset_participant, SideBody, True,
        Route("POST", f"{_C}/participants/<str:side>/reset", status=201, body=False),
    ),
    "verify_key": Operation(
        verify_key, KeyBody, True, Route("POST", f"{_C}/keys/<str:key_id>/verify")
    ),
    "enrol": Operation(
        enrol, Body, True, Route("POST", "enrol", status=201), auth="anonymous", session=True
    ),
    # Ending a case: its outcome or closing reason, follow-ups and the survey.
    "conclude": Operation(conclude, ConcludeIn, True, Route("POST", f"{_C}/conclude")),
    "close": Operation(close, CloseIn, True, Route("POST", f"{_C}/close")),
    "follow_ups": Operation(follow_ups, Input, False, Route("GET", "follow-ups")),
    "record_follow_up": Operation(
        record_follow_up, FollowUpIn, True, Route("POST", "follow-ups/<uuid:item_id>")
    ),
    "survey": Operation(get_survey, CaseRef, False, Route("GET", f"{_C}/survey")),
    "answer_survey": Operation(answer_survey, SurveyIn, True, Route("POST", f"{_C}/survey")),
    "decline_survey": Operation(
        decline_survey, CaseRef, True, Route("POST", f"{_C}/survey/decline", body=False)
    ),
    "offer_survey": Operation(
        offer_survey, OfferSurveyIn, True, Route("POST", f"{_C}/survey/offer")
    ),
    # Consent per communication mode (docs/casework.md).
    "consent": Operation(get_consent, CaseRef, False, Route("GET", f"{_C}/consent"), socket=True),
    "give_consent": Operation(
        give_consent, ConsentIn, True, Route("POST", f"{_C}/consent"), socket=True
    ),
    "withdraw_consent": Operation(
        withdraw_consent, ConsentIn, True, Route("POST", f"{_C}/consent/withdraw"), socket=True
    ),
    # Assessment and preparation (docs/casework.md): facilitators of the case only.
    "records": Operation(get_records, CaseRef, False, Route("GET", f"{_C}/records")),
    "add_record": Operation(
        add_record, RecordIn, True, Route("POST", f"{_C}/records", status=201)
    ),
    "timeline": Operation(get_timeline, CaseRef, False, Route("GET", f"{_C}/timeline")),
    "begin_assessment": Operation(
        begin_assessment, CaseRef, True, Route("POST", f"{_C}/assess", body=False)
    ),
    "begin_preparation": Operation(
        begin_preparation, CaseRef, True, Route("POST", f"{_C}/prepare", body=False)
    ),
    "start_communication": Operation(
        start_communication, CaseRef, True, Route("POST", f"{_C}/start", body=False)
    ),
    "find_unsuitable": Operation(
        find_unsuitable, UnsuitableIn, True, Route("POST", f"{_C}/unsuitable")
    ),
    # A participant's notices (why their case cannot go on, with signposting).
    "notices": Operation(get_notices, CaseRef, False, Route("GET", f"{_C}/notices")),
    # Supporters (docs/casework.md): asked for by a participant, approved by a facilitator.
    "supporters": Operation(get_supporters, CaseRef, False, Route("GET", f"{_C}/supporters")),
    "request_supporter": Operation(
        request_supporter, CaseRef, True,
        Route("POST", f"{_C}/supporters", status=201, body=False),
    ),
    "approve_supporter": Operation(
        approve_supporter, ApproveSupporterIn, True, Route("POST", f"{_S}/approve", status=201)
    ),
    "end_supporter": Operation(
        end_supporter, SupporterRef, True, Route("POST", f"{_S}/end", body=False)
    ),
    "supporting": Operation(get_supporting, Input, False, Route("GET", "supporting")),
    # Taking part without a device (relay/cases/held.py): facilitators of the case only.
    "hold_participation": Operation(
        hold_participation, HoldIn, True, Route("POST", f"{_C}/held", status=201)
    ),
    "pause_held": Operation(pause_held, HeldSide, True, Route("POST", f"{_H}/pause", body=False)),
    "resume_held": Operation(
        resume_held, HeldSide, True, Route("POST", f"{_H}/resume", body=False)
    ),
    "withdraw_held": Operation(
        withdraw_held, HeldSide, True, Route("POST", f"{_H}/withdraw", body=False)
    ),
}  # fmt: skip
