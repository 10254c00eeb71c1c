"""The HTTP session, as the operations that change it see it (``relay.surface.Session``):
signing in and out, the second factor, and staying signed in after a password change.
Only HTTP requests have one, so those operations are offered over HTTP only."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django_otp import login as otp_login


class HttpSession:
    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    def csrf_token(self) -> str:
        return get_token(self.request)

    def authenticate(self, username: str, login_key: str) -> Any:
        return authenticate(self.request, username=username, password=login_key)

    def sign_in(self, user: Any) -> None:
        backend = getattr(user, "backend", None) or "django.contrib.auth.backends.ModelBackend"
        login(self.request, user, backend=backend)

    def sign_out(self) -> None:
        logout(self.request)

    def passed_second_factor(self, device: Any) -> None:
        otp_login(self.request, device)

    def keep_after_password_change(self, user: Any) -> str | None:
        update_session_auth_hash(self.request, user)
        return self.request.session.session_key
