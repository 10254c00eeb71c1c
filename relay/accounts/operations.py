"""The account operations: signing in, keys, enrolment checks, the password, the second
factor, recovery and the hub manager's staff accounts (docs/api.md, docs/accounts.md).

Each handler reads and checks its body's fields itself, in the order and words the
documented replies have always had, then calls one action or selector.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from io import BytesIO
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.utils.translation import gettext
from django_otp import match_token

from relay.accounts import actions, selectors, throttle
from relay.accounts.access import require_usable
from relay.accounts.models import RecoveryWrap, User
from relay.accounts.second_factor import passed_second_factor, second_factor_required
from relay.accounts.selectors import current_key
from relay.accounts.wire import exact_bytes
from relay.delivery.streams import revoke_sockets
from relay.errors import AccessDenied, InvalidRequest, NotSignedIn, RelayError
from relay.surface import Body, Caller, Operation, Route

WRAP_NONCE_BYTES = 24
WRAPPED_KEY_BYTES = 48  # a 32-byte private key and its 16-byte tag


class UserBody(Body):
    user_id: uuid.UUID


class BadCredentials(RelayError):
    code = "bad_credentials"
    status = 401

    def __init__(self) -> None:
        super().__init__(gettext("That username and password do not match."))


# --- reading fields -------------------------------------------------------------------------


def b64_field(body: dict[str, Any], name: str, length: int) -> bytes:
    raw = exact_bytes(body.get(name), length)
    if raw is None:
        raise InvalidRequest(
            gettext("Send %(name)s as base64 of %(length)s bytes.")
            % {"name": name, "length": length}
        )
    return raw


def wrapped_key_field(body: dict[str, Any]) -> tuple[bytes, bytes]:
    """The private key wrapped in the client: (nonce, box)."""
    return (
        b64_field(body, "wrapped_key_nonce", WRAP_NONCE_BYTES),
        b64_field(body, "wrapped_private_key", WRAPPED_KEY_BYTES),
    )


def text_field(body: dict[str, Any], name: str, message: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(message)
    return value


# --- replies --------------------------------------------------------------------------------


def me_wire(user: User) -> dict[str, Any]:
    key = current_key(user)
    return {
        "user_id": str(user.pk),
        "username": user.username,
        "role": user.role,
        "display_name": user.display_name,
        "key_id": key.key_id if key else None,
        "latest_seq": user.event_seq,
        "second_factor_required": second_factor_required(user),
        "second_factor_verified": passed_second_factor(user),
    }


def invitation_reply(code: str, invitation: Any) -> dict[str, Any]:
    return {"code": code, "expires_at": invitation.expires_at.isoformat()}


def recovery_wire(wrap: RecoveryWrap) -> dict[str, Any]:
    return {
        "key_id": wrap.key_id,
        "wrapped_private_key": base64.b64encode(bytes(wrap.box)).decode(),
        "wrapped_key_nonce": base64.b64encode(bytes(wrap.nonce)).decode(),
    }


# --- the session ----------------------------------------------------------------------------


def csrf(caller: Caller, data: Body) -> dict[str, Any]:
    """Sets the CSRF cookie; clients send it back in the X-CSRFToken header."""
    assert caller.session is not None
    return {"csrf_token": caller.session.csrf_token()}


def sign_in(caller: Caller, data: Body) -> dict[str, Any]:
    """Sign in with a login key (never a password)."""
    assert caller.session is not None
    username, login_key = data.field("username"), data.field("login_key")
    if not isinstance(username, str) or not isinstance(login_key, str):
        raise InvalidRequest(gettext("Send a username and a login key."))
    throttle.check("sign_in", account=username, address=caller.address)
    user = caller.session.authenticate(username, login_key)
    if user is None or user.suspended_at is not None:
        throttle.fail("sign_in", account=username, address=caller.address)
        raise BadCredentials()
    throttle.succeed("sign_in", account=username)
    caller.session.sign_in(user)
    return me_wire(user)


def sign_out(caller: Caller, data: Body) -> dict[str, Any]:
    """Sign out and close the user's sockets."""
    assert caller.session is not None
    if caller.user.is_authenticated:
        user_id = caller.user.pk
        caller.session.sign_out()
        revoke_sockets(user_id, reason="signed_out")
    return {"signed_in": False}


