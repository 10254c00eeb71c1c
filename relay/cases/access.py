"""Who may reach a case. Each function returns the object or raises ``AccessDenied``.

The same error is raised for "does not exist" and "not yours", so ids cannot be probed.
Staff without a verified second factor are refused here too (invariant 6), so no caller can
forget it.
"""

from __future__ import annotations

import uuid
from typing import Any

from relay.accounts.models import MANAGER_ROLES, Role, User
from relay.accounts.second_factor import second_factor_missing
from relay.cases.models import Case, FacilitatorAssignment, Participation
from relay.errors import (
    AccessDenied,
    AccountSuspended,
    NotSignedIn,
    SecondFactorRequired,
)


def _as_uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise AccessDenied() from None


def _usable(user: Any, *, second_factor: bool = True) -> User:
    """The one rule for who may act at all: signed in, not suspended, and (unless setting a
    factor up) past any second factor they need. Each refusal is its own AccessDenied."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotSignedIn()
    if user.suspended_at is not None or not user.is_active:
        raise AccountSuspended()
    if second_factor and second_factor_missing(user):
        raise SecondFactorRequired()
    return user


def is_current_facilitator(user: User, case_id: uuid.UUID) -> bool:
    return (
        user.role == Role.FACILITATOR
        and FacilitatorAssignment.objects.filter(
            case_id=case_id, facilitator=user, ended_at__isnull=True
        ).exists()
    )


def access_case_as_participant(user: Any, case_id: Any) -> Participation:
    """Participants of the case (any state, so a withdrawn person still sees their history)."""
    user = _usable(user)
    participation = (
        Participation.objects.select_related("case")
        .filter(case_id=_as_uuid(case_id), user=user)
        .first()
    )
    if participation is None:
        raise AccessDenied()
    return participation


def access_case_as_facilitator(user: Any, case_id: Any) -> Case:
    """Facilitators currently assigned to the case, with a verified second factor."""
    user = _usable(user)
    case_uuid = _as_uuid(case_id)
    if not is_current_facilitator(user, case_uuid):
        raise AccessDenied()
    case = Case.objects.filter(pk=case_uuid).first()
    if case is None:
        raise AccessDenied()
    return case


def access_case_as_member(user: Any, case_id: Any) -> Case:
    """A participant of the case or one of its current facilitators."""
    user = _usable(user)
    if user.role == Role.FACILITATOR:
        return access_case_as_facilitator(user, case_id)
    return access_case_as_participant(user, case_id).case


def require_manager(user: Any) -> User:
    """Hub managers and admins: they administer cases and accounts, and read no message."""
    user = _usable(user)
    if user.role not in MANAGER_ROLES:
        raise AccessDenied()
    return user


def access_case_as_manager(user: Any, case_id: Any) -> Case:
    """Hub managers and admins, for case administration only; they read no message."""
    require_manager(user)
    case = Case.objects.filter(pk=_as_uuid(case_id)).first()
    if case is None:
        raise AccessDenied()
    return case


def require_usable(user: Any, *, second_factor: bool = True) -> User:
    """Any signed-in, unsuspended user who has passed the second factor they need.

    ``second_factor=False`` only for the endpoints that set a factor up or verify it.
    """
    return _usable(user, second_factor=second_factor)
