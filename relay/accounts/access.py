"""Who may administer accounts and keys. Each function returns what was asked for or raises
``AccessDenied``: the same error for "does not exist" and "not yours", so ids cannot be probed.

Case-scoped rules (a facilitator of the case invites, resets and verifies its participants)
are ``relay.cases.access.access_case_as_facilitator``.
"""

from __future__ import annotations

from typing import Any

from relay.accounts.models import PublicKey, Role, User
from relay.cases.access import access_case_as_facilitator, require_manager, require_usable
from relay.cases.models import Case
from relay.cases.selectors import current_key
from relay.errors import AccessDenied, InvalidRequest
from relay.moderation.models import Message


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


def access_message_to_rewrap(actor: Any, message_id: Any) -> tuple[Message, Case, PublicKey]:
    """A message a facilitator may re-encrypt to someone's new key: a current facilitator of
    its case whose own current key can open it. Returns the message, its case and that key
    (the one the new wrap is boxed from)."""
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        raise AccessDenied()
    case = access_case_as_facilitator(actor, message.case_id)
    own = current_key(actor)
    if own is None:
        raise AccessDenied()
    if not message.keys.filter(recipient_key=own).exists():
        raise AccessDenied()
    return message, case, own


def access_second_factor_change(actor: Any, *, verified: bool) -> User:
    """The signed-in user setting up a second factor. A first factor needs only the
    password; replacing a confirmed one needs the current one in this session, or a password
    alone would take over the account."""
    from django_otp import user_has_device

    actor = require_usable(actor, second_factor=False)
    if not verified and user_has_device(actor, confirmed=True):
        raise InvalidRequest(
            "Confirm your current second factor before setting up a new one.",
            code="second_factor_required",
        )
    return actor
