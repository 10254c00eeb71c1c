"""Input limits (docs/api.md, Conventions): the body size limit, enforced by Daphne through
``relay.serve`` before the body is read, and JSON nesting, refused as a JSON error."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import time
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from relay.limits import MAX_JSON_DEPTH, BodyLimit
from tests.conftest import ROOT, DaphneProcess
from tests.factories import make_case


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def deep_object(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [nested(100_000), deep_object(40_000), nested(MAX_JSON_DEPTH + 1), deep_object(200)],
    ids=[
        "list-overflowing-the-parser",
        "object-overflowing-the-parser",
        "list-just-too-deep",
        "object-too-deep",
    ],
)
def test_deeply_nested_json_gets_a_json_400(body: bytes) -> None:
    sc = make_case()
    signed_in = Client()
    signed_in.force_login(sc.harmed.user)
    for client, path in ((Client(), "/api/session"), (signed_in, "/api/messages")):
        response = client.post(path, body, content_type="application/json")
        assert response.status_code == 400, path
        assert response["Content-Type"] == "application/json", path
        error = response.json()["error"]
        assert error["code"] == "invalid"
        assert "nested" in error["message"]


@pytest.mark.django_db
def test_json_as_deep_as_allowed_reaches_the_endpoint() -> None:
    sc = make_case()
    client = Client()
    client.force_login(sc.harmed.user)
    body = b'{"envelope":{"header":' + nested(MAX_JSON_DEPTH - 2) + b"}}"
    response = client.post("/api/messages", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "envelope_rejected"


@pytest.mark.django_db
def test_a_body_over_the_limit_read_by_django_gets_a_json_413() -> None:
    body = b'{"a":"' + b"x" * settings.RELAY_MAX_BODY_BYTES + b'"}'
    response = Client().post("/api/session", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def read_response(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def split_response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body


def assert_refused_as_too_large(raw: bytes) -> None:
    status, headers, body = split_response(raw)
    assert status == 413
    assert headers["content-type"] == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] == "too_large"
    assert str(settings.RELAY_MAX_BODY_BYTES) in error["message"]


def test_a_declared_huge_body_is_refused_at_once_through_daphne(daphne: DaphneProcess) -> None:
    with socket.create_connection(("127.0.0.1", daphne.port), timeout=5) as sock:
        started = time.monotonic()
        sock.sendall(
            b"POST /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n" + b"{" * 1000
        )
        raw = read_response(sock, timeout=5)
        elapsed = time.monotonic() - started
    assert raw, "no answer within 5 s: the body is still being read"
    assert elapsed < 2
    assert_refused_as_too_large(raw)


def test_a_chunked_body_is_cut_off_once_it_passes_the_limit(daphne: DaphneProcess) -> None:
    limit = settings.RELAY_MAX_BODY_BYTES
    chunk = b"x" * 65536
    sent = 0
    with socket.create_connection(("127.0.0.1", daphne.port), timeout=5) as sock:
        sock.sendall(
            b"POST /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        try:
            while sent < 64 * limit:  # far more than the limit, if nobody stops it
                sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                sent += len(chunk)
        except OSError:
            pass  # the server closed the connection: what should happen
        raw = read_response(sock, timeout=5)
    assert sent < 16 * limit, "the server kept reading far past the limit"
    assert_refused_as_too_large(raw)


def test_a_body_within_the_limit_is_still_served_through_daphne(daphne: DaphneProcess) -> None:
    body = json.dumps({"username": "nobody", "login_key": "x" * 1000}).encode()
    with socket.create_connection(("127.0.0.1", daphne.port), timeout=5) as sock:
        sock.sendall(
            b"POST /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body
        )
        status, _, _ = split_response(read_response(sock, timeout=10))
    assert status == 403  # CSRF: the request reached Django, which answered it


# --- the ASGI layer, for servers other than relay.serve ----------------------------------------


def run_body_limit(headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> dict[str, Any]:
    reached: dict[str, Any] = {"app": False, "body": b"", "sent": []}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached["app"] = True
        while True:
            message = await receive()
            reached["body"] += message.get("body", b"")
            if not message.get("more_body"):
                break

    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        reached["sent"].append(message)

    scope = {"type": "http", "headers": headers}
    asyncio.run(BodyLimit(app, limit=100)(scope, receive, send))
    reached["unread"] = len(messages)
    return reached


def test_the_asgi_layer_refuses_a_declared_length_without_reading() -> None:
    result = run_body_limit([(b"content-length", b"101")], [b"x" * 50, b"x" * 51])
    assert not result["app"]
    assert result["unread"] == 2
    assert result["sent"][0]["status"] == 413
    assert json.loads(result["sent"][1]["body"])["error"]["code"] == "too_large"


def test_the_asgi_layer_stops_reading_an_undeclared_body_past_the_limit() -> None:
    result = run_body_limit([], [b"x" * 60, b"x" * 60, b"x" * 60])
    assert not result["app"]
    assert result["unread"] == 1
    assert result["sent"][0]["status"] == 413


def test_the_asgi_layer_passes_a_body_within_the_limit_whole() -> None:
    result = run_body_limit([(b"content-length", b"100")], [b"x" * 50, b"y" * 50])
    assert result["app"]
    assert result["body"] == b"x" * 50 + b"y" * 50
    assert result["sent"] == []


# --- the proxy in front (deploy/Caddyfile) -----------------------------------------------------


def test_the_proxy_applies_the_same_body_limit_and_a_header_timeout() -> None:
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    size = re.search(r"request_body \{\s*max_size (\d+)KiB\s*\}", caddyfile)
    assert size is not None and int(size.group(1)) * 1024 == settings.RELAY_MAX_BODY_BYTES
    assert re.search(r"timeouts \{[^}]*read_header 10s", caddyfile)


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy is not installed")
def test_the_caddyfile_is_valid() -> None:
    result = subprocess.run(
        ["caddy", "validate", "--config", "deploy/Caddyfile", "--adapter", "caddyfile"],
        cwd=ROOT,
        env={**os.environ, "RELAY_DOMAIN": "relay.example.org"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Valid configuration" in result.stdout + result.stderr
