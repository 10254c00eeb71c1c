"""Accounts and their enrolment codes: creating an account, issuing a code, and the account
half of enrolling with one (the participations half is ``relay.cases.participants.enrol``)."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from relay.accounts import selectors
from relay.accounts.access import access_accounts_as_manager, access_role_grant
from relay.accounts.actions.keys import store_key
from relay.accounts.models import STAFF_ROLES, Invitation, PublicKey, Role, User, code_hash
from relay.accounts.wire import exact_bytes
from relay.audit.chain import record
from relay.audit.models import AuditEventType
from relay.errors import InvalidRequest

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
CODE_LENGTH = 16  # about 78 bits: unguessable under the attempt limits
LOGIN_KEY_BYTES = 32
BAD_CODE = gettext_lazy("That code is not valid. Ask your facilitator for a new one.")


@transaction.atomic
def create_account(
    *, actor: User | None, username: str, role: str, display_name: str = ""
) -> User:
    """Create an account with no usable password; the person sets one when they enrol.

    Who: a hub manager or admin (``actor`` None only for the seeding command and tests'
    factories). Audits: ACCOUNT_CREATED.
    """
    user = new_account(actor=actor, username=username, role=role, display_name=display_name)
    record(AuditEventType.ACCOUNT_CREATED, actor=actor, user=str(user.pk), role=role)
    return user


def new_account(*, actor: User | None, username: str, role: str, display_name: str) -> User:
    """Check and create the account row; the calling action records the audit event."""
    if actor is not None:
        actor = access_accounts_as_manager(actor)
    if role not in Role.values:
        raise InvalidRequest(gettext("Unknown role."))
    username = username.strip()
    if not username or User.objects.filter(username__iexact=username).exists():
        raise InvalidRequest(gettext("That username is taken or empty."))
    user = User(username=username, role=role, display_name=display_name.strip()[:80])
    user.kdf_salt = os.urandom(16)
    user.set_unusable_password()
    user.save()
    return user


def new_code() -> str:
    chars: list[str] = []
    while len(chars) < CODE_LENGTH:
        byte = os.urandom(1)[0]
        if byte < 240:
            chars.append(CODE_ALPHABET[byte % 30])
    text = "".join(chars)
    return "-".join(text[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def issue_invitation(
    *, actor: User | None, user: User, for_reset: bool = False, case_id: uuid.UUID | None = None
) -> tuple[str, Invitation]:
    """A fresh code for ``user``; any earlier code of theirs stops working. ``case_id`` is
    the case of a participant's first code: the key enrolled with it is trusted there."""
    Invitation.objects.filter(user=user).delete()
    code = new_code()
    invitation = Invitation.objects.create(
        user=user,
        code_hash=code_hash(code),
        created_by=actor,
        for_reset=for_reset,
        case_id=case_id,
        expires_at=timezone.now() + timedelta(days=settings.RELAY_INVITATION_DAYS),
    )
    return code, invitation


@transaction.atomic
def invite_staff(
    *, actor: User | None, username: str, role: str, display_name: str = ""
) -> tuple[str, Invitation]:
    """A hub manager creates a staff account and its enrolment code.

    Who: a hub manager or admin (``actor`` None only for the first admin, created from the
    command line). Audits: ACCOUNT_CREATED (one event, marked as invited).
    """
    if role not in STAFF_ROLES:
        raise InvalidRequest(
            gettext("Staff roles are %(roles)s.") % {"roles": ", ".join(sorted(STAFF_ROLES))}
        )
    access_role_grant(actor, role)
    user = new_account(actor=actor, username=username, role=role, display_name=display_name)
    code, invitation = issue_invitation(actor=actor, user=user)
    record(AuditEventType.ACCOUNT_CREATED, actor=actor, user=str(user.pk), role=role, invited=True)
    return code, invitation


def check_login_key(login_key: object) -> str:
    """A login key is base64 of 32 bytes derived by the client; never a password."""
    if exact_bytes(login_key, LOGIN_KEY_BYTES) is None:
        raise InvalidRequest(
            gettext("A login key is base64 of 32 bytes, derived from the password.")
        )
    return login_key  # type: ignore[return-value]


def consume_invitation(found: Invitation) -> Invitation:
    """Lock and use up the code, read again under the exclusive audit gate: refused
    (``bad_code``) if it was used meanwhile, or if it is not a reset's code and its person
    has enrolled. Call inside the enrolling action, after ``serialize_with_audit``."""
    invitation = Invitation.objects.select_for_update().get(pk=found.pk)
    if invitation.used_at is not None:
        raise InvalidRequest(str(BAD_CODE), code="bad_code")
    if not invitation.for_reset and selectors.has_enrolled(invitation.user):
        # Only a reset's code may replace an enrolled person's password and key.
        raise InvalidRequest(str(BAD_CODE), code="bad_code")
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
    return invitation


def set_enrolled_credentials(
    invitation: Invitation, *, login_key: str, public_key: bytes, wrapped: tuple[bytes, bytes]
) -> tuple[User, PublicKey, PublicKey | None]:
    """Register the enrolling device's key and set the login key. A first code's key is
    trusted in the case the code was issued in; a reset's code gives no trust anywhere.
    Returns (user, key, the key it replaced)."""
    enrolled_in = None if invitation.for_reset else invitation.case_id
    key, previous, _ = store_key(invitation.user, public_key, wrapped, enrolled_in=enrolled_in)
    user = User.objects.select_for_update().get(pk=invitation.user_id)
    user.set_password(login_key)
    user.save(update_fields=["password"])
    return user, key, previous
