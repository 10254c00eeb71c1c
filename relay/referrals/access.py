"""Who may reach referrals. Each returns what was asked for or raises ``AccessDenied`` (the
same for "missing" and "not yours")."""

from __future__ import annotations

import uuid
from typing import Any

from relay.accounts.access import as_uuid, require_manager, require_usable
from relay.accounts.models import Role, User
from relay.errors import AccessDenied
from relay.referrals.models import Referral


def access_intake(user: Any) -> User:
    """Hub managers and admins: they read the referrals waiting and decide them."""
    return require_manager(user)


def access_referral_as_manager(user: Any, referral_id: Any) -> Referral:
    require_manager(user)
    referral = Referral.objects.filter(pk=as_uuid(referral_id)).first()
    if referral is None:
        raise AccessDenied()
    return referral


def access_as_referrer(user: Any) -> User:
    """Professional referrers (with their second factor passed)."""
    user = require_usable(user)
    if user.role != Role.REFERRER:
        raise AccessDenied()
    return user


def referral_id(value: Any) -> uuid.UUID:
    return as_uuid(value)
