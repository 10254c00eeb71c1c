"""Structured logs hold no content, usernames or addresses (relay.monitoring.logging)."""

from __future__ import annotations

import io
import json
import logging

import pytest

from relay.monitoring.logging import REDACTED, ScrubFilter, scrub
from tests.monitoring.canary import send_canary
from tests.test_no_plaintext import leaks


def test_scrub_removes_addresses_personal_values_and_opaque_runs() -> None:
    case_id = "0b7c3a4e-1234-4abc-9def-0123456789ab"
    text = (
        f"case {case_id} username=alice email: 'bob@example.org' from 192.0.2.1:5050 "
        "and 2001:db8::1 phone +44 7700 900123 key QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="
    )
    cleaned = scrub(text)
    for secret in (
        "alice",
        "bob@example.org",
        "192.0.2.1",
        "2001:db8::1",
        "7700 900123",
        "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo",
    ):
        assert secret not in cleaned
    assert case_id in cleaned  # identifiers name no one and stay useful
    assert cleaned.count(REDACTED) >= 6


def test_an_exception_keeps_its_type_and_stack_not_its_message() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), None)
    written = "what the person wrote"
    try:
        raise ValueError(f"input_value={written!r}")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    ScrubFilter().filter(record)
    assert record.exc_info is None
    assert "builtins.ValueError" in (record.exc_text or "")
    assert "what the person wrote" not in (record.exc_text or "")


def test_extra_fields_outside_the_allowed_set_are_dropped() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "sent", (), None)
    record.username = "alice"
    record.count = 3
    ScrubFilter().filter(record)
    assert not hasattr(record, "username")
    assert record.count == 3


def _console_handler() -> logging.Handler:
    for handler in logging.getLogger().handlers:
        if any(isinstance(f, ScrubFilter) for f in handler.filters):
            return handler
    raise AssertionError("settings.LOGGING installs no scrubbing handler")


@pytest.mark.django_db
def test_canary_and_participant_details_never_reach_the_log() -> None:
    handler = _console_handler()
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        canary = send_canary()
    finally:
        handler.setStream(previous)
    written = buffer.getvalue()
    lines = [json.loads(line) for line in written.splitlines() if line.strip()]
    assert lines, "the requests and the careless line were logged"
    assert any(line["logger"] == "relay.careless" for line in lines)
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    for what, needle in canary.needles().items():
        assert needle not in written, f"the {what} reached the log"
    assert not leaks(written.encode(), canary.text)
    assert canary.ciphertext[:24] not in written
