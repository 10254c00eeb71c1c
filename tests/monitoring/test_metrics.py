"""The Prometheus metrics on the internal listener (relay.metrics, relay.monitoring)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from django.test import Client, override_settings
from django.utils import timezone

from relay.metrics import DELIVERY_LATENCY, EVENTS_DELIVERED, REGISTRY, count_delivery
from relay.monitoring.server import start_metrics_listener
from relay.retention.tasks import apply_retention_task
from tests.conftest import free_port
from tests.monitoring.canary import send_canary
from tests.test_no_plaintext import leaks

# Every label any Relay metric may carry: kinds of things, never who or which.
ALLOWED_LABELS = {"method", "status", "route", "type", "channel", "job", "le"}


def scrape(server_port: int) -> str:
    response = httpx.get(f"http://127.0.0.1:{server_port}/metrics", timeout=10)
    assert response.status_code == 200
    return response.text


@pytest.mark.django_db(transaction=True)
def test_listener_serves_the_figures_without_identities() -> None:
    canary = send_canary()
    # A retention run waiting for the worker: due for a minute.
    apply_retention_task.using(run_after=timezone.now() - timedelta(minutes=1)).enqueue()
    port = free_port()
    server = start_metrics_listener(port)
    try:
        text = scrape(port)
    finally:
        server.shutdown()
        server.server_close()
    assert re.search(r"^relay_database_up 1\.0$", text, re.M), text
    assert re.search(r"^relay_messages_waiting 1\.0$", text, re.M), text
    assert re.search(r"^relay_messages_waiting_oldest_seconds \d", text, re.M)
    assert 'relay_http_requests_total{method="POST",route="api/messages",status="2xx"}' in text
    assert "relay_sockets_open" in text and "relay_delivery_seconds_bucket" in text
    assert re.search(r"^relay_worker_tasks_due 1\.0$", text, re.M), text
    lag = re.search(r"^relay_worker_lag_seconds (\S+)$", text, re.M)
    assert lag is not None and float(lag.group(1)) >= 59
    for what, needle in canary.needles().items():
        assert needle not in text, f"the {what} is in the metrics"
    assert not leaks(text.encode(), canary.text)
    for identifier in (canary.shuttle.id, canary.message_id, str(canary.shuttle.harmed.id)):
        assert identifier not in text
    labels = set(re.findall(r"[{,]([a-z_]+)=\"", text))
    assert labels <= ALLOWED_LABELS, labels - ALLOWED_LABELS


def test_listener_is_off_without_a_port_and_on_the_internal_address() -> None:
    assert start_metrics_listener(0) is None
    with override_settings(RELAY_METRICS_ADDRESS="127.0.0.1"):
        port = free_port()
        server = start_metrics_listener(port)
        try:
            assert server.server_address[0] == "127.0.0.1"
        finally:
            server.shutdown()
            server.server_close()


@pytest.mark.django_db
def test_a_delivery_is_counted_by_a_known_type_and_timed_when_live() -> None:
    now = datetime.now(UTC)

    def sample(name: str, labels: dict[str, str] | None = None) -> float:
        return REGISTRY.get_sample_value(name, labels or {}) or 0.0

    before = sample("relay_events_delivered_total", {"type": "other"})
    timed = sample("relay_delivery_seconds_count")
    count_delivery(
        {"type": "made-up-type", "at": (now - timedelta(seconds=1)).isoformat()}, now=now
    )
    count_delivery({"type": "message", "at": (now - timedelta(hours=2)).isoformat()}, now=now)
    count_delivery({"type": "message", "at": "not a time"}, now=now)
    assert sample("relay_events_delivered_total", {"type": "other"}) == before + 1
    # The two-hour-old event was a catch-up, not a live push; the bad time is not timed.
    assert sample("relay_delivery_seconds_count") == timed + 1
    assert EVENTS_DELIVERED and DELIVERY_LATENCY


@pytest.mark.django_db
def test_public_requests_are_counted_by_route_pattern_not_path() -> None:
    Client().get("/api/cases/0b7c3a4e-1234-4abc-9def-0123456789ab")
    text = "\n".join(f"{s.name}{s.labels}" for m in REGISTRY.collect() for s in m.samples)
    assert "0b7c3a4e-1234-4abc-9def-0123456789ab" not in text
