"""Account and key changes."""

from __future__ import annotations

import os
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from relay.accounts import selectors
from relay.accounts.access import (
    access_account_as_manager,
    access_accounts_as_manager,
    access_message_to_rewrap,
    access_role_grant,
    access_second_factor_change,
)
from relay.accounts.models import (
    STAFF_ROLES,
    Invitation,
    KeyVerification,
    PublicKey,
    RecoveryWrap,
    Role,
    User,
    code_hash,
    key_id_for,
)
from relay.accounts.wire import exact_bytes
from relay.audit.chain import record, serialize_with_audit
from relay.audit.models import AuditEventType
from relay.cases.access import access_case_as_facilitator, require_usable
from relay.cases.models import FacilitatorAssignment, Participation
from relay.cases.selectors import current_key, participation_for_side
from relay.delivery.models import EventType
from relay.delivery.streams import append_events, revoke_sockets
from relay.errors import AccessDenied, InvalidRequest
from relay.moderation.models import MessageKey

PUBLIC_KEY_BYTES = 32


@transaction.atomic
def create_account(
    *, actor: User | None, username: str, role: str, display_name: str = ""
) -> User:
    """Create an account with no usable password; the person sets one when they enrol.

    Who: a hub manager or admin (``actor`` None only for the seeding command and tests'
    factories). Audits: ACCOUNT_CREATED.
    """
    user = _new_account(actor=actor, username=username, role=role, display_name=display_name)
    record(AuditEventType.ACCOUNT_CREATED, actor=actor, user=str(user.pk), role=role)
    return user


def _new_account(*, actor: User | None, username: str, role: str, display_name: str) -> User:
    """Check and create the account row; the calling action records the audit event."""
    if actor is not None:
        actor = access_accounts_as_manager(actor)
    if role not in Role.values:
        raise InvalidRequest("Unknown role.")
    username = username.strip()
    if not username or User.objects.filter(username__iexact=username).exists():
        raise InvalidRequest("That username is taken or empty.")
    user = User(username=username, role=role, display_name=display_name.strip()[:80])
    user.kdf_salt = os.urandom(16)
    user.set_unusable_password()
    user.save()
    return user


def _relying_users(user: User) -> set:
    """Everyone who encrypts to this user's key, and so must hear loudly that it changed.

    A participant's key is relied on only by the facilitators of their cases: the other party
    never encrypts to it and must learn nothing about the participant's account (DESIGN §1).
    A facilitator's key is relied on by everyone in the cases they facilitate.
    """
    participant_cases = set(
        Participation.objects.filter(user=user).values_list("case_id", flat=True)
    )
    facilitated_cases = set(
        FacilitatorAssignment.objects.filter(facilitator=user, ended_at__isnull=True).values_list(
            "case_id", flat=True
        )
    )
    ids = set(
        FacilitatorAssignment.objects.filter(
            case_id__in=participant_cases | facilitated_cases, ended_at__isnull=True
        ).values_list("facilitator_id", flat=True)
    )
    ids |= set(
        Participation.objects.filter(case_id__in=facilitated_cases).values_list(
            "user_id", flat=True
        )
    )
    ids.discard(user.pk)
    return ids


@transaction.atomic
def register_key(
    *,
    actor: User,
    public_key: bytes,
    wrapped: tuple[bytes, bytes] | None = None,
    login_key: str | None = None,
) -> PublicKey:
    """The user registers a new X25519 public key, retiring their previous one, and with it
    (``wrapped``) the private key wrapped under their password-derived wrap key.

    Who: the user themself; replacing the stored wrapped private key also needs their
    current ``login_key``, checked like a password, or a stolen session could make their next
    sign-in fail. A change of key (not the first key) is announced loudly to every person
    who relies on it, and forwarding to a changed participant key waits for a facilitator
    of each case to verify it again. Audits: KEY_REGISTERED for a new key, KEY_WRAP_REPLACED
    when only the stored wrap of the current key changes. Emits: ``key`` to relying users.
    """
    serialize_with_audit()
    if wrapped is not None or login_key is not None:
        _check_current_login_key(actor, login_key)
    user = User.objects.select_for_update().get(pk=actor.pk)
    stored = (
        None
        if user.wrapped_private_key is None
        else (bytes(user.wrapped_key_nonce or b""), bytes(user.wrapped_private_key))
    )
    key, previous, created = _store_key(actor, public_key, wrapped)
    if created:
        _record_key_change(AuditEventType.KEY_REGISTERED, actor, key, previous)
    elif wrapped is not None and wrapped != stored:
        record(AuditEventType.KEY_WRAP_REPLACED, actor=actor, user=str(actor.pk), key=key.key_id)
    return key


