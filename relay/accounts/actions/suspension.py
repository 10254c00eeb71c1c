"""Suspending and reinstating accounts."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from relay.accounts.access import access_account_as_manager
from relay.accounts.actions.password import end_sessions
from relay.accounts.models import User
from relay.audit.chain import record, serialize_with_audit
from relay.audit.models import AuditEventType
from relay.delivery.streams import revoke_sockets


@transaction.atomic
def suspend_account(*, actor: User, user_id) -> User:
    """A hub manager suspends an account: it can no longer sign in, its sessions end and its
    sockets close within seconds.

    Who: a hub manager or admin (not themself). Audits: ACCOUNT_SUSPENDED.
    """
    serialize_with_audit()
    user = access_account_as_manager(actor, user_id)
    if user.suspended_at is None:
        user.suspended_at = timezone.now()
        user.save(update_fields=["suspended_at"])
        record(AuditEventType.ACCOUNT_SUSPENDED, actor=actor, user=str(user.pk))
    end_sessions(user.pk)
    transaction.on_commit(lambda: revoke_sockets(user.pk, reason="suspended"))
    return user


@transaction.atomic
def reinstate_account(*, actor: User, user_id) -> User:
    """A hub manager lifts a suspension. Who: a hub manager or admin.
    Audits: ACCOUNT_REINSTATED."""
    serialize_with_audit()
    user = access_account_as_manager(actor, user_id)
    if user.suspended_at is not None:
        user.suspended_at = None
        user.save(update_fields=["suspended_at"])
        record(AuditEventType.ACCOUNT_REINSTATED, actor=actor, user=str(user.pk))
    return user
