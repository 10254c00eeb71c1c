"""Allowed origins (relay.origins), production's strictness about them, and the
Permissions-Policy header (relay.headers)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.test import Client, override_settings
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from relay.headers import PERMISSIONS_POLICY
from relay.origins import websocket_origin_allowed
from tests.conftest import ROOT, DaphneProcess
from tests.delivery.live import client_for
from tests.factories import make_case


class EmbeddedDaphne(DaphneProcess):
    """A real Daphne started as the embedded run is: no RELAY_ALLOWED_ORIGINS at all."""

    def env(self) -> dict[str, str]:
        env = super().env()
        env.pop("RELAY_ALLOWED_ORIGINS")
        return env


@pytest.fixture
def embedded(transactional_db: None) -> Iterator[EmbeddedDaphne]:
    server = EmbeddedDaphne().start()  # on a free port, never 8000
    try:
        yield server
    finally:
        server.stop()


def first_frame(server: DaphneProcess, origin: str, cookie: str) -> str:
    """The type of the first frame the server sends, or "refused" (at the handshake, or
    closed before a frame)."""
    try:
        with connect(
            f"ws://127.0.0.1:{server.port}/ws/",
            origin=Origin(origin),
            additional_headers={"Cookie": cookie},
            open_timeout=10,
        ) as conn:
            return str(json.loads(conn.recv(timeout=5))["type"])
    except (InvalidStatus, ConnectionClosed):
        return "refused"


def test_the_embedded_run_accepts_its_own_origin_on_any_port(embedded: EmbeddedDaphne) -> None:
    sc = make_case()
    client = client_for(embedded, sc.harmed)  # signing in passes Django's CSRF check
    with client.socket() as sock:  # the handshake's Origin is http://127.0.0.1:<port>
        assert sock is not None
    cookie = "; ".join(f"{k}={v}" for k, v in client.http.cookies.items())
    assert first_frame(embedded, embedded.url, cookie) == "welcome"
    for foreign in (
        "http://evil.example",
        f"http://evil.example:{embedded.port}",
        f"http://localhost:{embedded.port}",  # another host than the one asked for
        f"https://127.0.0.1:{embedded.port}",  # another scheme
    ):
        assert first_frame(embedded, foreign, cookie) == "refused", foreign


def scope(origin: str, host: str, scheme: str = "ws") -> dict[str, Any]:
    return {"scheme": scheme, "headers": [(b"host", host.encode()), (b"origin", origin.encode())]}


@override_settings(
    RELAY_ALLOWED_ORIGINS=["https://relay.example.org"],
    ALLOWED_HOSTS=["relay.example.org", "127.0.0.1"],
    RELAY_ACCEPT_OWN_ORIGIN=False,
)
def test_with_origins_set_only_those_are_accepted() -> None:
    assert websocket_origin_allowed(scope("https://relay.example.org", "relay.example.org", "wss"))
    assert not websocket_origin_allowed(scope("http://127.0.0.1:9000", "127.0.0.1:9000"))


@override_settings(
    RELAY_ALLOWED_ORIGINS=[], ALLOWED_HOSTS=["127.0.0.1"], RELAY_ACCEPT_OWN_ORIGIN=True
)
def test_the_own_origin_rule_needs_an_allowed_host() -> None:
    assert websocket_origin_allowed(scope("http://127.0.0.1:9000", "127.0.0.1:9000"))
    # A name rebound to this machine: same origin as the Host header, but not a host we serve.
    rebound = "rebound.example:9000"
    assert not websocket_origin_allowed(scope(f"http://{rebound}", rebound))
    assert not websocket_origin_allowed(scope("", "127.0.0.1:9000"))
    assert not websocket_origin_allowed(scope("null", "127.0.0.1:9000"))


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/csrf", "/api/me", "/", "/no-such-page", "/api/session"])
def test_every_response_sends_the_permissions_policy(path: str) -> None:
    response = Client().get(path)
    policy = response.headers["Permissions-Policy"]
    assert policy == PERMISSIONS_POLICY
    features = dict(item.split("=") for item in policy.split(", "))
    assert features["camera"] == features["microphone"] == "(self)"
    assert features["geolocation"] == features["payment"] == features["usb"] == "()"


def test_the_documented_permissions_policy_is_the_one_sent() -> None:
    api = (ROOT / "docs" / "api.md").read_text()
    section = api.split("**Permissions-Policy.**", 1)[1].split("`", 2)[1]
    assert " ".join(section.split()) == f"Permissions-Policy: {PERMISSIONS_POLICY}"


def test_the_proxy_sends_the_same_permissions_policy() -> None:
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert f'header ?Permissions-Policy "{PERMISSIONS_POLICY}"' in caddyfile


def test_pages_through_daphne_send_the_permissions_policy(daphne: DaphneProcess) -> None:
    response = httpx.get(f"{daphne.url}/api/csrf", timeout=10)
    assert response.headers["Permissions-Policy"] == PERMISSIONS_POLICY
