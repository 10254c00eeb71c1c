"""Helpers for the accounts tests against a real Daphne."""

from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from django.conf import settings
from django_otp.oath import totp
from websockets.exceptions import ConnectionClosed

from relay_client.client import RelayClient, RelaySocket


def weak_floor_client(server: Any) -> RelayClient:
    """A client that accepts the cheap test KDF parameters."""
    return RelayClient(
        server.url,
        kdf_floor_opslimit=settings.RELAY_KDF_OPSLIMIT,
        kdf_floor_memlimit=settings.RELAY_KDF_MEMLIMIT,
    )


class RequestLog:
    """Every request a client sends: method, URL and body bytes."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, bytes]] = []

    def __call__(self, request: httpx.Request) -> None:
        self.requests.append((request.method, str(request.url), request.read()))

    def attach(self, client: RelayClient) -> RelayClient:
        client.http.event_hooks["request"].append(self)
        return client

    def paths(self) -> list[str]:
        return [urlparse(url).path for _method, url, _body in self.requests]


def secret_forms(secret: str) -> dict[str, bytes]:
    """The ways a password could travel: as text, as UTF-8, UTF-16, hex, base64 and URL
    encoding."""
    raw = secret.encode("utf-8")
    forms = {
        "utf8": raw,
        "utf16": secret.encode("utf-16-le"),
        "hex": raw.hex().encode(),
        "b64": base64.b64encode(raw),
        "b64url": base64.urlsafe_b64encode(raw).rstrip(b"="),
        "urlencoded": secret.replace(" ", "+").encode(),
        "percent": secret.replace(" ", "%20").encode(),
        "json": secret.encode("unicode_escape"),
    }
    # Base64 of the password at each alignment inside a longer string.
    for shift in (1, 2):
        padded = b"\0" * shift + raw
        forms[f"b64/{shift}"] = base64.b64encode(padded)[4 : (len(padded) // 3) * 4]
    return forms


def totp_now(otpauth_uri: str, steps_ahead: int = 0) -> str:
    """What an authenticator app set up from this otpauth:// URI shows."""
    query = parse_qs(urlparse(otpauth_uri).query)
    secret = query["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key, 30, 0, int(query.get('digits', ['6'])[0]), steps_ahead):06d}"


def wait_closed(sock: RelaySocket, deadline: float) -> tuple[int | None, float]:
    """Read until the server closes the socket; return the close code and when it closed."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("the socket was still open at the deadline")
        try:
            sock.conn.recv(timeout=remaining)
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd is not None else None
            return code, time.monotonic()
        except TimeoutError:
            raise AssertionError("the socket was still open at the deadline") from None
