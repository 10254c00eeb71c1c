"""Limits on what a request may hold: body size and JSON nesting.

A request body larger than ``RELAY_MAX_BODY_BYTES`` is refused with 413 and a JSON error
before it is read: ``relay.serve`` refuses it in Daphne as soon as the headers declare it
(or, for a chunked body, as soon as it passes the limit), and ``BodyLimit`` refuses it again
in the ASGI application, for any other server. JSON nested deeper than ``MAX_JSON_DEPTH``
is refused with 400 ``invalid``, whether it would overflow the parser or not.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.utils.translation import gettext

from relay.errors import InvalidRequest, RelayError

# The deepest request body or frame the protocol needs is an envelope: 4 levels.
MAX_JSON_DEPTH = 32

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]  # Django's handler types its arguments its own way


class BodyTooLarge(RelayError):
    """The request body is larger than ``RELAY_MAX_BODY_BYTES``; none of it was used."""

    code = "too_large"
    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(
            gettext("The request body is larger than the limit of %(limit)s bytes.")
            % {"limit": limit}
        )


def error_body(exc: RelayError) -> bytes:
    """The JSON error body every layer answers with (docs/api.md, Conventions)."""
    return json.dumps({"error": {"code": exc.code, "message": exc.message}}).encode()


def too_large_response(limit: int) -> bytes:
    """A whole HTTP/1.1 413 response that closes the connection, for Daphne's own layer."""
    body = error_body(BodyTooLarge(limit))
    return (
        b"HTTP/1.1 413 Content Too Large\r\n"
        b"Content-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n"
        b"Connection: close\r\n\r\n" + body
    )


def loads_json(data: bytes | str) -> Any:
    """Parse a request body or frame as JSON; refuse malformed or too deeply nested input
    with ``InvalidRequest`` (never ``RecursionError``)."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise InvalidRequest(too_deep_message()) from None
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest(gettext("The request body is not valid JSON.")) from None
    if depth_exceeds(value, MAX_JSON_DEPTH):
        raise InvalidRequest(too_deep_message())
    return value


def too_deep_message() -> str:
    return gettext("The JSON is nested more than %(depth)s levels deep.") % {
        "depth": MAX_JSON_DEPTH
    }


def depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests lists and objects more than ``limit`` deep (no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def declared_length(scope: Scope) -> int | None:
    """The request's Content-Length, or None if it declares none (or a malformed one)."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimit:
    """ASGI wrapper: answer 413 JSON for an HTTP request whose body exceeds ``limit`` bytes,
    from its Content-Length before reading anything, or once the body read passes it."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = declared_length(scope)
        if length is not None and length > self.limit:
            await self.refuse(send)
            return
        chunks: list[Message] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            size += len(message.get("body", b""))
            if size > self.limit:
                await self.refuse(send)
                return
            chunks.append(message)
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            if chunks:
                return chunks.pop(0)
            return await receive()

        await self.app(scope, replay, send)

    async def refuse(self, send: Send) -> None:
        body = error_body(BodyTooLarge(self.limit))
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
