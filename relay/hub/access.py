"""Who may change the hub's settings and hold its intake key (docs/intake.md)."""

from __future__ import annotations

from typing import Any

from relay.accounts.access import require_manager, require_usable
from relay.accounts.models import MANAGER_ROLES, Role, User
from relay.errors import AccessDenied


def access_hub_settings(user: Any) -> User:
    """Admins only: they set the hub's name, contact details, hours and signposting."""
    user = require_usable(user)
    if user.role != Role.ADMIN:
        raise AccessDenied()
    return user


def access_intake_key(user: Any) -> User:
    """Hub managers and admins: they create the intake key, hold its private half and
    share it with each other."""
    user = require_manager(user)
    assert user.role in MANAGER_ROLES
    return user
