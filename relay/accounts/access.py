"""Who may act at all, and who may administer accounts and keys. Each function returns what
was asked for or raises ``AccessDenied`` (or the one refusal that names why): the same error
for "does not exist" and "not yours", so ids cannot be probed.

Case-scoped rules (a facilitator of the case invites, resets and verifies its participants)
are in ``relay.cases.access``; they build on ``require_usable`` here.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.utils.translation import gettext

from relay.accounts.models import MANAGER_ROLES, PublicKey, Role, User
from relay.accounts.second_factor import second_factor_missing
from relay.envelopes import Envelope
from relay.errors import (
    AccessDenied,
    AccountSuspended,
    EnvelopeRejected,
    InvalidRequest,
    NotSignedIn,
    SecondFactorRequired,
)


def as_uuid(value: Any) -> uuid.UUID:
    """An id from the wire as a UUID; anything else is refused like an unknown id."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise AccessDenied() from None


def require_usable(user: Any, *, second_factor: bool = True) -> User:
    """The one rule for who may act at all: signed in, not suspended, and past any second
    factor they need. Each refusal is its own error (401, 403 suspended, 403 second factor).

    ``second_factor=False`` only for the endpoints that set a factor up or verify it.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotSignedIn()
    if user.suspended_at is not None or not user.is_active:
        raise AccountSuspended()
    if second_factor and second_factor_missing(user):
        raise SecondFactorRequired()
    return user


def require_manager(user: Any) -> User:
    """Hub managers and admins: they administer cases and accounts, and read no message."""
    user = require_usable(user)
    if user.role not in MANAGER_ROLES:
        raise AccessDenied()
    return user


def access_accounts_as_manager(actor: Any) -> User:
    """Hub managers and admins: they create, invite, suspend, reinstate and reset accounts."""
    return require_manager(actor)


def access_role_grant(actor: User | None, role: str) -> None:
    """Only an admin makes another admin. ``actor`` None is the command line, which may."""
    if actor is not None and role == Role.ADMIN and actor.role != Role.ADMIN:
        raise AccessDenied()


def access_account_as_manager(actor: Any, user_id: Any) -> User:
    """Another person's account, locked, for a hub manager or admin to suspend, reinstate or
    reset: never their own, and an admin's only by an admin. Call inside a transaction."""
    actor = access_accounts_as_manager(actor)
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise AccessDenied()
    if user.pk == actor.pk:
        raise AccessDenied()
    if user.role == Role.ADMIN and actor.role != Role.ADMIN:
        raise AccessDenied()
    return user


def access_second_factor_change(actor: Any, *, verified: bool) -> User:
    """The signed-in user setting up a second factor. A first factor needs only the
    password; replacing a confirmed one needs the current one in this session, or a password
    alone would take over the account."""
    from django_otp import user_has_device

    actor = require_usable(actor, second_factor=False)
    if not verified and user_has_device(actor, confirmed=True):
        raise InvalidRequest(
            gettext("Confirm your current second factor before setting up a new one."),
            code="second_factor_required",
        )
    return actor


def require_sender(envelope: Envelope, actor: User, key: PublicKey | None) -> PublicKey:
    """The one rule for every envelope a person stores: it is written by ``actor`` with
    ``key``, their current key (None: they have none). Returns that key."""
    header = envelope.header
    if header.sender_id != actor.pk:
        raise EnvelopeRejected(gettext("The envelope's sender is not you."), code="wrong_sender")
    if key is None or header.sender_key_id != key.key_id:
        raise EnvelopeRejected(
            gettext(
                "The envelope is not from your current key. Sign in again to refresh your keys."
            ),
            code="wrong_sender_key",
        )
    return key
