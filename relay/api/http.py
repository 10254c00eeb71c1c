"""Turning operations and errors into JSON HTTP responses."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext

from relay.errors import InvalidRequest, RelayError
from relay.limits import BodyTooLarge, loads_json

log = logging.getLogger(__name__)


def error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def status_for(exc: RelayError) -> int:
    return exc.status


def json_body(request: HttpRequest) -> Any:
    try:
        body = request.body
    except RequestDataTooBig:
        # Reached only behind a server that does not apply relay.limits first.
        raise BodyTooLarge(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) from None
    if not body:
        return {}
    if request.content_type != "application/json":
        raise InvalidRequest(gettext("Send the request body as application/json."))
    return loads_json(body)


def json_object(request: HttpRequest) -> dict[str, Any]:
    """The request body, which must be a JSON object (an empty body reads as ``{}``)."""
    body = json_body(request)
    if not isinstance(body, dict):
        raise InvalidRequest(gettext("The request body must be a JSON object."))
    return body


def answers_errors(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Turn every RelayError a view raises into its JSON error reply."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except RelayError as exc:
            return error(exc.status, exc.code, exc.message)

    return wrapper
