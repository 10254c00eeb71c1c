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


class IdleSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            if now > idle_deadline(request.session, default_last_seen=now):
                logout(request)
            else:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)
