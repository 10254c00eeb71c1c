"""Who may see the statistics: aggregate figures only, never a case (docs/statistics.md)."""

from __future__ import annotations

from typing import Any

from relay.accounts.access import require_usable
from relay.accounts.models import Role, User
from relay.errors import AccessDenied

STATISTICS_ROLES = frozenset({Role.COMMISSIONER, Role.HUB_MANAGER, Role.ADMIN})


def access_statistics(user: Any) -> User:
    """Commissioners, hub managers and admins, past their second factor. Returns the user."""
    user = require_usable(user)
    if user.role not in STATISTICS_ROLES:
        raise AccessDenied()
    return user


def access_survey_comments(user: Any) -> User:
    """Hub managers: the comments are sealed to their keys."""
    user = require_usable(user)
    if user.role != Role.HUB_MANAGER:
        raise AccessDenied()
    return user
