"""The Permissions-Policy header on every response (docs/api.md, Conventions).

Relay's pages need no browser feature beyond the page itself, except camera and microphone:
participants record audio and video statements in the page, so those two are allowed to
Relay's own origin (``self``) and to nothing else. The browser still asks the person before
either is used. Pages are never framed (``frame-ancestors 'none'``), so ``self`` grants no
other site anything. Every other powerful feature is off.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

PERMISSIONS_POLICY = ", ".join(
    [
        "camera=(self)",
        "microphone=(self)",
        "geolocation=()",
        "display-capture=()",
        "payment=()",
        "usb=()",
        "serial=()",
        "hid=()",
        "bluetooth=()",
        "midi=()",
        "accelerometer=()",
        "gyroscope=()",
        "magnetometer=()",
        "browsing-topics=()",
    ]
)


class PermissionsPolicyMiddleware:
    """Set ``Permissions-Policy`` on every response, pages, API and errors alike."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
