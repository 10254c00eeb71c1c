"""Supporters (docs/casework.md): a participant asks, a facilitator approves, the supporter
enrols with their own account and keys. A supporter reads what is sealed to them (their
participant's side only), drafts for their participant and writes to the facilitators, and
never sends to the other party. When their consent ends their key leaves every later
recipient set at once and their sockets close. The other party is never told.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from relay.accounts.access import as_uuid, require_usable
from relay.accounts.actions.enrolment import issue_invitation, new_account
from relay.accounts.models import Invitation, Role, User
from relay.accounts.selectors import current_key, key_wire
from relay.audit.chain import record, serialize_with_audit
from relay.audit.models import AuditEventType
from relay.cases import hooks
from relay.cases.access import (
    access_case_as_facilitator,
    access_case_as_participant,
    is_current_facilitator,
)
from relay.cases.actions import lock_case
from relay.cases.audience import case_audience
from relay.cases.models import Participation, ParticipationState, Supporter, SupporterState
from relay.cases.selectors import (
    consented_supporter_keys,
    consented_supporters,
    current_facilitators,
)
from relay.cases.states import check_supporter_transition
from relay.delivery.events import SupporterEvent
from relay.delivery.streams import append_events, revoke_sockets
from relay.errors import AccessDenied, IllegalTransition

MAX_SUPPORTERS = 2  # per participant at a time

__all__ = [
    "access_as_supporter",
    "approve_supporter",
    "consented_supporter_keys",
    "consented_supporters",
    "end_supporter",
    "request_supporter",
    "supporters_of_case",
    "supporting",
]


def access_as_supporter(user: Any, case_id: Any) -> Supporter:
    """A supporter of a participant in the case whose consent has not ended."""
    user = require_usable(user)
    supporter = (
        Supporter.objects.select_related("participation__case")
        .filter(user=user, participation__case_id=as_uuid(case_id), state=SupporterState.APPROVED)
        .first()
    )
    if user.role != Role.SUPPORTER or supporter is None:
        raise AccessDenied()
    return supporter


def _told(supporter: Supporter) -> list[uuid.UUID]:
    """Who hears of a supporter: their participant and the facilitators; never the other."""
    return case_audience(supporter.participation.case, supporter.participation.user_id)


def _announce(supporter: Supporter) -> None:
    case = supporter.participation.case
    told = [(SupporterEvent(str(supporter.pk), supporter.state), _told(supporter))]
    append_events(told, case=case)


@transaction.atomic
def request_supporter(*, actor: User, case_id: uuid.UUID) -> Supporter:
    """A participant asks for a supporter; they tell their facilitator who it is in a note.

    Who: a participant of the case who has not withdrawn. At most two at a time.
    Audits: SUPPORTER_REQUESTED. Emits: ``case`` (change ``supporter``) to the participant
    and the facilitators.
    """
    own = access_case_as_participant(actor, case_id)
    case = lock_case(own.case_id)
    participation = Participation.objects.select_for_update().get(pk=own.pk)
    if participation.state == ParticipationState.WITHDRAWN:
        raise IllegalTransition(gettext("You have withdrawn from this case."))
    if (
        Supporter.objects.filter(participation=participation)
        .exclude(state=SupporterState.ENDED)
        .count()
        >= MAX_SUPPORTERS
    ):
        raise IllegalTransition(gettext("You can have at most two supporters at a time."))
    supporter = Supporter.objects.create(participation=participation)
    record(
        AuditEventType.SUPPORTER_REQUESTED,
        actor=actor,
        case=case,
        side=participation.side,
        supporter=str(supporter.pk),
    )
    append_events(
        [(SupporterEvent(str(supporter.pk), supporter.state), _told(supporter))], case=case
    )
    return supporter


def _lock_supporter(supporter_id: Any) -> Supporter:
    found = (
        Supporter.objects.filter(pk=as_uuid(supporter_id)).select_related("participation").first()
    )
    if found is None:
        raise AccessDenied()
    return found


@transaction.atomic
def approve_supporter(
    *, actor: User, supporter_id: uuid.UUID, username: str, display_name: str = ""
) -> tuple[str, Invitation]:
    """A facilitator approves a supporter: their own account is created (role
    ``supporter``) with an enrolment code, passed on out of band; they enrol with it like
    anyone else (``POST /api/enrol``) and make their own keys.

    Who: a current facilitator of the case. Audits: SUPPORTER_APPROVED. Emits: ``case``
    (change ``supporter``) to the participant and the facilitators.
    """
    found = _lock_supporter(supporter_id)
    case = lock_case(access_case_as_facilitator(actor, found.participation.case_id).pk)
    supporter = (
        Supporter.objects.select_for_update().select_related("participation").get(pk=found.pk)
    )
    check_supporter_transition(supporter.state, SupporterState.APPROVED)
    serialize_with_audit()
    user = new_account(
        actor=None, username=username, role=Role.SUPPORTER, display_name=display_name
    )
    code, invitation = issue_invitation(actor=actor, user=user, case_id=case.pk)
    supporter.user = user
    supporter.state = SupporterState.APPROVED
    supporter.decided_by = actor
    supporter.save(update_fields=["user", "state", "decided_by"])
    record(
        AuditEventType.SUPPORTER_APPROVED,
        actor=actor,
        case=case,
        side=supporter.participation.side,
        supporter=str(supporter.pk),
        user=str(user.pk),
    )
    append_events(
        [(SupporterEvent(str(supporter.pk), supporter.state), _told(supporter))], case=case
    )
    return code, invitation


@transaction.atomic
def end_supporter(*, actor: User, supporter_id: uuid.UUID) -> Supporter:
    """Consent to a supporter ends, at once: from this commit their key may not be named in
    any envelope of the case (``consented_supporters`` no longer lists them), their unused
    code stops working, and their open sockets close.

    Who: the participant they support, or a current facilitator of the case.
    Audits: SUPPORTER_ENDED. Emits: ``case`` (change ``supporter``) to the participant and
    the facilitators; closes the supporter's sockets after commit.
    """
    found = _lock_supporter(supporter_id)
    participation = found.participation
    actor = require_usable(actor)
    if actor.pk != participation.user_id and not is_current_facilitator(
        actor, participation.case_id
    ):
        raise AccessDenied()
    case = lock_case(participation.case_id)
    supporter = (
        Supporter.objects.select_for_update().select_related("participation").get(pk=found.pk)
    )
    check_supporter_transition(supporter.state, SupporterState.ENDED)
    supporter.state = SupporterState.ENDED
    supporter.ended_at = timezone.now()
    supporter.ended_by = actor
    supporter.save(update_fields=["state", "ended_at", "ended_by"])
    if supporter.user_id is not None:
        Invitation.objects.filter(user_id=supporter.user_id, used_at__isnull=True).delete()
    record(
        AuditEventType.SUPPORTER_ENDED,
        actor=actor,
        case=case,
        side=participation.side,
        supporter=str(supporter.pk),
        by="participant" if actor.pk == participation.user_id else "facilitator",
    )
    append_events(
        [(SupporterEvent(str(supporter.pk), supporter.state), _told(supporter))], case=case
    )
    hooks.case_changed(case, "supporter_ended", actor=actor, participation=participation)
    if supporter.user_id is not None:
        user_id = supporter.user_id
        transaction.on_commit(lambda: revoke_sockets(user_id, reason="consent_ended"))
    return supporter


def _ended_by(supporter: Supporter) -> str | None:
    """Who ended a supporter's consent, as the pages say it: ``participant`` or
    ``facilitator`` (a request ended before approval was taken back or declined)."""
    if supporter.ended_by_id is None:
        return None
    if supporter.ended_by_id == supporter.participation.user_id:
        return "participant"
    return "facilitator"


def supporters_of_case(user: User, case_id: Any) -> dict[str, Any]:
    """The supporters a participant has (their own) or, for a facilitator of the case,
    every participant's. Never shown to the other party."""
    user = require_usable(user)
    if is_current_facilitator(user, as_uuid(case_id)):
        rows = Supporter.objects.filter(participation__case_id=as_uuid(case_id))
    else:
        own = access_case_as_participant(user, case_id)
        rows = Supporter.objects.filter(participation=own)
    return {
        "case_id": str(case_id),
        "supporters": [
            {
                "supporter_id": str(s.pk),
                "side": s.participation.side,
                "state": s.state,
                "display_name": s.user.display_name if s.user is not None else "",
                "enrolled": s.user is not None and current_key(s.user) is not None,
                "requested_at": s.requested_at.isoformat(),
                "ended_at": s.ended_at.isoformat() if s.ended_at is not None else None,
                "ended_by": _ended_by(s),
            }
            for s in rows.select_related("participation", "user").order_by("requested_at")
        ],
    }


def supporting(user: User) -> dict[str, Any]:
    """What a supporter sees: each case they support (while consent lasts), which side
    they support, and the keys their drafts are sealed to (the facilitators' and their
    participant's). Nothing of the other party."""
    user = require_usable(user)
    if user.role != Role.SUPPORTER:
        raise AccessDenied()
    rows = Supporter.objects.filter(user=user, state=SupporterState.APPROVED).select_related(
        "participation__user"
    )
    cases = []
    for s in rows:
        case_id = s.participation.case_id
        cases.append(
            {
                "case_id": str(case_id),
                "supporter_id": str(s.pk),
                "side": s.participation.side,
                "participant": {
                    "user_id": str(s.participation.user_id),
                    "display_name": s.participation.user.display_name,
                    "key": key_wire(current_key(s.participation.user), case_id=case_id),
                },
                "facilitators": [
                    {
                        "user_id": str(f.pk),
                        "display_name": f.display_name or "Facilitator",
                        "key": key_wire(current_key(f), case_id=case_id),
                    }
                    for f in current_facilitators(case_id)
                ],
            }
        )
    return {"cases": cases}
