"""Structured JSON logs that never hold content, usernames or addresses (DESIGN §9).

``ScrubFilter`` runs on every record before any handler formats it:

- the message is rendered once and scrubbed: e-mail addresses, IPv4 and IPv6 addresses,
  phone numbers, the value after a key that names a person or a secret (``username=…``,
  ``"email": "…"``, ``token …``), and any long base64 or hex run (a ciphertext, a key, a
  session id) are replaced by ``[redacted]``;
- an exception keeps its stack and its type, not its message (a validation error may echo
  its input);
- attributes a handler could print but that may hold a person's details (``request``,
  ``scope``, ``client``, ``username``, ``user``) are removed, and only the extra fields
  named in ``ALLOWED_EXTRA`` (counts, durations, kinds) are kept.

``JsonFormatter`` writes one JSON object per line (python-json-logger) with the time, level,
logger, the scrubbed message and those extra fields. Settings install both on every
handler (``relay.settings.LOGGING``); ``RELAY_LOG_FORMAT=plain`` keeps the filter and
writes plain lines.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

REDACTED = "[redacted]"

# Extra fields a log call may add (``logger.info("…", extra={...})``): counts, durations
# and kinds of things, never who or what was said.
ALLOWED_EXTRA = frozenset(
    {"event", "job", "count", "duration_ms", "status", "route", "method", "channel", "kind",
     "cases", "messages", "wrapped_keys", "sent", "failed", "skipped"}
)

_KEYED = re.compile(
    r"""(?ix)
    (\b(?:email|e-mail|phone|mobile|address|addr|client|password|passwd|
         token|secret|session(?:id|_key)?|cookie|authorization|name|contact)
     ["']?\s*[:=]\s*["']?
    | \buser(?:name)?["']?(?:\s*[:=]\s*["']?|\s+))
    ([^\s"',;&)}\]<>]+)
    """
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b(?::\d+)?")
_IPV6 = re.compile(r"\b(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{0,4}\b|::1\b|::ffff:[0-9.]+")
_PHONE = re.compile(r"(?<![\w-])\+?\d[\d ()-]{7,}\d(?![\w-])")
# A run of 24+ base64/hex characters: ciphertext, a key, a token, a session key.
_BLOB = re.compile(r"[A-Za-z0-9+/_-]{24,}={0,2}")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


def scrub(text: str) -> str:
    """``text`` with addresses, keyed personal values and long opaque runs replaced.
    UUIDs (case, message and event ids) are kept: they name no one and say nothing."""
    uuids: list[str] = []

    def keep_uuid(match: re.Match[str]) -> str:
        uuids.append(match.group(0))
        return f"\x00{len(uuids) - 1}\x00"

    text = _UUID.sub(keep_uuid, text)
    text = _KEYED.sub(lambda m: m.group(1) + REDACTED, text)
    text = _EMAIL.sub(REDACTED, text)
    text = _IPV6.sub(REDACTED, text)
    text = _IPV4.sub(REDACTED, text)
    text = _PHONE.sub(REDACTED, text)
    text = _BLOB.sub(REDACTED, text)
    return re.sub(r"\x00(\d+)\x00", lambda m: uuids[int(m.group(1))], text)


def _traceback_without_values(exc_info: Any) -> str:
    """The stack and the exception's type, without its message or any chained one's."""
    kind, _value, tb = exc_info
    frames = "".join(traceback.format_tb(tb))
    name = f"{kind.__module__}.{kind.__qualname__}"
    return scrub(f"Traceback (most recent call last):\n{frames}{name}")


# Attributes of a LogRecord itself: everything else on a record came from ``extra``.
_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__
) | {"message", "asctime", "taskName"}


class ScrubFilter(logging.Filter):
    """Renders and scrubs each record in place; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_relay_scrubbed", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the line
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = ()
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = _traceback_without_values(record.exc_info)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        for name in list(record.__dict__):
            if name in _RECORD_ATTRIBUTES:
                continue
            if name not in ALLOWED_EXTRA:
                del record.__dict__[name]
            elif isinstance(record.__dict__[name], str):
                record.__dict__[name] = scrub(record.__dict__[name])
        record._relay_scrubbed = True
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: time, level, logger, message, the allowed extra fields
    and, for an error, the scrubbed traceback."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__("%(levelname)s %(name)s %(message)s", *args, **kwargs)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data.pop("_relay_scrubbed", None)
        for name in list(log_data):
            if name not in {"time", "level", "logger", "message", "exc_info"} and (
                name not in ALLOWED_EXTRA
            ):
                del log_data[name]