def otp_verify(caller: Caller, data: Body) -> dict[str, Any]:
    """Check a second-factor token (TOTP or backup code) for the signed-in user."""
    assert caller.session is not None
    token = data.field("token")
    if not isinstance(token, str) or not token.strip():
        raise InvalidRequest(
            gettext("Enter the code from your authenticator app or a backup code.")
        )
    account = str(caller.user.pk)
    throttle.check("otp", account=account, address=caller.address)
    device = match_token(caller.user, token.strip().replace(" ", "").replace("-", ""))
    if device is None:
        throttle.fail("otp", account=account, address=caller.address)
        raise InvalidRequest(
            gettext("That code is not right. Check it and try again."), code="bad_token"
        )
    throttle.succeed("otp", account=account)
    caller.session.passed_second_factor(device)
    return {**me_wire(caller.user), "second_factor": True}


def me(caller: Caller, data: Body) -> dict[str, Any]:
    if not caller.user.is_authenticated:
        raise NotSignedIn()
    return me_wire(caller.user)


def _salt_for(username: str) -> bytes:
    """The user's salt; for an unknown username a stable fake one, so the answer does not
    reveal whether an account exists."""
    user = User.objects.filter(username__iexact=username).only("kdf_salt").first()
    if user is not None and user.kdf_salt:
        return bytes(user.kdf_salt)
    digest = hmac.new(
        settings.SECRET_KEY.encode(), b"fake-salt:" + username.lower().encode(), hashlib.sha256
    )
    return digest.digest()[:16]


def salt(caller: Caller, data: Body) -> dict[str, Any]:
    """Argon2id salt and parameters for a username (known or not: same shape and timing).
    The username travels in the body, never in the URL, so it stays out of access logs."""
    username = data.field("username")
    if not isinstance(username, str) or not username or len(username) > 150:
        raise InvalidRequest(gettext("Send a username."))
    return {
        "salt": base64.b64encode(_salt_for(username)).decode(),
        "opslimit": settings.RELAY_KDF_OPSLIMIT,
        "memlimit": settings.RELAY_KDF_MEMLIMIT,
    }


# --- keys -----------------------------------------------------------------------------------


def keys(caller: Caller, data: Body) -> dict[str, Any]:
    """Register the signed-in user's public key (base64 of 32 bytes), with the private key
    wrapped under their password-derived wrap key so they can sign in on another device.
    The current login key proves the password: the stored wrap is what the next sign-in
    unwraps, so a session alone must not replace it."""
    body = data.fields()
    public_key = b64_field(body, "public_key", actions.PUBLIC_KEY_BYTES)
    wrapped = wrapped_key_field(body)
    login_key = body.get("login_key")
    if not isinstance(login_key, str) or not login_key:
        raise InvalidRequest(gettext("Send your current login key, derived from your password."))
    account = str(caller.user.pk)
    throttle.check("sign_in", account=account, address=caller.address)
    try:
        key = actions.register_key(
            actor=caller.user, public_key=public_key, wrapped=wrapped, login_key=login_key
        )
    except InvalidRequest as exc:
        if exc.code == "bad_credentials":
            throttle.fail("sign_in", account=account, address=caller.address)
        raise
    return {"key_id": key.key_id, "fingerprint": key.fingerprint}


def wrapped_key(caller: Caller, data: Body) -> dict[str, Any]:
    """The signed-in user's wrapped private key and the KDF parameters it was wrapped with."""
    user = caller.user
    if user.wrapped_private_key is None or user.wrapped_key_nonce is None:
        raise AccessDenied(gettext("No key has been stored for this account yet."))
    return {
        "wrapped_private_key": base64.b64encode(bytes(user.wrapped_private_key)).decode(),
        "wrapped_key_nonce": base64.b64encode(bytes(user.wrapped_key_nonce)).decode(),
        "opslimit": user.kdf_opslimit,
        "memlimit": user.kdf_memlimit,
        "salt": base64.b64encode(bytes(user.kdf_salt or b"")).decode(),
    }


