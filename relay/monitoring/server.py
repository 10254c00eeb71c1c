"""The internal metrics listener: Prometheus's text format on its own port, apart from the
public application (which has no /metrics route). ``RELAY_METRICS_PORT`` (0: off) and
``RELAY_METRICS_ADDRESS`` choose where; docker-compose.yml never publishes the port, so
only containers on the internal network can read it."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from prometheus_client import start_http_server

from relay.metrics import REGISTRY
from relay.monitoring.collector import DatabaseCollector

logger = logging.getLogger(__name__)
_started = threading.Lock()
_collector_registered = False


def register_collectors() -> None:
    """Add the database figures to the registry, once per process."""
    global _collector_registered
    with _started:
        if not _collector_registered:
            REGISTRY.register(DatabaseCollector())
            _collector_registered = True


def start_metrics_listener(port: int | None = None) -> Any:
    """Serve the registry on the internal port; returns the server, or None when off."""
    port = settings.RELAY_METRICS_PORT if port is None else port
    if not port:
        return None
    register_collectors()
    server, _thread = start_http_server(
        port, addr=settings.RELAY_METRICS_ADDRESS, registry=REGISTRY
    )
    logger.info("metrics listener started", extra={"event": "metrics_listener"})
    return server
