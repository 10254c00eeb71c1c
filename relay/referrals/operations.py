"""The intake operations: referring (a person's own, with a proof of work; a professional's,
with consent), the status page, the hub managers' intake, and assigning the case's
facilitator (docs/api.md, "The hub and its intake")."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db.models import Count, Q
from pydantic import Field

from relay.accounts.access import require_manager
from relay.accounts.models import Role, User
from relay.cases import actions as case_actions
from relay.cases.access import access_case_as_manager
from relay.cases.states import required_training
from relay.errors import AccessDenied
from relay.referrals import actions, proof
from relay.referrals.access import access_as_referrer, access_intake
from relay.referrals.selectors import intake_list, referral_wire, referrals_of, status_for_code
from relay.surface import Caller, Input, Operation, Route


class SelfReferral(Input):
    sealed: dict[str, Any]
    side: str = Field(max_length=12)
    proof: Any = None


class ProfessionalReferral(Input):
    sealed: dict[str, Any]
    side: str = Field(max_length=12)
    source: str = Field(max_length=20)
    consent_given_by: str = Field(max_length=20)
    consent_method: str = Field(max_length=12)
    consent_given_on: datetime.date


class StatusQuery(Input):
    reference: str = Field(max_length=20)
    check_code: str = Field(max_length=30)


class ReferralRef(Input):
    referral_id: uuid.UUID


class Acceptance(Input):
    referral_id: uuid.UUID
    offence_category: str = Field(max_length=20)
    complexity: str = Field(max_length=20)
    case_reference: str | None = Field(default=None, max_length=32)


class Decline(Input):
    referral_id: uuid.UUID
    reason: str = Field(max_length=24)
    signposting: list[str] = Field(default_factory=list, max_length=30)


class Assignment(Input):
    case_id: uuid.UUID
    facilitator_id: uuid.UUID


def _received(received: actions.Received) -> dict[str, Any]:
    return {
        "referral_id": str(received.referral.pk),
        "reference": received.referral.reference,
        "check_code": received.check_code,
        "state": received.referral.state,
    }


def referral_challenge(caller: Caller, data: Input) -> dict[str, Any]:
    """Anyone: a proof-of-work challenge for one self-referral."""
    return proof.issue_challenge()


def refer(caller: Caller, data: SelfReferral) -> dict[str, Any]:
    """Anyone: a self-referral, sealed in the browser, with its proof of work."""
    return _received(
        actions.receive_self_referral(
            address=caller.address, sealed=data.sealed, side=data.side, proof_of_work=data.proof
        )
    )


def refer_someone(caller: Caller, data: ProfessionalReferral) -> dict[str, Any]:
    """A referrer refers someone with their consent."""
    return _received(
        actions.receive_professional_referral(
            actor=caller.user, sealed=data.sealed, side=data.side, source=data.source,
            consent_given_by=data.consent_given_by, consent_method=data.consent_method,
            consent_given_on=data.consent_given_on,
        )
    )


def referral_status(caller: Caller, data: StatusQuery) -> dict[str, Any]:
    """Anyone with the reference and its check code."""
    return status_for_code(
        reference=data.reference, check_code=data.check_code, address=caller.address
    )


def my_referrals(caller: Caller, data: Input) -> dict[str, Any]:
    return {"referrals": referrals_of(access_as_referrer(caller.user))}


def referrals(caller: Caller, data: Input) -> dict[str, Any]:
    access_intake(caller.user)
    return intake_list()


def accept_referral(caller: Caller, data: Acceptance) -> dict[str, Any]:
    referral = actions.accept_referral(
        actor=caller.user, referral_id=data.referral_id,
        offence_category=data.offence_category, complexity=data.complexity,
        case_reference=data.case_reference,
    )
    return referral_wire(referral)


def decline_referral(caller: Caller, data: Decline) -> dict[str, Any]:
    referral = actions.decline_referral(
        actor=caller.user, referral_id=data.referral_id, reason=data.reason,
        signposting=data.signposting,
    )
    return referral_wire(referral)


def _facilitator_wire(user: User) -> dict[str, Any]:
    return {
        "user_id": str(user.pk),
        "display_name": user.display_name,
        "training_level": user.training_level,
        "cases": getattr(user, "open_cases", None),
    }


def facilitators(caller: Caller, data: Input) -> dict[str, Any]:
    """Hub managers and admins: the facilitators who can act, with their training level
    and how many cases each has now, to choose whom to assign."""
    require_manager(caller.user)
    rows = (
        User.objects.filter(role=Role.FACILITATOR, suspended_at__isnull=True, is_active=True)
        .annotate(open_cases=Count("assignments", filter=Q(assignments__ended_at__isnull=True)))
        .order_by("display_name", "username")
    )
    return {"facilitators": [_facilitator_wire(user) for user in rows]}


def assign_facilitator(caller: Caller, data: Assignment) -> dict[str, Any]:
    """A hub manager assigns a facilitator to a case (the training rule and co-facilitation
    are ``assign_facilitator``'s)."""
    case = access_case_as_manager(caller.user, data.case_id)
    facilitator = User.objects.filter(pk=data.facilitator_id, role=Role.FACILITATOR).first()
    if facilitator is None:
        raise AccessDenied()
    case_actions.assign_facilitator(actor=caller.user, case_id=case.pk, facilitator=facilitator)
    current = case.assignments.filter(ended_at__isnull=True).select_related("facilitator")
    return {
        "case_id": str(case.pk),
        "reference": case.reference,
        "training_needed": required_training(case.offence_category, case.complexity),
        "facilitators": [_facilitator_wire(a.facilitator) for a in current],
    }


_R = "referrals/<uuid:referral_id>"

OPERATIONS: dict[str, Operation] = {
    "referral_challenge": Operation(
        referral_challenge, Input, False, Route("POST", "referrals/challenge", csrf_exempt=True),
        auth="anonymous",
    ),
    "refer": Operation(refer, SelfReferral, True, Route("POST", "referrals/self", status=201),
                       auth="anonymous"),
    "refer_someone": Operation(
        refer_someone, ProfessionalReferral, True, Route("POST", "referrals", status=201)
    ),
    "referral_status": Operation(
        referral_status, StatusQuery, False, Route("POST", "referrals/status", csrf_exempt=True),
        auth="anonymous",
    ),
    "my_referrals": Operation(my_referrals, Input, False, Route("GET", "referrals/mine")),
    "referrals": Operation(referrals, Input, False, Route("GET", "referrals")),
    "accept_referral": Operation(
        accept_referral, Acceptance, True, Route("POST", f"{_R}/accept")
    ),
    "decline_referral": Operation(
        decline_referral, Decline, True, Route("POST", f"{_R}/decline")
    ),
    "facilitators": Operation(facilitators, Input, False, Route("GET", "facilitators")),
    "assign_facilitator": Operation(
        assign_facilitator, Assignment, True, Route("POST", "cases/<uuid:case_id>/facilitators")
    ),
}
