"""Reading fixed-length base64 values from the accounts' requests."""

from __future__ import annotations

from relay.envelopes import b64decode


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
