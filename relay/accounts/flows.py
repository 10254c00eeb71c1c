"""JSON endpoints for enrolment, password change, the second factor, suspension and
recovery (docs/accounts.md). Each view parses the body, calls one action and answers."""

from __future__ import annotations

import base64
from collections.abc import Callable
from functools import wraps
from io import BytesIO
from typing import Any, NoReturn, cast

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import login, update_session_auth_hash
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login

from relay.accounts import actions, selectors, throttle
from relay.accounts.models import RecoveryWrap, User
from relay.accounts.second_factor import passed_second_factor
from relay.accounts.views import _me
from relay.accounts.wire import b64_field, json_object, wrapped_key_field
from relay.api.http import answers_errors, error, signed_in
from relay.cases.access import require_usable
from relay.errors import InvalidRequest


def _actor(request: HttpRequest) -> User:
    """The signed-in user (the decorators have already refused anonymous requests)."""
    return cast(User, request.user)


def _text(body: dict[str, Any], name: str, message: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(message)
    return value


def signed_in_any_factor(view: Callable[..., JsonResponse]) -> Callable[..., JsonResponse]:
    """Signed in, not suspended; a second factor is not needed yet (setting one up)."""

    @wraps(view)
    @answers_errors
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        require_usable(request.user, second_factor=False)
        return view(request, *args, **kwargs)

    return wrapper


# --- invitations and enrolment ---------------------------------------------------------------


def _invitation_reply(code: str, invitation: Any, status: int = 201) -> JsonResponse:
    return JsonResponse(
        {"code": code, "expires_at": invitation.expires_at.isoformat()}, status=status
    )


@require_POST
@signed_in
def invite_participant(request: HttpRequest, case_id: Any) -> JsonResponse:
    """A facilitator of the case issues a participant's enrolment code."""
    body = json_object(request)
    side = body.get("side")
    if side not in ("harmed", "responsible"):
        raise InvalidRequest("The side must be 'harmed' or 'responsible'.")
    code, invitation = actions.invite_participant(actor=_actor(request), case_id=case_id, side=side)
    return _invitation_reply(code, invitation)


@require_POST
@signed_in
def invite_staff(request: HttpRequest) -> JsonResponse:
    """A hub manager creates a staff account and its enrolment code."""
    body = json_object(request)
    username = _text(body, "username", "Choose a username for the new staff member.")
    role = _text(body, "role", "Choose a role: facilitator, hub_manager or admin.")
    display_name = body.get("display_name", "")
    if not isinstance(display_name, str):
        raise InvalidRequest("The display name must be text.")
    code, invitation = actions.invite_staff(
        actor=_actor(request), username=username, role=role, display_name=display_name
    )
    return _invitation_reply(code, invitation)


def _code_attempt(request: HttpRequest, body: dict[str, Any]) -> tuple[str, str]:
    code = body.get("code")
    address = throttle.client_address(request)
    throttle.check("enrolment", account=None, address=address)
    if not isinstance(code, str):
        raise InvalidRequest("Enter the code your facilitator gave you.")
    return code, address


def _bad_code(address: str) -> NoReturn:
    throttle.fail("enrolment", account=None, address=address)
    raise InvalidRequest(actions.BAD_CODE, code="bad_code")


@require_POST
@answers_errors
def enrol_check(request: HttpRequest) -> JsonResponse:
    """Who a code is for (their display name only: the username stays with the account
    and its manager), and the Argon2id parameters to derive their keys with. A staff
    account with a recovery wrap gets it too, so a recovery key can restore the key pair."""
    code, address = _code_attempt(request, json_object(request))
    invitation = selectors.invitation_for_code(code)
    if invitation is None:
        _bad_code(address)
    user = invitation.user
    reply: dict[str, Any] = {
        "display_name": user.display_name,
        "salt": base64.b64encode(bytes(user.kdf_salt or b"")).decode(),
        "opslimit": settings.RELAY_KDF_OPSLIMIT,
        "memlimit": settings.RELAY_KDF_MEMLIMIT,
    }
    wrap = RecoveryWrap.objects.filter(user=user, key__retired_at__isnull=True).first()
    if wrap is not None:
        reply["recovery_wrap"] = _recovery_wire(wrap)
    return JsonResponse(reply)


@require_POST
@answers_errors
def enrol(request: HttpRequest) -> JsonResponse:
    """Enrol with a code: set the login key, register the key pair, sign in."""
    body = json_object(request)
    code, address = _code_attempt(request, body)
    if selectors.invitation_for_code(code) is None:
        _bad_code(address)
    login_key = _text(body, "login_key", "Send the login key derived from your password.")
    user = actions.enrol(
        code=code,
        login_key=login_key,
        public_key=b64_field(body, "public_key", 32),
        wrapped=wrapped_key_field(body),
    )
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return JsonResponse(_me(user), status=201)


# --- password ---------------------------------------------------------------------------------


@require_POST
@signed_in_any_factor
def change_password(request: HttpRequest) -> JsonResponse:
    """Change the password: the same key pair, re-wrapped; other sessions end."""
    body = json_object(request)
    account, address = str(request.user.pk), throttle.client_address(request)
    throttle.check("sign_in", account=account, address=address)
    require_usable(request.user)  # now with the second factor they need
    try:
        user = actions.change_password(
            actor=_actor(request),
            login_key=body.get("login_key"),  # type: ignore[arg-type]
            new_login_key=body.get("new_login_key"),  # type: ignore[arg-type]
            wrapped=wrapped_key_field(body),
        )
    except InvalidRequest as exc:
        if exc.code == "bad_credentials":
            throttle.fail("sign_in", account=account, address=address)
        raise
    update_session_auth_hash(request, user)
    actions.end_sessions(user.pk, keep=request.session.session_key)
    return JsonResponse(_me(request.user))


# --- second factor -----------------------------------------------------------------------------


@require_GET
@signed_in_any_factor
def otp_setup(request: HttpRequest) -> JsonResponse:
    """Start setting up an authenticator app: its otpauth URI and the QR code as SVG."""
    device = actions.begin_totp_setup(
        actor=_actor(request), verified=passed_second_factor(request.user)
    )
    uri = device.config_url
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    out = BytesIO()
    image.save(out)
    return JsonResponse({"otpauth_uri": uri, "qr_svg": out.getvalue().decode()})


@require_POST
@signed_in_any_factor
def otp_confirm(request: HttpRequest) -> JsonResponse:
    """Confirm the new authenticator with a code from it; answers with the backup codes."""
    body = json_object(request)
    token = _text(body, "token", "Enter the six-digit code from your authenticator app.")
    account, address = str(request.user.pk), throttle.client_address(request)
    throttle.check("otp", account=account, address=address)
    try:
        device, codes = actions.confirm_totp(
            actor=_actor(request),
            verified=passed_second_factor(request.user),
            token=token.strip().replace(" ", ""),
        )
    except InvalidRequest as exc:
        if exc.code == "bad_token":
            throttle.fail("otp", account=account, address=address)
        raise
    throttle.succeed("otp", account=account)
    otp_login(request, device)
    return JsonResponse({"backup_codes": codes})


# --- suspension and recovery ----------------------------------------------------------------------


@require_POST
@signed_in
def suspend(request: HttpRequest, user_id: Any) -> JsonResponse:
    """A hub manager suspends an account; its sessions end and its sockets close."""
    user = actions.suspend_account(actor=_actor(request), user_id=user_id)
    suspended_at = user.suspended_at.isoformat() if user.suspended_at else None
    return JsonResponse({"user_id": str(user.pk), "suspended_at": suspended_at})


@require_POST
@signed_in
def reinstate(request: HttpRequest, user_id: Any) -> JsonResponse:
    """A hub manager lifts a suspension."""
    user = actions.reinstate_account(actor=_actor(request), user_id=user_id)
    return JsonResponse({"user_id": str(user.pk), "suspended_at": None})


@require_POST
@signed_in
def reset_staff(request: HttpRequest, user_id: Any) -> JsonResponse:
    """A hub manager resets a staff member who lost their password: a new enrolment code."""
    code, invitation = actions.reset_staff(actor=_actor(request), user_id=user_id)
    return _invitation_reply(code, invitation)


@require_POST
@signed_in
def reset_participant(request: HttpRequest, case_id: Any, side: str) -> JsonResponse:
    """A facilitator of the case resets a participant who lost their password."""
    code, invitation = actions.reset_participant(actor=_actor(request), case_id=case_id, side=side)
    return _invitation_reply(code, invitation)


@require_GET
@signed_in
def history_to_rewrap(request: HttpRequest, case_id: Any, side: str) -> JsonResponse:
    """For a facilitator: the participant's current key and every message of the case that
    their retired keys could open and their current key cannot yet."""
    pending = selectors.history_to_rewrap(actor=_actor(request), case_id=case_id, side=side)
    return JsonResponse(pending)


@require_POST
@signed_in
def rewrap(request: HttpRequest, message_id: Any) -> JsonResponse:
    """A facilitator adds a content key wrapped for a recovered person's new key."""
    body = json_object(request)
    key_id = _text(body, "key_id", "Send the key id of the new key.")
    key = actions.rewrap_message_key(
        actor=_actor(request),
        message_id=message_id,
        key_id=key_id,
        nonce=b64_field(body, "nonce", 24),
        box=b64_field(body, "box", 48),
    )
    return JsonResponse(
        {"message_id": str(message_id), "key_id": key.recipient_key_id,
         "wrapped_by": key.wrapped_by_id},
        status=201,
    )


def _recovery_wire(wrap: RecoveryWrap) -> dict[str, Any]:
    return {
        "key_id": wrap.key_id,
        "wrapped_private_key": base64.b64encode(bytes(wrap.box)).decode(),
        "wrapped_key_nonce": base64.b64encode(bytes(wrap.nonce)).decode(),
    }


@require_http_methods(["GET", "POST"])
@signed_in
def recovery_wrap(request: HttpRequest) -> JsonResponse:
    """POST stores the private key wrapped under the printable recovery key; GET returns it."""
    if request.method == "POST":
        body = json_object(request)
        wrap = actions.store_recovery_wrap(
            actor=_actor(request),
            nonce=b64_field(body, "wrapped_key_nonce", 24),
            box=b64_field(body, "wrapped_private_key", 48),
        )
        return JsonResponse(_recovery_wire(wrap), status=201)
    stored = RecoveryWrap.objects.filter(user=_actor(request)).first()
    if stored is None:
        return error(404, "not_found", "No recovery key has been set up for this account.")
    return JsonResponse(_recovery_wire(stored))


urlpatterns = [
    path("cases/<uuid:case_id>/invitations", invite_participant),
    path("cases/<uuid:case_id>/participants/<str:side>/reset", reset_participant),
    path("cases/<uuid:case_id>/participants/<str:side>/rewrap", history_to_rewrap),
    path("staff/invitations", invite_staff),
    path("staff/users/<uuid:user_id>/suspend", suspend),
    path("staff/users/<uuid:user_id>/reinstate", reinstate),
    path("staff/users/<uuid:user_id>/reset", reset_staff),
    path("enrol/check", enrol_check),
    path("enrol", enrol),
    path("password", change_password),
    path("otp/setup", otp_setup),
    path("otp/confirm", otp_confirm),
    path("keys/recovery-wrap", recovery_wrap),
    path("messages/<uuid:message_id>/rewrap", rewrap),
]