def recovery_wrap(caller: Caller, data: Body) -> dict[str, Any]:
    """The private key wrapped under the printable recovery key."""
    stored = RecoveryWrap.objects.filter(user=caller.user).first()
    if stored is None:
        raise AccessDenied(gettext("No recovery key has been set up for this account."))
    return recovery_wire(stored)


def store_recovery_wrap(caller: Caller, data: Body) -> dict[str, Any]:
    """Store the private key wrapped under the printable recovery key."""
    body = data.fields()
    wrap = actions.store_recovery_wrap(
        actor=caller.user,
        nonce=b64_field(body, "wrapped_key_nonce", 24),
        box=b64_field(body, "wrapped_private_key", 48),
    )
    return recovery_wire(wrap)


# --- enrolment and the password -------------------------------------------------------------


def enrol_check(caller: Caller, data: Body) -> dict[str, Any]:
    """Who a code is for (their display name only: the username stays with the account
    and its manager), and the Argon2id parameters to derive their keys with. A staff
    account with a recovery wrap gets it too, so a recovery key can restore the key pair."""
    code = data.field("code")
    throttle.check("enrolment", account=None, address=caller.address)
    if not isinstance(code, str):
        raise InvalidRequest(gettext("Enter the code your facilitator gave you."))
    invitation = selectors.invitation_for_code(code)
    if invitation is None:
        throttle.fail("enrolment", account=None, address=caller.address)
        raise InvalidRequest(str(actions.BAD_CODE), code="bad_code")
    user = invitation.user
    reply: dict[str, Any] = {
        "display_name": user.display_name,
        "salt": base64.b64encode(bytes(user.kdf_salt or b"")).decode(),
        "opslimit": settings.RELAY_KDF_OPSLIMIT,
        "memlimit": settings.RELAY_KDF_MEMLIMIT,
    }
    wrap = RecoveryWrap.objects.filter(user=user, key__retired_at__isnull=True).first()
    if wrap is not None:
        reply["recovery_wrap"] = recovery_wire(wrap)
    return reply


def password(caller: Caller, data: Body) -> dict[str, Any]:
    """Change the password: the same key pair, re-wrapped; other sessions end."""
    assert caller.session is not None
    body = data.fields()
    account = str(caller.user.pk)
    throttle.check("sign_in", account=account, address=caller.address)
    require_usable(caller.user)  # now with the second factor they need
    try:
        user = actions.change_password(
            actor=caller.user,
            login_key=body.get("login_key"),  # type: ignore[arg-type]
            new_login_key=body.get("new_login_key"),  # type: ignore[arg-type]
            wrapped=wrapped_key_field(body),
        )
    except InvalidRequest as exc:
        if exc.code == "bad_credentials":
            throttle.fail("sign_in", account=account, address=caller.address)
        raise
    kept = caller.session.keep_after_password_change(user)
    actions.end_sessions(user.pk, keep=kept)
    return me_wire(caller.user)


# --- the second factor ----------------------------------------------------------------------


def otp_setup(caller: Caller, data: Body) -> dict[str, Any]:
    """Start setting up an authenticator app: its otpauth URI and the QR code as SVG."""
    device = actions.begin_totp_setup(actor=caller.user, verified=passed_second_factor(caller.user))
    uri = device.config_url
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    out = BytesIO()
    image.save(out)
    return {"otpauth_uri": uri, "qr_svg": out.getvalue().decode()}


def otp_confirm(caller: Caller, data: Body) -> dict[str, Any]:
    """Confirm the new authenticator with a code from it; answers with the backup codes."""
    assert caller.session is not None
    token = text_field(
        data.fields(), "token", gettext("Enter the six-digit code from your authenticator app.")
    )
    account = str(caller.user.pk)
    throttle.check("otp", account=account, address=caller.address)
    try:
        device, codes = actions.confirm_totp(
            actor=caller.user,
            verified=passed_second_factor(caller.user),
            token=token.strip().replace(" ", ""),
        )
    except InvalidRequest as exc:
        if exc.code == "bad_token":
            throttle.fail("otp", account=account, address=caller.address)
        raise
    throttle.succeed("otp", account=account)
    caller.session.passed_second_factor(device)
    return {"backup_codes": codes}


