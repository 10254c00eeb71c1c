"""Text-message backends: one small interface, chosen by ``RELAY_SMS_BACKEND``.

- ``relay.notifications.sms.ConsoleBackend`` (the default): writes each text to standard
  output with the number masked, for the embedded run.
- ``relay.notifications.sms.FileBackend``: appends one JSON line per text to a file in
  ``RELAY_SMS_FILE_PATH`` (a directory), for staging and tests.
- ``relay.notifications.sms.LocmemBackend``: keeps texts in memory (the test settings).
- ``relay.notifications.sms.HttpBackend``: a provider's HTTP API. POSTs
  ``{"to": "+447700900123", "from": RELAY_SMS_SENDER, "body": "..."}`` as JSON to
  ``RELAY_SMS_URL`` with ``Authorization: Bearer RELAY_SMS_TOKEN``; any 2xx is success.
  A provider with another shape gets a subclass overriding ``request_body``.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings
from django.utils.module_loading import import_string


class SmsError(Exception):
    """The text was not accepted; the notification stays pending and is tried again."""


class BaseBackend:
    def send(self, to: str, body: str) -> None:
        raise NotImplementedError


def masked(number: str) -> str:
    return "*" * max(0, len(number) - 2) + number[-2:]


class ConsoleBackend(BaseBackend):
    def send(self, to: str, body: str) -> None:
        sys.stdout.write(f"[text message to {masked(to)}] {body}\n")
        sys.stdout.flush()


class LocmemBackend(BaseBackend):
    """Keeps each text in ``outbox`` (the test settings' backend, like Django's locmem
    email backend)."""

    outbox: list[dict[str, str]] = []

    def send(self, to: str, body: str) -> None:
        LocmemBackend.outbox.append({"to": to, "body": body})


class FileBackend(BaseBackend):
    _lock = threading.Lock()

    def send(self, to: str, body: str) -> None:
        directory = Path(settings.RELAY_SMS_FILE_PATH)
        directory.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"to": to, "body": body}) + "\n"
        with self._lock, (directory / "sms.jsonl").open("a") as out:
            out.write(line)


class HttpBackend(BaseBackend):
    timeout = 10.0

    def request_body(self, to: str, body: str) -> dict[str, Any]:
        return {"to": to, "from": settings.RELAY_SMS_SENDER, "body": body}

    def send(self, to: str, body: str) -> None:
        try:
            response = httpx.post(
                settings.RELAY_SMS_URL,
                json=self.request_body(to, body),
                headers={"Authorization": f"Bearer {settings.RELAY_SMS_TOKEN}"},
                timeout=self.timeout,
            )
        except httpx.HTTPError as failed:
            raise SmsError("the text-message provider did not answer") from failed
        if not response.is_success:
            raise SmsError(f"the text-message provider refused it ({response.status_code})")


def backend() -> BaseBackend:
    backend_class: type[BaseBackend] = import_string(settings.RELAY_SMS_BACKEND)
    return backend_class()
