"""Turning operations and errors into JSON HTTP responses."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, JsonResponse

from relay.accounts.second_factor import second_factor_missing
from relay.errors import AccessDenied, IllegalTransition, InvalidRequest, RelayError

log = logging.getLogger(__name__)

STATUS = {AccessDenied: 404, IllegalTransition: 409, InvalidRequest: 400}


def error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def status_for(exc: RelayError) -> int:
    for cls, status in STATUS.items():
        if isinstance(exc, cls):
            return status
    return 400


def json_body(request: HttpRequest) -> Any:
    if not request.body:
        return {}
    if request.content_type != "application/json":
        raise InvalidRequest("Send the request body as application/json.")
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest("The request body is not valid JSON.") from None


def signed_in(view: Callable[..., JsonResponse]) -> Callable[..., JsonResponse]:
    """Refuse anonymous requests (401) and staff without a verified second factor (403)."""

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        user = request.user
        if not user.is_authenticated:
            return error(401, "not_signed_in", "Please sign in.")
        if getattr(user, "suspended_at", None) is not None:
            return error(403, "suspended", "This account is suspended.")
        if second_factor_missing(user):
            return error(
                403, "second_factor_required", "Confirm your second factor to reach case data."
            )
        try:
            return view(request, *args, **kwargs)
        except RelayError as exc:
            return error(status_for(exc), exc.code, exc.message)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper
