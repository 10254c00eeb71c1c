"""ASGI entry point for Daphne: HTTP through Django, WebSockets through the relay consumer."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relay.settings")

from django.conf import settings  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi = get_asgi_application()
if settings.RELAY_SERVE_STATIC:
    # The embedded run serves the browser build itself; production leaves it to the proxy.
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    django_asgi = ASGIStaticFilesHandler(django_asgi)

from relay.limits import BodyLimit  # noqa: E402

# Bodies over the limit get 413 JSON before Django reads them (relay.serve does it in Daphne).
limited_application = BodyLimit(django_asgi, limit=settings.RELAY_MAX_BODY_BYTES)

from relay.monitoring.health import HealthEndpoints  # noqa: E402

# /healthz and /readyz answer before Django's host check and HTTPS redirect, so a
# container's health check can ask the process directly (docs/operations.md).
http_application = HealthEndpoints(limited_application)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402
from django.urls import path  # noqa: E402

from relay.consumers import RelayConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": http_application,
        # The session is read with its user by the consumer itself, in the one database call
        # of its handshake (relay.consumers.RelayConsumer._admit).
        "websocket": SessionMiddlewareStack(URLRouter([path("ws/", RelayConsumer.as_asgi())])),
    }
)
