"""Reading the accounts endpoints' JSON bodies: one object, fixed-length base64 fields."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from relay.api.http import json_body
from relay.envelopes import b64decode
from relay.errors import InvalidRequest

WRAP_NONCE_BYTES = 24
WRAPPED_KEY_BYTES = 48  # a 32-byte private key and its 16-byte tag


def json_object(request: HttpRequest) -> dict[str, Any]:
    """The request body, which must be a JSON object (an empty body reads as ``{}``)."""
    body = json_body(request)
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return body


def exact_bytes(value: object, length: int) -> bytes | None:
    """The bytes ``value`` encodes in standard base64 if it is exactly ``length`` long,
    else None."""
    if not isinstance(value, str):
        return None
    try:
        raw = b64decode(value, what="value")
    except ValueError:
        return None
    return raw if len(raw) == length else None


def b64_field(body: dict[str, Any], name: str, length: int) -> bytes:
    raw = exact_bytes(body.get(name), length)
    if raw is None:
        raise InvalidRequest(f"Send {name} as base64 of {length} bytes.")
    return raw


def wrapped_key_field(body: dict[str, Any]) -> tuple[bytes, bytes]:
    """The private key wrapped in the client: (nonce, box)."""
    return (
        b64_field(body, "wrapped_key_nonce", WRAP_NONCE_BYTES),
        b64_field(body, "wrapped_private_key", WRAPPED_KEY_BYTES),
    )