# --- staff accounts -------------------------------------------------------------------------


def invite_staff(caller: Caller, data: Body) -> dict[str, Any]:
    """A hub manager creates a staff account and its enrolment code."""
    body = data.fields()
    username = text_field(
        body, "username", gettext("Choose a username for the new staff member.")
    )
    role = text_field(
        body, "role", gettext("Choose a role: facilitator, hub_manager or admin.")
    )
    display_name = body.get("display_name", "")
    if not isinstance(display_name, str):
        raise InvalidRequest(gettext("The display name must be text."))
    code, invitation = actions.invite_staff(
        actor=caller.user, username=username, role=role, display_name=display_name
    )
    return invitation_reply(code, invitation)


def suspend(caller: Caller, data: UserBody) -> dict[str, Any]:
    """A hub manager suspends an account; its sessions end and its sockets close."""
    user = actions.suspend_account(actor=caller.user, user_id=data.user_id)
    suspended_at = user.suspended_at.isoformat() if user.suspended_at else None
    return {"user_id": str(user.pk), "suspended_at": suspended_at}


def reinstate(caller: Caller, data: UserBody) -> dict[str, Any]:
    """A hub manager lifts a suspension."""
    user = actions.reinstate_account(actor=caller.user, user_id=data.user_id)
    return {"user_id": str(user.pk), "suspended_at": None}


def reset_staff(caller: Caller, data: UserBody) -> dict[str, Any]:
    """A hub manager resets a staff member who lost their password: a new enrolment code."""
    code, invitation = actions.reset_staff(actor=caller.user, user_id=data.user_id)
    return invitation_reply(code, invitation)


_U = "staff/users/<uuid:user_id>"

OPERATIONS: dict[str, Operation] = {
    "csrf": Operation(csrf, Body, False, Route("GET", "csrf"), auth="anonymous", session=True),
    "sign_in": Operation(
        sign_in, Body, False, Route("POST", "session"), auth="anonymous", session=True
    ),
    "sign_out": Operation(
        sign_out, Body, False, Route("DELETE", "session", body=False), auth="anonymous",
        session=True,
    ),
    "otp_verify": Operation(
        otp_verify, Body, False, Route("POST", "otp/verify"), auth="any_factor", session=True
    ),
    "me": Operation(me, Body, False, Route("GET", "me"), auth="anonymous"),
    "salt": Operation(
        salt, Body, False, Route("POST", "salt", csrf_exempt=True), auth="anonymous"
    ),
    "keys": Operation(keys, Body, True, Route("POST", "keys", status=201)),
    "wrapped_key": Operation(wrapped_key, Body, False, Route("GET", "keys/wrapped")),
    "recovery_wrap": Operation(recovery_wrap, Body, False, Route("GET", "keys/recovery-wrap")),
    "store_recovery_wrap": Operation(
        store_recovery_wrap, Body, True, Route("POST", "keys/recovery-wrap", status=201)
    ),
    "enrol_check": Operation(
        enrol_check, Body, False, Route("POST", "enrol/check"), auth="anonymous"
    ),
    "password": Operation(
        password, Body, True, Route("POST", "password"), auth="any_factor", session=True
    ),
    "otp_setup": Operation(otp_setup, Body, True, Route("GET", "otp/setup"), auth="any_factor"),
    "otp_confirm": Operation(
        otp_confirm, Body, True, Route("POST", "otp/confirm"), auth="any_factor", session=True
    ),
    "invite_staff": Operation(
        invite_staff, Body, True, Route("POST", "staff/invitations", status=201)
    ),
    "suspend": Operation(suspend, UserBody, True, Route("POST", f"{_U}/suspend", body=False)),
    "reinstate": Operation(
        reinstate, UserBody, True, Route("POST", f"{_U}/reinstate", body=False)
    ),
    "reset_staff": Operation(
        reset_staff, UserBody, True, Route("POST", f"{_U}/reset", status=201, body=False)
    ),
}  # fmt: skip
