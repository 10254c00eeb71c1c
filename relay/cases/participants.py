"""The actions that bring a person into a case's conversation: their enrolment code, their
enrolment, the check of their key, and the reset after they lost their password. They live in
cases because each needs a case, a side or the person's invited participations; the account
half of each is in ``relay.accounts.actions``."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils.translation import gettext

from relay.accounts import selectors as account_selectors
from relay.accounts.actions.enrolment import (
    BAD_CODE,
    check_login_key,
    consume_invitation,
    issue_invitation,
    set_enrolled_credentials,
)
from relay.accounts.actions.keys import announce_key_change
from relay.accounts.actions.password import reset_account
from relay.accounts.models import Invitation, KeyVerification, PublicKey, User
from relay.audit.chain import record, serialize_with_audit
from relay.audit.models import AuditEventType
from relay.cases.access import access_case_as_facilitator
from relay.cases.actions import lock_case
from relay.cases.models import Case, Participation, ParticipationState
from relay.cases.selectors import is_held, participation_for_side
from relay.cases.states import check_participation_transition
from relay.errors import AccessDenied, IllegalTransition, InvalidRequest

VERIFICATION_METHODS = frozenset({"in_person", "phone", "video"})


@transaction.atomic
def invite_participant(*, actor: User, case_id: uuid.UUID, side: str) -> tuple[str, Invitation]:
    """A facilitator issues the enrolment code for one participant of their case who has not
    enrolled yet.

    Who: a current facilitator of the case, with a verified second factor. Refused
    (``already_enrolled``) once the person has enrolled, in this case or any other: whoever
    holds a code sets the account's password and key, so an enrolled person gets a new code
    only through ``reset_participant``, which every facilitator of their cases is told of.
    The key enrolled with the code is trusted in this case only.
    Audits: INVITATION_CREATED. The code is returned once and stored only as a hash.
    """
    case = access_case_as_facilitator(actor, case_id)
    participation = participation_for_side(case, side)
    if participation is None:
        raise InvalidRequest(gettext("This case has no participant on that side."))
    if is_held(participation):
        raise IllegalTransition(
            gettext("The facilitators hold this participation for a person with no device, so no "
            "enrolment code is issued for it."), code="held",
        )
    serialize_with_audit()
    user = User.objects.select_for_update().get(pk=participation.user_id)
    if account_selectors.has_enrolled(user):
        raise InvalidRequest(
            gettext(
                "This person has already enrolled, so an enrolment code cannot be issued for them. "
                "If they lost their password, reset their account instead."
            ),
            code="already_enrolled",
        )
    code, invitation = issue_invitation(actor=actor, user=user, case_id=case.pk)
    record(AuditEventType.INVITATION_CREATED, actor=actor, case=case, side=side)
    return code, invitation


@transaction.atomic
def enrol(
    *, code: str, login_key: str, public_key: bytes, wrapped: tuple[bytes, bytes]
) -> User:
    """A person enrols with the code they were given: sets their login key, registers the
    key pair their device made, marks their invited participations enrolled, and consumes
    the code.

    Who: whoever holds a valid code. Audits: ACCOUNT_ENROLLED (one event naming the key, the
    key it replaced and the participations enrolled). Emits: ``key`` to relying users when
    this replaces an earlier key (a re-enrolment after a reset).
    """
    found = account_selectors.invitation_for_code(code)
    if found is None:
        raise InvalidRequest(str(BAD_CODE), code="bad_code")
    check_login_key(login_key)
    user = found.user
    # Lock order: case rows, then the audit gate (exclusive), then user rows
    # (relay.audit.chain).
    invited = Participation.objects.filter(user=user, state=ParticipationState.INVITED)
    case_ids = list(invited.order_by("case_id").values_list("case_id", flat=True))
    list(Case.objects.select_for_update().filter(pk__in=case_ids).order_by("pk"))  # locks
    serialize_with_audit()
    invitation = consume_invitation(found)
    enrolled = []
    # Read again under the case locks: only those still invited are enrolled.
    for participation in invited.filter(case_id__in=case_ids).order_by("case_id"):
        check_participation_transition(participation.state, ParticipationState.ENROLLED)
        participation.state = ParticipationState.ENROLLED
        participation.save(update_fields=["state"])
        enrolled.append(str(participation.case_id))
    user, key, previous = set_enrolled_credentials(
        invitation, login_key=login_key, public_key=public_key, wrapped=wrapped
    )
    announce_key_change(AuditEventType.ACCOUNT_ENROLLED, user, key, previous, enrolled_in=enrolled)
    return user


@transaction.atomic
def verify_key(
    *, actor: User, case_id: uuid.UUID, key_id: str, method: str = "in_person"
) -> KeyVerification:
    """A facilitator records that they compared a participant's fingerprint with them.

    Who: a current facilitator of a case the key's owner takes part in. The key becomes
    trusted in that case only (DESIGN §4). Audits: KEY_VERIFIED.
    """
    # The case row first, as every action on a case: the verification's foreign key is
    # checked at commit, and would otherwise wait on a case action waiting on this one.
    case = lock_case(access_case_as_facilitator(actor, case_id).pk)
    key = PublicKey.objects.filter(
        key_id=key_id, retired_at__isnull=True, user__participations__case=case
    ).first()
    if key is None:
        raise AccessDenied()
    if not isinstance(method, str) or method not in VERIFICATION_METHODS:
        raise InvalidRequest(gettext("Method must be in_person, phone or video."))
    verification = KeyVerification.objects.create(
        key=key, case=case, verified_by=actor, method=method
    )
    record(AuditEventType.KEY_VERIFIED, actor=actor, case=case, key=key_id, method=method)
    return verification


@transaction.atomic
def reset_participant(*, actor: User, case_id: uuid.UUID, side: str) -> tuple[str, Invitation]:
    """A facilitator resets a participant who lost their password, after checking who they
    are out of band. The participant re-enrols with the new code and a new key; forwarding
    to them waits until a facilitator of each case verifies the new key.

    Who: a current facilitator of the case. Audits: ACCOUNT_RESET. Emits: ``key`` (with
    ``reset``) to every facilitator of every case of the participant.
    """
    case = access_case_as_facilitator(actor, case_id)
    participation = participation_for_side(case, side)
    if participation is None:
        raise InvalidRequest(gettext("This case has no participant on that side."))
    if is_held(participation):
        raise IllegalTransition(
            gettext("The facilitators hold this participation for a person with no device: there "
            "is no account to reset."), code="held",
        )
    serialize_with_audit()
    user = User.objects.select_for_update().get(pk=participation.user_id)
    return reset_account(actor=actor, user=user, case=case)
