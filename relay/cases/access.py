"""Who may reach a case. Each function returns the object or raises ``AccessDenied``.

The same error is raised for "does not exist" and "not yours", so ids cannot be probed.
Staff without a verified second factor are refused here too (invariant 6), so no caller can
forget it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet

from relay.accounts.access import as_uuid, require_manager, require_usable
from relay.accounts.models import Role, User
from relay.cases.models import Case, FacilitatorAssignment, Participation
from relay.errors import AccessDenied


def is_current_facilitator(user: User, case_id: uuid.UUID) -> bool:
    return (
        user.role == Role.FACILITATOR
        and FacilitatorAssignment.objects.filter(
            case_id=case_id, facilitator=user, ended_at__isnull=True
        ).exists()
    )


def access_case_as_participant(user: Any, case_id: Any) -> Participation:
    """Participants of the case (any state, so a withdrawn person still sees their history)."""
    user = require_usable(user)
    participation = (
        Participation.objects.select_related("case")
        .filter(case_id=as_uuid(case_id), user=user)
        .first()
    )
    if participation is None:
        raise AccessDenied()
    return participation


def require_current_facilitator(user: Any, case_id: Any) -> uuid.UUID:
    """``access_case_as_facilitator`` without reading the case: for an action that locks
    the case next (``lock_case`` reads it). Returns the case id."""
    user = require_usable(user)
    case_uuid = as_uuid(case_id)
    if not is_current_facilitator(user, case_uuid):
        raise AccessDenied()
    return case_uuid


def access_case_as_facilitator(user: Any, case_id: Any) -> Case:
    """Facilitators currently assigned to the case, with a verified second factor."""
    case_uuid = require_current_facilitator(user, case_id)
    case = Case.objects.filter(pk=case_uuid).first()
    if case is None:
        raise AccessDenied()
    return case


def access_case_as_member(user: Any, case_id: Any) -> Case:
    """A participant of the case or one of its current facilitators."""
    user = require_usable(user)
    if user.role == Role.FACILITATOR:
        return access_case_as_facilitator(user, case_id)
    return access_case_as_participant(user, case_id).case


def access_case_as_manager(user: Any, case_id: Any) -> Case:
    """Hub managers and admins, for case administration only; they read no message."""
    require_manager(user)
    case = Case.objects.filter(pk=as_uuid(case_id)).first()
    if case is None:
        raise AccessDenied()
    return case


def access_case_to_close(user: Any, case_id: Any) -> Case:
    """A current facilitator of the case, or a hub manager or admin."""
    user = require_usable(user)
    if user.role == Role.FACILITATOR:
        return access_case_as_facilitator(user, case_id)
    return access_case_as_manager(user, case_id)


def readable_cases(user: User) -> QuerySet[Case, uuid.UUID]:
    """The ids of the cases whose events ``user`` may still read, as a query that a caller
    can put inside its own (``case_id__in=``), so the rule costs no query of its own: those
    they take part in (in any state, as ``access_case_as_participant``) and, for a
    facilitator, those they currently facilitate (as ``access_case_as_facilitator``). An
    unassigned facilitator loses them at once."""
    taking_part = Q(pk__in=Participation.objects.filter(user=user).values("case_id"))
    if user.role != Role.FACILITATOR:
        return Case.objects.filter(taking_part).values_list("pk", flat=True)
    facilitating = Q(
        pk__in=FacilitatorAssignment.objects.filter(
            facilitator=user, ended_at__isnull=True
        ).values("case_id")
    )
    return Case.objects.filter(taking_part | facilitating).values_list("pk", flat=True)


def readable_case_ids(user: User) -> set[uuid.UUID]:
    """``readable_cases`` as a set of ids."""
    return set(readable_cases(user))
