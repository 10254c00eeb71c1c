"""/healthz and /readyz (relay.monitoring.health), through the ASGI application."""

from __future__ import annotations

import json

import pytest
from channels.layers import channel_layers
from channels.testing import HttpCommunicator
from django.test import Client, override_settings

from relay.asgi import application
from tests.conftest import free_port


async def ask(path: str, *, method: str = "GET", host: bytes = b"127.0.0.1") -> tuple[int, dict]:
    communicator = HttpCommunicator(application, method, path, headers=[(b"host", host)])
    response = await communicator.get_response(timeout=10)
    return response["status"], json.loads(response["body"])


@pytest.mark.asyncio
async def test_healthz_answers_whatever_the_host() -> None:
    assert await ask("/healthz") == (200, {"status": "ok"})
    # Before the host check: a health check asks the process by its own address.
    assert await ask("/healthz", host=b"not-an-allowed-host.example") == (200, {"status": "ok"})


@pytest.mark.asyncio
async def test_only_get_and_head_are_answered() -> None:
    status, body = await ask("/readyz", method="POST")
    assert status == 405 and body == {"error": "method_not_allowed"}


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_readyz_checks_the_database_and_the_channel_layer() -> None:
    assert await ask("/readyz") == (
        200,
        {"status": "ready", "checks": {"database": "ok", "channel_layer": "ok"}},
    )


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_readyz_is_503_when_redis_does_not_answer() -> None:
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [nowhere]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers, RELAY_READY_TIMEOUT=1.0):
        channel_layers.backends.clear()
        try:
            status, body = await ask("/readyz")
        finally:
            channel_layers.backends.clear()
    assert status == 503
    assert body == {"status": "unready", "checks": {"database": "ok", "channel_layer": "failed"}}
    assert "127.0.0.1" not in json.dumps(body)


@pytest.mark.django_db
def test_the_public_application_has_no_metrics_route() -> None:
    assert Client().get("/metrics").status_code == 404
