"""Hardening: CSRF on every state-changing endpoint, idle sessions, security headers, the
production settings module and the relay.E… checks."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time

import pytest
from django.test import Client, override_settings

from relay.accounts.middleware import LAST_SEEN_KEY
from relay.accounts.models import Role
from relay.checks import production_settings
from tests.accounts.conftest import json_post
from tests.conftest import ROOT
from tests.factories import make_case, make_person, password_keys, verified_session

STATE_CHANGING = [
    "/api/session",
    "/api/enrol/check",
    "/api/enrol",
    "/api/password",
    "/api/otp/verify",
    "/api/otp/confirm",
    "/api/keys",
    "/api/keys/recovery-wrap",
    "/api/staff/invitations",
    "/api/messages",
]


@pytest.mark.django_db
def test_a_post_without_the_csrf_token_is_refused():
    sc = make_case()
    browser = verified_session(Client(enforce_csrf_checks=True), sc.facilitator)
    paths = [
        *STATE_CHANGING,
        f"/api/cases/{sc.id}/invitations",
        f"/api/cases/{sc.id}/participants/harmed/reset",
        f"/api/cases/{sc.id}/pause",
        f"/api/staff/users/{sc.harmed.id}/suspend",
        f"/api/staff/users/{sc.harmed.id}/reinstate",
        f"/api/messages/{sc.id}/rewrap",
    ]
    for path in paths:
        response = browser.post(path, {}, content_type="application/json")
        assert response.status_code == 403, path
        assert b"CSRF" in response.content, path
    # With the token from GET /api/csrf in the X-CSRFToken header, the same request passes
    # the CSRF check (and gets the endpoint's own answer).
    token = browser.get("/api/csrf").json()["csrf_token"]
    response = browser.post(
        f"/api/cases/{sc.id}/invitations",
        {"side": "harmed"},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    # (The person has enrolled already, so the endpoint itself refuses the code.)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "already_enrolled"
    # Signing out needs the token too.
    assert browser.delete("/api/session").status_code == 403


def last_seen_ago(client: Client, seconds: int) -> None:
    """Pretend the session was last used ``seconds`` ago."""
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - seconds
    session.save()


@pytest.mark.django_db
@override_settings(RELAY_IDLE_TIMEOUT=60)
def test_an_idle_session_ends():
    person = make_person(Role.PARTICIPANT)
    client = Client()
    client.force_login(person.user)
    assert client.get("/api/cases").status_code == 200
    last_seen_ago(client, 61)
    assert client.get("/api/cases").status_code == 401
    assert client.get("/api/me").status_code == 401


@pytest.mark.django_db
@override_settings(RELAY_IDLE_TIMEOUT=60)
def test_an_active_session_stays():
    person = make_person(Role.PARTICIPANT)
    client = Client()
    client.force_login(person.user)
    last_seen_ago(client, 50)
    assert client.get("/api/cases").status_code == 200
    # Each use restarts the clock, so an active session never reaches the limit.
    assert client.session[LAST_SEEN_KEY] >= int(time.time()) - 1


@pytest.mark.django_db
@override_settings(RELAY_IDLE_TIMEOUT=600)
def test_activity_is_written_once_per_step_not_on_every_request():
    """A tenth of the idle timeout, at most 30 s: a use within it leaves the session row
    alone; a use after it moves the deadline on."""
    person = make_person(Role.PARTICIPANT)
    client = Client()
    client.force_login(person.user)
    last_seen_ago(client, 10)
    written = client.session[LAST_SEEN_KEY]
    assert client.get("/api/cases").status_code == 200
    assert client.session[LAST_SEEN_KEY] == written
    last_seen_ago(client, 31)
    assert client.get("/api/cases").status_code == 200
    assert client.session[LAST_SEEN_KEY] >= int(time.time()) - 1


@pytest.mark.django_db
def test_security_headers_and_strict_cookies():
    person = make_person(Role.PARTICIPANT)
    client = Client()
    response = client.get("/api/csrf")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.cookies["csrftoken"]["samesite"] == "Strict"
    keys = password_keys(person.user)
    signed = json_post(
        client, "/api/session", {"username": person.user.username, "login_key": keys.login_key_b64}
    )
    cookie = signed.cookies["sessionid"]
    assert cookie["httponly"] is True and cookie["samesite"] == "Strict"


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "relay.settings.production",
        "RELAY_SECRET_KEY": secrets.token_urlsafe(64),
        "RELAY_AUDIT_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": "postgres://relay@db.internal:5432/relay",
        "REDIS_URL": "redis://redis.internal:6379/0",
        "RELAY_ALLOWED_HOSTS": "relay.example.org",
        "RELAY_ALLOWED_ORIGINS": "https://relay.example.org",
        "RELAY_SITE_URL": "https://relay.example.org",
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_the_production_settings():
    result = manage(
        "check", "--deploy", "--settings=relay.settings.production", env=production_env()
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNING" not in result.stderr and "ERROR" not in result.stderr


@pytest.mark.parametrize(
    "missing",
    [
        "RELAY_SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "RELAY_ALLOWED_HOSTS",
        "RELAY_ALLOWED_ORIGINS",
    ],
)
def test_production_refuses_to_start_without_its_environment(missing):
    result = manage("check", "--deploy", env=production_env(**{missing: ""}))
    assert result.returncode != 0
    assert f"Production needs these environment variables: {missing}." in result.stderr


def test_production_refuses_to_start_on_sqlite_or_with_a_short_secret():
    result = manage(
        "check",
        env=production_env(DATABASE_URL="sqlite:////tmp/relay.sqlite3", RELAY_SECRET_KEY="short"),
    )
    assert result.returncode != 0
    assert "relay.E002" in result.stderr and "relay.E005" in result.stderr


def test_the_production_settings_are_hardened():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER, s.SECURE_HSTS_SECONDS >= 31536000,"
        " s.RELAY_SERVE_STATIC, s.CHANNEL_LAYERS['default']['BACKEND'])"
    )
    result = manage("shell", "--no-imports", "-c", code, env=production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "True",
        "True",
        "True",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "True",
        "False",
        "channels_redis.core.RedisChannelLayer",
    ]


GOOD = {
    "RELAY_PRODUCTION": True,
    "DEBUG": False,
    "SECRET_KEY": "k" * 20 + secrets.token_hex(20),
    "RELAY_AUDIT_KEY": secrets.token_urlsafe(32),
    "CHANNEL_LAYERS": {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer"}},
    "RELAY_REQUIRE_STAFF_OTP": True,
    "DATABASES": {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "relay"}},
    "RELAY_ALLOWED_ORIGINS": ["https://relay.example.org"],
    "RELAY_ACCEPT_OWN_ORIGIN": False,
    # The test settings' cheap proof of work would be refused in production (relay.E010).
    "RELAY_REFERRAL_PROOF_BITS": 18,
}


def ids_with(**changes: object) -> list[str]:
    with override_settings(**{**GOOD, **changes}):
        return [error.id for error in production_settings(None)]


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_each_relay_check_fires():
    assert ids_with() == []
    assert ids_with(DEBUG=True) == ["relay.E001"]
    assert ids_with(SECRET_KEY="embedded-default-insecure-key-do-not-deploy") == ["relay.E002"]
    assert ids_with(SECRET_KEY="x" * 20) == ["relay.E002"]
    assert ids_with(
        CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    ) == ["relay.E003"]
    assert ids_with(RELAY_REQUIRE_STAFF_OTP=False) == ["relay.E004"]
    assert ids_with(
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}}
    ) == ["relay.E005"]
    for origins in (
        [],
        ["http://127.0.0.1:8000", "http://localhost:8000"],  # the embedded defaults
        ["http://relay.example.org"],
        ["https://localhost"],
        ["https://relay.example.org/path"],
    ):
        assert ids_with(RELAY_ALLOWED_ORIGINS=origins) == ["relay.E007"], origins
    assert ids_with(RELAY_ACCEPT_OWN_ORIGIN=True) == ["relay.E007"]
    # Outside production (the embedded run) none of them applies.
    assert ids_with(RELAY_PRODUCTION=False, DEBUG=True) == []