def _check_current_login_key(actor: User, login_key: object) -> None:
    """The user's current login key, as the sign-in checks it; refused with
    ``bad_credentials``."""
    user = User.objects.select_for_update().get(pk=actor.pk)
    if not isinstance(login_key, str) or not user.check_password(login_key):
        raise InvalidRequest("Your current password is not right.", code="bad_credentials")


def _store_key(
    actor: User, public_key: bytes, wrapped: tuple[bytes, bytes] | None
) -> tuple[PublicKey, PublicKey | None, bool]:
    """Store a key (and its wrapped private half), retiring the previous one. Not audited:
    the calling action records the one audit event. Returns (key, previous, created)."""
    if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_BYTES:
        raise InvalidRequest("A public key is exactly 32 bytes.")
    user = User.objects.select_for_update().get(pk=actor.pk)
    key_id = key_id_for(public_key)
    if wrapped is not None:
        user.wrapped_key_nonce, user.wrapped_private_key = wrapped
        user.kdf_opslimit = settings.RELAY_KDF_OPSLIMIT
        user.kdf_memlimit = settings.RELAY_KDF_MEMLIMIT
        user.save(
            update_fields=[
                "wrapped_key_nonce", "wrapped_private_key", "kdf_opslimit", "kdf_memlimit"
            ]
        )
    existing = PublicKey.objects.filter(key_id=key_id).first()
    if existing is not None:
        if existing.user_id == user.pk and existing.retired_at is None:
            return existing, None, False
        raise InvalidRequest("This key is already registered.")
    previous = PublicKey.objects.filter(user=user, retired_at__isnull=True).first()
    if previous is not None:
        previous.retired_at = timezone.now()
        previous.save(update_fields=["retired_at"])
    key = PublicKey.objects.create(key_id=key_id, user=user, public_key=public_key)
    return key, previous, True


def _record_key_change(
    event_type: AuditEventType,
    user: User,
    key: PublicKey,
    previous: PublicKey | None,
    **fields: object,
) -> None:
    """Audit a key the user stored (naming the key it replaced) and announce a change of key
    to everyone who relies on it."""
    record(
        event_type,
        actor=user,
        user=str(user.pk),
        key=key.key_id,
        replaced=previous.key_id if previous else None,
        **fields,
    )
    if previous is None:
        return
    append_events(
        _relying_users(user),
        EventType.KEY,
        data={"user_id": str(user.pk), "key_id": key.key_id, "previous_key_id": previous.key_id},
    )


@transaction.atomic
def verify_key(*, actor: User, case_id, key_id: str, method: str = "in_person") -> KeyVerification:
    """A facilitator records that they compared a participant's fingerprint with them.

    Who: a current facilitator of a case the key's owner takes part in. The key becomes
    trusted in that case only (DESIGN §4). Audits: KEY_VERIFIED.
    """
    case = access_case_as_facilitator(actor, case_id)
    key = PublicKey.objects.filter(
        key_id=key_id, retired_at__isnull=True, user__participations__case=case
    ).first()
    if key is None:
        raise AccessDenied()
    if not isinstance(method, str) or method not in {"in_person", "phone", "video"}:
        raise InvalidRequest("Method must be in_person, phone or video.")
    verification = KeyVerification.objects.create(
        key=key, case=case, verified_by=actor, method=method
    )
    record(AuditEventType.KEY_VERIFIED, actor=actor, case=case, key=key_id, method=method)
    return verification


