"""Session and key endpoints of the JSON API (docs/api.md)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import cast

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import get_token
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import match_token

from relay.accounts import actions, throttle
from relay.accounts.models import User
from relay.accounts.second_factor import passed_second_factor, second_factor_required
from relay.accounts.wire import b64_field, json_object, wrapped_key_field
from relay.api.http import answers_errors, error, signed_in
from relay.cases.access import require_usable
from relay.cases.selectors import current_key
from relay.delivery.streams import revoke_sockets
from relay.errors import InvalidRequest


def _me(user) -> dict:
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


@require_GET
def csrf(request: HttpRequest) -> JsonResponse:
    """Sets the CSRF cookie; clients send it back in the X-CSRFToken header."""
    return JsonResponse({"csrf_token": get_token(request)})


@require_http_methods(["POST", "DELETE"])
@answers_errors
def session(request: HttpRequest) -> JsonResponse:
    """POST signs in with a login key (never a password); DELETE signs out and closes the
    user's sockets."""
    if request.method == "DELETE":
        if request.user.is_authenticated:
            user_id = request.user.pk
            logout(request)
            revoke_sockets(user_id, reason="signed_out")
        return JsonResponse({"signed_in": False})
    body = json_object(request)
    username, login_key = body.get("username"), body.get("login_key")
    if not isinstance(username, str) or not isinstance(login_key, str):
        raise InvalidRequest("Send a username and a login key.")
    address = throttle.client_address(request)
    throttle.check("sign_in", account=username, address=address)
    user = authenticate(request, username=username, password=login_key)
    if user is None or user.suspended_at is not None:
        throttle.fail("sign_in", account=username, address=address)
        return error(401, "bad_credentials", "That username and password do not match.")
    throttle.succeed("sign_in", account=username)
    login(request, user)
    return JsonResponse(_me(user))


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


@csrf_exempt  # a read that changes nothing, asked before there is a session or CSRF cookie
@require_POST
@answers_errors
def salt(request: HttpRequest) -> JsonResponse:
    """Argon2id salt and parameters for a username (known or not: same shape and timing).
    The username travels in the body, never in the URL, so it stays out of access logs."""
    username = json_object(request).get("username")
    if not isinstance(username, str) or not username or len(username) > 150:
        return error(400, "invalid", "Send a username.")
    return JsonResponse(
        {
            "salt": base64.b64encode(_salt_for(username)).decode(),
            "opslimit": settings.RELAY_KDF_OPSLIMIT,
            "memlimit": settings.RELAY_KDF_MEMLIMIT,
        }
    )


@require_GET
def me(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return error(401, "not_signed_in", "Please sign in.")
    return JsonResponse(_me(request.user))


@require_POST
@signed_in
def keys(request: HttpRequest) -> JsonResponse:
    """Register the signed-in user's public key (base64 of 32 bytes), with the private key
    wrapped under their password-derived wrap key so they can sign in on another device.
    The current login key proves the password: the stored wrap is what the next sign-in
    unwraps, so a session alone must not replace it."""
    body = json_object(request)
    public_key = b64_field(body, "public_key", actions.PUBLIC_KEY_BYTES)
    wrapped = wrapped_key_field(body)
    login_key = body.get("login_key")
    if not isinstance(login_key, str) or not login_key:
        raise InvalidRequest("Send your current login key, derived from your password.")
    account, address = str(request.user.pk), throttle.client_address(request)
    throttle.check("sign_in", account=account, address=address)
    try:
        key = actions.register_key(
            actor=cast(User, request.user),
            public_key=public_key,
            wrapped=wrapped,
            login_key=login_key,
        )
    except InvalidRequest as exc:
        if exc.code == "bad_credentials":
            throttle.fail("sign_in", account=account, address=address)
        raise
    return JsonResponse({"key_id": key.key_id, "fingerprint": key.fingerprint}, status=201)


@require_GET
@signed_in
def wrapped_key(request: HttpRequest) -> JsonResponse:
    """The signed-in user's wrapped private key and the KDF parameters it was wrapped with."""
    user = cast(User, request.user)
    if user.wrapped_private_key is None or user.wrapped_key_nonce is None:
        return error(404, "not_found", "No key has been stored for this account yet.")
    return JsonResponse(
        {
            "wrapped_private_key": base64.b64encode(bytes(user.wrapped_private_key)).decode(),
            "wrapped_key_nonce": base64.b64encode(bytes(user.wrapped_key_nonce)).decode(),
            "opslimit": user.kdf_opslimit,
            "memlimit": user.kdf_memlimit,
            "salt": base64.b64encode(bytes(user.kdf_salt or b"")).decode(),
        }
    )


@require_POST
@signed_in
def verify_key(request: HttpRequest, case_id, key_id: str) -> JsonResponse:
    """A facilitator records a fingerprint comparison with a participant."""
    method = json_object(request).get("method", "in_person")
    actions.verify_key(
        actor=cast(User, request.user), case_id=case_id, key_id=key_id, method=method
    )
    return JsonResponse({"key_id": key_id, "verified": True})


@require_POST
@answers_errors
def otp_verify(request: HttpRequest) -> JsonResponse:
    """Check a second-factor token (TOTP or backup code) for the signed-in user."""
    require_usable(request.user, second_factor=False)
    token = json_object(request).get("token")
    if not isinstance(token, str) or not token.strip():
        raise InvalidRequest("Enter the code from your authenticator app or a backup code.")
    account, address = str(request.user.pk), throttle.client_address(request)
    throttle.check("otp", account=account, address=address)
    device = match_token(request.user, token.strip().replace(" ", "").replace("-", ""))
    if device is None:
        throttle.fail("otp", account=account, address=address)
        return error(400, "bad_token", "That code is not right. Check it and try again.")
    throttle.succeed("otp", account=account)
    otp_login(request, device)
    return JsonResponse({**_me(request.user), "second_factor": True})


urlpatterns = [
    path("otp/verify", otp_verify),
    path("csrf", csrf),
    path("session", session),
    path("me", me),
    path("salt", salt),
    path("keys", keys),
    path("keys/wrapped", wrapped_key),
    path("cases/<uuid:case_id>/keys/<str:key_id>/verify", verify_key),
]
