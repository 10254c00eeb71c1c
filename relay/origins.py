"""Which page origins may open a WebSocket (docs/api.md, WebSocket).

An origin in ``RELAY_ALLOWED_ORIGINS`` is allowed. When that variable is not set and this
is not production (``RELAY_ACCEPT_OWN_ORIGIN``), the embedded run also accepts its own
origin on whatever port it was started: an ``Origin`` equal to ``<scheme>://<Host header>``
whose host is in ``ALLOWED_HOSTS``. That is the rule Django's CSRF check already applies to
every POST. A page on another site cannot pass it (the browser sets ``Origin`` to that
site), and a rebound DNS name fails ``ALLOWED_HOSTS``. Production accepts only the list.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.http.request import split_domain_port, validate_host


def header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


def websocket_origin_allowed(scope: dict[str, Any]) -> bool:
    """Whether the WebSocket handshake in ``scope`` comes from an allowed page origin."""
    origin = header(scope, b"origin")
    if not origin:
        return False
    if origin in settings.RELAY_ALLOWED_ORIGINS:
        return True
    if not getattr(settings, "RELAY_ACCEPT_OWN_ORIGIN", False):
        return False
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    return is_own_origin(origin, scheme=scheme, host=header(scope, b"host"),
                         allowed_hosts=settings.ALLOWED_HOSTS)


def is_own_origin(origin: str, *, scheme: str, host: str, allowed_hosts: Iterable[str]) -> bool:
    """``origin`` is exactly ``scheme://host`` and ``host`` is one this server answers to."""
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, list(allowed_hosts)):
        return False
    return origin == f"{scheme}://{host}"
