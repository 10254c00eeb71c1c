"""Every ``api/`` route, built from the operations table (``relay.operations``).

One view per path: it picks the operation by method (405 for any other), checks who may
ask (the operation's ``auth``) before reading anything, reads the query (GET) or the JSON
body, adds the path's parameters, runs the operation and answers with its route's status
(a download streams the file the operation opened).
Errors become ``{"error": {"code", "message"}}`` with their status (docs/api.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import IO, Any

from asgiref.sync import sync_to_async
from django.http import (
    HttpRequest,
    HttpResponseNotAllowed,
    JsonResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path

from relay import operations
from relay.accounts import throttle
from relay.api.http import answers_errors, json_object
from relay.api.session import HttpSession
from relay.surface import Caller, Operation

# How much of a download is read from storage at a time.
BLOCK_BYTES = 64 * 1024


async def blocks(file: IO[bytes]) -> AsyncIterator[bytes]:
    """A file read block by block, never whole: an asynchronous iterator, because Daphne
    (ASGI) would first read a synchronous one (a FileResponse's) into a list in memory."""
    try:
        while block := await sync_to_async(file.read)(BLOCK_BYTES):
            yield block
    finally:
        await sync_to_async(file.close)()


def route_view(route: str, by_method: dict[str, tuple[str, Operation]]) -> Callable[..., Any]:
    """The view of one path, offering each of ``by_method``'s operations at its method."""

    @answers_errors
    def run(
        request: HttpRequest, name: str, operation: Operation, **kwargs: Any
    ) -> HttpResponseBase:
        operations.authorize(operation, request.user)
        assert operation.http is not None
        if request.method == "GET":
            payload: dict[str, Any] = dict(request.GET.items())
        elif operation.http.body:
            payload = json_object(request)
        else:
            payload = {}
        for key, value in kwargs.items():
            payload[key] = str(value)
        caller = Caller(
            user=request.user,
            address=throttle.client_address(request),
            session=HttpSession(request) if operation.session else None,
        )
        result = operations.run(name, caller, payload)
        if operation.http.download:
            response = StreamingHttpResponse(
                blocks(result["file"]), content_type="application/octet-stream"
            )
            response["Content-Length"] = str(result["size"])
            response["Cache-Control"] = "no-store"
            return response
        return JsonResponse(result, status=operation.http.status)

    def view(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
        chosen = by_method.get(request.method or "")
        if chosen is None:
            return HttpResponseNotAllowed(sorted(by_method))
        return run(request, *chosen, **kwargs)

    view.__name__ = "api_" + "_".join(name for name, _ in by_method.values())
    if any(op.http is not None and op.http.csrf_exempt for _, op in by_method.values()):
        view.csrf_exempt = True  # type: ignore[attr-defined]
    return view


def build(table: dict[str, Operation]) -> list[URLPattern]:
    """One URL pattern per path of ``table``; two operations at one path and method is an
    error."""
    paths: dict[str, dict[str, tuple[str, Operation]]] = {}
    for name, operation in table.items():
        if operation.http is None:
            continue
        methods = paths.setdefault(operation.http.path, {})
        if operation.http.method in methods:
            raise ValueError(
                f"{operation.http.method} {operation.http.path} is declared by both "
                f"{methods[operation.http.method][0]!r} and {name!r}."
            )
        methods[operation.http.method] = (name, operation)
    return [path(route, route_view(route, methods)) for route, methods in paths.items()]


urlpatterns = build(operations.OPERATIONS)