# --- invitations and enrolment -------------------------------------------------------------

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
CODE_LENGTH = 16  # about 78 bits: unguessable under the attempt limits


def _new_code() -> str:
    chars: list[str] = []
    while len(chars) < CODE_LENGTH:
        byte = os.urandom(1)[0]
        if byte < 240:
            chars.append(CODE_ALPHABET[byte % 30])
    text = "".join(chars)
    return "-".join(text[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def _issue_invitation(
    *, actor: User | None, user: User, for_reset: bool = False
) -> tuple[str, Invitation]:
    """A fresh code for ``user``; any earlier code of theirs stops working."""
    Invitation.objects.filter(user=user).delete()
    code = _new_code()
    invitation = Invitation.objects.create(
        user=user,
        code_hash=code_hash(code),
        created_by=actor,
        for_reset=for_reset,
        expires_at=timezone.now() + timedelta(days=settings.RELAY_INVITATION_DAYS),
    )
    return code, invitation


@transaction.atomic
def invite_participant(*, actor: User, case_id, side: str) -> tuple[str, Invitation]:
    """A facilitator issues the enrolment code for one participant of their case who has not
    enrolled yet.

    Who: a current facilitator of the case, with a verified second factor. Refused
    (``already_enrolled``) once the person has enrolled, in this case or any other: whoever
    holds a code sets the account's password and key, so an enrolled person gets a new code
    only through ``reset_participant``, which every facilitator of their cases is told of.
    Audits: INVITATION_CREATED. The code is returned once and stored only as a hash.
    """
    case = access_case_as_facilitator(actor, case_id)
    participation = participation_for_side(case, side)
    if participation is None:
        raise InvalidRequest("This case has no participant on that side.")
    serialize_with_audit()
    user = User.objects.select_for_update().get(pk=participation.user_id)
    if selectors.has_enrolled(user):
        raise InvalidRequest(
            "This person has already enrolled, so an enrolment code cannot be issued for them. "
            "If they lost their password, reset their account instead.",
            code="already_enrolled",
        )
    code, invitation = _issue_invitation(actor=actor, user=user)
    record(AuditEventType.INVITATION_CREATED, actor=actor, case=case, side=side)
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
        raise InvalidRequest("Staff roles are facilitator, hub_manager and admin.")
    access_role_grant(actor, role)
    user = _new_account(actor=actor, username=username, role=role, display_name=display_name)
    code, invitation = _issue_invitation(actor=actor, user=user)
    record(AuditEventType.ACCOUNT_CREATED, actor=actor, user=str(user.pk), role=role, invited=True)
    return code, invitation


BAD_CODE = "That code is not valid. Ask your facilitator for a new one."


@transaction.atomic
def enrol(
    *, code: str, login_key: str, public_key: bytes, wrapped: tuple[bytes, bytes]
) -> User:
    """A person enrols with the code they were given: sets their login key, registers the
    key pair their device made, marks their invited participations enrolled, and consumes
    the code.

    Who: whoever holds a valid code. Audits: ACCOUNT_ENROLLED (one event naming the key, the
    key it replaced and the participations enrolled). Emits: ``key`` to relying users when
    this replaces an earlier key (a re-enrolment after a reset).
    """
    from relay.cases.models import Case, ParticipationState
    from relay.cases.states import check_participation_transition

    found = selectors.invitation_for_code(code)
    if found is None:
        raise InvalidRequest(BAD_CODE, code="bad_code")
    _check_login_key(login_key)
    user = found.user
    # Lock order: case rows, then the audit head, then user rows (relay.audit.chain).
    invited = Participation.objects.filter(user=user, state=ParticipationState.INVITED)
    case_ids = list(invited.order_by("case_id").values_list("case_id", flat=True))
    list(Case.objects.select_for_update().filter(pk__in=case_ids).order_by("pk"))  # locks
    serialize_with_audit()
    invitation = Invitation.objects.select_for_update().get(pk=found.pk)
    if invitation.used_at is not None:
        raise InvalidRequest(BAD_CODE, code="bad_code")
    if not invitation.for_reset and selectors.has_enrolled(user):
        # Only a reset's code may replace an enrolled person's password and key.
        raise InvalidRequest(BAD_CODE, code="bad_code")
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
    enrolled = []
    # Read again under the case locks: only those still invited are enrolled.
    for participation in invited.filter(case_id__in=case_ids).order_by("case_id"):
        check_participation_transition(participation.state, ParticipationState.ENROLLED)
        participation.state = ParticipationState.ENROLLED
        participation.save(update_fields=["state"])
        enrolled.append(str(participation.case_id))
    key, previous, _ = _store_key(user, public_key, wrapped)
    user = User.objects.select_for_update().get(pk=user.pk)
    user.set_password(login_key)
    user.save(update_fields=["password"])
    _record_key_change(AuditEventType.ACCOUNT_ENROLLED, user, key, previous, enrolled_in=enrolled)
    return user


LOGIN_KEY_BYTES = 32


def _check_login_key(login_key: object) -> str:
    """A login key is base64 of 32 bytes derived by the client; never a password."""
    if exact_bytes(login_key, LOGIN_KEY_BYTES) is None:
        raise InvalidRequest("A login key is base64 of 32 bytes, derived from the password.")
    return login_key  # type: ignore[return-value]


# --- password change ---------------------------------------------------------------------


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
    _check_login_key(new_login_key)
    serialize_with_audit()
    user = User.objects.select_for_update().get(pk=actor.pk)
    if not isinstance(login_key, str) or not user.check_password(login_key):
        raise InvalidRequest("Your current password is not right.", code="bad_credentials")
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


# --- suspension ----------------------------------------------------------------------------


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


# --- recovery ---------------------------------------------------------------------------------


def _reset(*, actor: User, user: User, case=None) -> tuple[str, Invitation]:
    """Lock the account until it re-enrols: no password, a new salt, no stored wrapped key,
    sessions ended, sockets closed, and a fresh enrolment code. Everyone who relies on the
    person's key (every facilitator of every case of a participant) hears of it at once, as
    a key change: the next key will come from whoever holds this code."""
    user.set_unusable_password()
    user.kdf_salt = os.urandom(16)
    user.wrapped_private_key = None
    user.wrapped_key_nonce = None
    user.save(update_fields=["password", "kdf_salt", "wrapped_private_key", "wrapped_key_nonce"])
    code, invitation = _issue_invitation(actor=actor, user=user, for_reset=True)
    record(AuditEventType.ACCOUNT_RESET, actor=actor, case=case, user=str(user.pk))
    key = current_key(user)
    append_events(
        _relying_users(user),
        EventType.KEY,
        data={
            "user_id": str(user.pk),
            "key_id": None,
            "previous_key_id": key.key_id if key else None,
            "reset": True,
        },
    )
    end_sessions(user.pk)
    transaction.on_commit(lambda: revoke_sockets(user.pk, reason="reset"))
    return code, invitation


@transaction.atomic
def reset_participant(*, actor: User, case_id, side: str) -> tuple[str, Invitation]:
    """A facilitator resets a participant who lost their password, after checking who they
    are out of band. The participant re-enrols with the new code and a new key; forwarding
    to them waits until the facilitator verifies the new key.

    Who: a current facilitator of the case. Audits: ACCOUNT_RESET. Emits: ``key`` (with
    ``reset``) to every facilitator of every case of the participant.
    """
    case = access_case_as_facilitator(actor, case_id)
    participation = participation_for_side(case, side)
    if participation is None:
        raise InvalidRequest("This case has no participant on that side.")
    serialize_with_audit()
    user = User.objects.select_for_update().get(pk=participation.user_id)
    return _reset(actor=actor, user=user, case=case)


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
        raise InvalidRequest("Participants are reset by a facilitator of their case.")
    return _reset(actor=actor, user=user)


@transaction.atomic
def store_recovery_wrap(*, actor: User, nonce: bytes, box: bytes) -> RecoveryWrap:
    """Store the user's private key wrapped under their printable recovery key.

    Who: the signed-in user, for their current key. Audits: KEY_REGISTERED (with ``recovery_wrap``).
    """
    user = require_usable(actor)
    key = current_key(user)
    if key is None:
        raise InvalidRequest("Register a key before storing its recovery wrap.")
    if len(nonce) != 24 or len(box) != 48:
        raise InvalidRequest("A wrapped private key is a 24-byte nonce and a 48-byte box.")
    wrap, _ = RecoveryWrap.objects.update_or_create(
        user=user, defaults={"key": key, "nonce": nonce, "box": box}
    )
    record(
        AuditEventType.KEY_REGISTERED, actor=user, user=str(user.pk), key=key.key_id,
        recovery_wrap=True,
    )
    return wrap


@transaction.atomic
def rewrap_message_key(
    *, actor: User, message_id, key_id: str, nonce: bytes, box: bytes
) -> MessageKey:
    """A facilitator re-encrypts one message's content key to a recovered person's new key.

    Who: a current facilitator of the message's case whose own current key can open the
    message, for a person (participant or co-facilitator) whose earlier, now retired key
    was a recipient of it and whose new key is not yet. The earlier key's wrap is deleted:
    the history opens with the new key, not the old one. Audits: HISTORY_REENCRYPTED.
    """
    message, case, own = access_message_to_rewrap(actor, message_id)
    target = PublicKey.objects.select_related("user").filter(key_id=key_id).first()
    if target is None or target.retired_at is not None:
        raise InvalidRequest("That is not anyone's current key.")
    existing = message.keys.filter(recipient_key=target).first()
    if existing is not None:
        if existing.wrapped_by_id is None:
            raise InvalidRequest("That key can already open this message.")
        return existing
    old = message.keys.filter(
        recipient_key__user=target.user, recipient_key__retired_at__isnull=False
    )
    if not old.exists():
        raise AccessDenied()
    if len(nonce) != 24 or len(box) != 48:
        raise InvalidRequest("A wrapped content key is a 24-byte nonce and a 48-byte box.")
    retired = sorted(old.values_list("recipient_key_id", flat=True))
    old.delete()
    rewrapped = MessageKey.objects.create(
        message=message, recipient_key=target, nonce=nonce, box=box, wrapped_by=own
    )
    record(
        AuditEventType.HISTORY_REENCRYPTED,
        actor=actor,
        case=case,
        message=str(message.pk),
        key=target.key_id,
        replaced=retired,
    )
    return rewrapped


# --- second factor ---------------------------------------------------------------------------

BACKUP_CODES = 10


@transaction.atomic
def begin_totp_setup(*, actor: User, verified: bool) -> TOTPDevice:
    """Create an unconfirmed authenticator-app device for the user, replacing any earlier
    unconfirmed one. Who: the signed-in user (with their current factor if they have one).
    Audits: SECOND_FACTOR_SETUP_STARTED (the device is not in force until confirmed)."""
    access_second_factor_change(actor, verified=verified)
    TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=actor, name="authenticator app", confirmed=False)
    record(AuditEventType.SECOND_FACTOR_SETUP_STARTED, actor=actor, user=str(actor.pk))
    return device


@transaction.atomic
def confirm_totp(*, actor: User, verified: bool, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the unconfirmed device with a code from the app; it replaces any earlier
    authenticator, and a fresh set of single-use backup codes replaces any earlier set.

    Who: the signed-in user. Audits: SECOND_FACTOR_CHANGED. Closes the user's sockets after
    commit (a factor change), so they reconnect under the new factor.
    """
    access_second_factor_change(actor, verified=verified)
    device = TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=False).first()
    if device is None:
        raise InvalidRequest("Start setting up your authenticator app first.", code="no_setup")
    if not device.verify_token(token):
        raise InvalidRequest("That code is not right. Check it and try again.", code="bad_token")
    TOTPDevice.objects.filter(user=actor, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    StaticDevice.objects.filter(user=actor).delete()
    static = StaticDevice.objects.create(user=actor, name="backup codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=code) for code in codes])
    record(AuditEventType.SECOND_FACTOR_CHANGED, actor=actor, user=str(actor.pk))
    transaction.on_commit(lambda: revoke_sockets(actor.pk, reason="factor_changed"))
    return device, codes
