"""Idle sessions lock (DESIGN §9): a session unused for RELAY_IDLE_TIMEOUT seconds ends."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

LAST_SEEN_KEY = "relay_last_seen"


def idle_deadline(session: Any, *, default_last_seen: int) -> int:
    """The Unix time after which the session counts as idle: its last activity (what this
    middleware stored, else ``default_last_seen``) plus ``RELAY_IDLE_TIMEOUT``. The one rule,
    used here for HTTP and by the socket sweep (``relay.sockets``)."""
    return int(session.get(LAST_SEEN_KEY, default_last_seen)) + settings.RELAY_IDLE_TIMEOUT


def activity_step() -> int:
    """How stale the stored last activity may be before a use writes it again: a tenth of the
    idle timeout, at most 30 seconds. Writing it on every request and every socket frame
    would rewrite the session row each time; this way an active session is rewritten at most
    once per step, and reaches its idle deadline at most one step early."""
    return max(1, min(30, settings.RELAY_IDLE_TIMEOUT // 10))


def record_activity(session: Any, now: int) -> bool:
    """Move the idle deadline on for a use at ``now``; whether the session changed (and
    needs saving)."""
    last_seen = session.get(LAST_SEEN_KEY)
    if last_seen is not None and now - int(last_seen) < activity_step():
        return False
    session[LAST_SEEN_KEY] = now
    return True


class IdleSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            if now > idle_deadline(request.session, default_last_seen=now):
                logout(request)
            else:
                record_activity(request.session, now)
        return self.get_response(request)
