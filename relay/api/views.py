"""The JSON API for cases, messages, moderation and catch-up (docs/api.md).

Each URL maps to one operation in ``relay.operations``; this module only moves data
between HTTP and that table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.http import require_http_methods

from relay import operations
from relay.accounts.models import User
from relay.api.http import json_body, signed_in
from relay.errors import InvalidRequest


def operation_view(name: str) -> Callable[..., JsonResponse]:
    writes = operations.OPERATIONS[name].writes

    @require_http_methods(["POST"] if writes else ["GET"])
    @signed_in
    def view(request: HttpRequest, **kwargs: Any) -> JsonResponse:
        if writes:
            payload = json_body(request)
            if not isinstance(payload, dict):
                raise InvalidRequest("The request body must be a JSON object.")
        else:
            payload = dict(request.GET.items())
        for key, value in kwargs.items():
            payload[key] = str(value)
        # signed_in has refused anonymous requests, so this is a signed-in User.
        return JsonResponse(operations.run(name, cast(User, request.user), payload))

    view.__name__ = f"api_{name}"
    return view


urlpatterns = [
    path("cases", operation_view("cases")),
    path("cases/<uuid:case_id>", operation_view("case")),
    path("cases/<uuid:case_id>/queue", operation_view("queue")),
    path("cases/<uuid:case_id>/pause", operation_view("pause")),
    path("cases/<uuid:case_id>/resume", operation_view("resume")),
    path("cases/<uuid:case_id>/withdraw", operation_view("withdraw")),
    path("messages", operation_view("send")),
    path("messages/<uuid:message_id>", operation_view("message")),
    path("messages/<uuid:message_id>/forward", operation_view("forward")),
    path("messages/<uuid:message_id>/return", operation_view("return")),
    path("messages/<uuid:message_id>/reject", operation_view("reject")),
    path("messages/<uuid:message_id>/retract", operation_view("retract")),
    path("events", operation_view("events")),
]
