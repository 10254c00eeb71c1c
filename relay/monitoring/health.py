"""Liveness and readiness, answered before Django's host check and HTTPS redirect, so a
container's health check can ask ``http://127.0.0.1:8000/…`` directly.

- ``GET /healthz``: the process is up and its event loop answers. Always
  ``200 {"status": "ok"}``; it touches nothing else, so a database outage does not make
  the orchestrator restart healthy processes.
- ``GET /readyz``: the process can serve: the database answers ``SELECT 1`` and the
  channel layer (Redis in production) answers a group send, each within
  ``RELAY_READY_TIMEOUT`` seconds. ``200 {"status": "ready", "checks": {"database": "ok",
  "channel_layer": "ok"}}``, or ``503`` with ``"status": "unready"`` and ``"failed"`` for
  each check that did not answer. The reply names no host, address or error text.

Any other method gets 405; any other path goes to the application.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection

HEALTH_PATHS = ("/healthz", "/readyz")
# A group nobody joins: a send to it reaches the layer's store and delivers nothing.
PROBE_GROUP = "relay-readiness-probe"


def _database_answers() -> None:
    # On a thread of its own (see readiness): the connection is that thread's, so close it.
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()


async def _channel_layer_answers() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer")
    await layer.group_send(PROBE_GROUP, {"type": "readiness.probe"})


async def readiness() -> dict[str, str]:
    """Each check's result: ``ok`` or ``failed``."""
    timeout = float(getattr(settings, "RELAY_READY_TIMEOUT", 2.0))
    checks: dict[str, Any] = {
        # Not on the thread that runs the process's database work: a busy process is
        # still ready, and must not look unready (and lose all its traffic) for being busy.
        "database": sync_to_async(_database_answers, thread_sensitive=False)(),
        "channel_layer": _channel_layer_answers(),
    }

    async def answer(check: Any) -> str:
        try:
            await asyncio.wait_for(check, timeout)
        except Exception:  # noqa: BLE001 - any failure means not ready; never echo it
            return "failed"
        return "ok"

    # Asked at once, so a slow database does not eat the channel layer's time too.
    answers = await asyncio.gather(*(answer(check) for check in checks.values()))
    return dict(zip(checks, answers, strict=True))


async def _reply(send: Any, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body, separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"cache-control", b"no-store"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class HealthEndpoints:
    """ASGI middleware answering ``/healthz`` and ``/readyz`` itself."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] not in HEALTH_PATHS:
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            await _reply(send, 405, {"error": "method_not_allowed"})
            return
        if scope["path"] == "/healthz":
            await _reply(send, 200, {"status": "ok"})
            return
        checks = await readiness()
        ready = all(result == "ok" for result in checks.values())
        body: dict[str, Any] = {"status": "ready" if ready else "unready", "checks": checks}
        await _reply(send, 200 if ready else 503, body)
