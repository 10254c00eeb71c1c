"""The process's Prometheus metrics (docs/operations.md, "Metrics").

One registry of its own, served only on the internal listener (``RELAY_METRICS_PORT``,
``relay.monitoring.server``), never on the public application. Labels name kinds of things
(an HTTP method, a status class, a route pattern, an event type), never a person, a case,
a message or an address: a label value is one of a fixed, small set.

This module imports nothing of Relay, so every layer may count here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "relay_http_requests",
    "HTTP requests answered, by method, status class (2xx…5xx) and route pattern.",
    ["method", "status", "route"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "relay_http_request_seconds",
    "Time to answer an HTTP request, by route pattern.",
    ["route"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
SOCKETS_OPEN = Gauge(
    "relay_sockets_open", "WebSockets open in this process.", registry=REGISTRY
)
SOCKETS_ACCEPTED = Counter(
    "relay_sockets_accepted", "WebSockets accepted by this process.", registry=REGISTRY
)
EVENTS_DELIVERED = Counter(
    "relay_events_delivered",
    "Stream events pushed to an open WebSocket, by event type.",
    ["type"],
    registry=REGISTRY,
)
DELIVERY_LATENCY = Histogram(
    "relay_delivery_seconds",
    "From an event's commit to its push on an open WebSocket.",
    registry=REGISTRY,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
NOTIFICATIONS_SENT = Counter(
    "relay_notifications_sent",
    "Content-free notifications sent, by channel (email, sms).",
    ["channel"],
    registry=REGISTRY,
)
NOTIFICATIONS_FAILED = Counter(
    "relay_notifications_failed",
    "Notifications that failed to send, by channel (email, sms).",
    ["channel"],
    registry=REGISTRY,
)
JOBS_RUN = Counter(
    "relay_jobs_run", "Periodic jobs run, by job name.", ["job"], registry=REGISTRY
)
JOBS_FAILED = Counter(
    "relay_jobs_failed", "Periodic jobs that raised, by job name.", ["job"], registry=REGISTRY
)
CASES_SHREDDED = Counter(
    "relay_cases_shredded", "Cases whose content was crypto-shredded.", registry=REGISTRY
)

# The event types a stream carries (relay.delivery.models.EventType); anything else is
# counted as "other", so a label value is never taken from outside this set.
EVENT_TYPES = frozenset(
    {"message", "message_state", "queue", "communication", "participation", "case", "key"}
)
# A push older than this is a catch-up after a reconnect, not a live delivery: counted,
# but kept out of the latency histogram.
LIVE_DELIVERY_SECONDS = 300.0


def count_delivery(event: dict[str, Any], *, now: datetime | None = None) -> None:
    """Count one event pushed on a socket, and its commit-to-push time if it is live."""
    kind = event.get("type")
    EVENTS_DELIVERED.labels(kind if kind in EVENT_TYPES else "other").inc()
    try:
        committed = datetime.fromisoformat(str(event["at"]))
    except (KeyError, ValueError):
        return
    age = ((now or datetime.now(UTC)) - committed).total_seconds()
    if 0 <= age <= LIVE_DELIVERY_SECONDS:
        DELIVERY_LATENCY.observe(age)
