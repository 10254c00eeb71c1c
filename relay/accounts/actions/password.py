"""Passwords and sessions: changing the password, ending sessions, and resetting an account
that lost its password (recovery without escrow, DESIGN §4)."""

from __future__ import annotations

import os

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from relay.accounts.access import access_account_as_manager
from relay.accounts.actions.enrolment import check_login_key, issue_invitation
from relay.accounts.models import STAFF_ROLES, Invitation, User
from relay.accounts.ports import key_audience
from relay.accounts.selectors import current_key
from relay.audit.chain import record, serialize_with_audit
from relay.audit.models import AuditEventType
from relay.delivery.events import KeyResetEvent
from relay.delivery.streams import append_events, revoke_sockets
from relay.errors import InvalidRequest


@transaction.atomic
def change_password(
    *, actor: User, login_key: str, new_login_key: str, wrapped: tuple[bytes, bytes]
) -> User:
    """The user changes their password: the client re-wrapped the same private key under the
    new wrap key (same salt) and sends the new login key.

    Who: the signed-in user, proving the current password. Audits: PASSWORD_CHANGED.
    The caller keeps its own session; every other session ends (the session hash changes)
    and every socket of the user is closed after commit.
    """
    check_login_key(new_login_key)
    serialize_with_audit()
    user = User.objects.select_for_update().get(pk=actor.pk)
    if not isinstance(login_key, str) or not user.check_password(login_key):
        raise InvalidRequest(gettext("Your current password is not right."), code="bad_credentials")
    user.set_password(new_login_key)
    user.wrapped_key_nonce, user.wrapped_private_key = wrapped
    user.save(update_fields=["password", "wrapped_key_nonce", "wrapped_private_key"])
    record(AuditEventType.PASSWORD_CHANGED, actor=user, user=str(user.pk))
    transaction.on_commit(lambda: revoke_sockets(user.pk, reason="password_changed"))
    return user


def end_sessions(user_id, *, keep: str | None = None) -> int:
    """Delete every stored session of a user except ``keep``; returns how many ended."""
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.models import Session

    ended = 0
    for stored in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if stored.session_key == keep:
            continue
        if str(stored.get_decoded().get(SESSION_KEY, "")) == str(user_id):
            stored.delete()
            ended += 1
    return ended


def reset_account(*, actor: User, user: User, case=None) -> tuple[str, Invitation]:
    """Lock the account until it re-enrols: no password, a new salt, no stored wrapped key,
    sessions ended, sockets closed, and a fresh enrolment code. Everyone who relies on the
    person's key (every facilitator of every case of a participant) hears of it at once, as
    a key change: the next key will come from whoever holds this code."""
    user.set_unusable_password()
    user.kdf_salt = os.urandom(16)
    user.wrapped_private_key = None
    user.wrapped_key_nonce = None
    user.save(update_fields=["password", "kdf_salt", "wrapped_private_key", "wrapped_key_nonce"])
    code, invitation = issue_invitation(actor=actor, user=user, for_reset=True)
    record(AuditEventType.ACCOUNT_RESET, actor=actor, case=case, user=str(user.pk))
    key = current_key(user)
    event = KeyResetEvent(user_id=str(user.pk), previous_key_id=key.key_id if key else None)
    append_events([(event, key_audience(user))])
    end_sessions(user.pk)
    transaction.on_commit(lambda: revoke_sockets(user.pk, reason="reset"))
    return code, invitation


@transaction.atomic
def reset_staff(*, actor: User, user_id) -> tuple[str, Invitation]:
    """A hub manager resets a staff member who lost their password. With their recovery key
    they keep their key pair; without it they enrol a new one and a co-facilitator
    re-encrypts their cases to it.

    Who: a hub manager or admin. Audits: ACCOUNT_RESET. Emits: ``key`` (with ``reset``) to
    everyone in the staff member's cases.
    """
    serialize_with_audit()
    user = access_account_as_manager(actor, user_id)
    if user.role not in STAFF_ROLES:
        raise InvalidRequest(gettext("Participants are reset by a facilitator of their case."))
    return reset_account(actor=actor, user=user)
