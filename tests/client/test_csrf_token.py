"""What docs/api.md tells a client about the CSRF token: where it comes from, that signing in
(or enrolling) replaces it, and that nothing else does."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from relay.accounts.models import Role
from tests.factories import make_person, otp_token, password_keys

ORIGIN = "http://127.0.0.1:8000"


def post(client: Client, path: str, token: str, body: dict | None = None):
    return client.post(
        path,
        json.dumps(body or {}),
        content_type="application/json",
        headers={"X-CSRFToken": token, "Origin": ORIGIN},
        HTTP_HOST="127.0.0.1:8000",
    )


def sign_in_body(person) -> dict:
    return {"username": person.user.username, "login_key": password_keys(person.user).login_key_b64}


@pytest.fixture
def browser() -> Client:
    return Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1:8000")


@pytest.mark.django_db
def test_the_token_comes_from_get_csrf_and_its_cookie(browser):
    reply = browser.get("/api/csrf")
    cookie = browser.cookies["csrftoken"]
    assert reply.json()["csrf_token"] and cookie.value
    assert cookie["samesite"] == "Strict" and not cookie["httponly"]
    person = make_person(Role.PARTICIPANT)
    # Either form works: the JSON token or the cookie's value.
    assert post(browser, "/api/session", cookie.value, sign_in_body(person)).status_code == 200
    other = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1:8000")
    token = other.get("/api/csrf").json()["csrf_token"]
    later = other.get("/api/csrf").json()["csrf_token"]
    assert later != token  # a new form of the same secret: the earlier one still works
    assert post(other, "/api/session", token, sign_in_body(person)).status_code == 200
    assert (
        post(Client(enforce_csrf_checks=True), "/api/session", "", sign_in_body(person)).status_code
        == 403
    )


@pytest.mark.django_db
def test_signing_in_replaces_the_token(browser):
    before = browser.get("/api/csrf").json()["csrf_token"]
    old_cookie = browser.cookies["csrftoken"].value
    staff = make_person(Role.FACILITATOR)
    signed_in = post(browser, "/api/session", before, sign_in_body(staff))
    assert signed_in.status_code == 200
    new_cookie = signed_in.cookies["csrftoken"].value  # the sign-in answer sets a new cookie
    assert new_cookie != old_cookie
    # The token from before signing in is refused from now on, and nothing happens.
    refused = post(browser, "/api/otp/verify", before, {"token": otp_token(staff)})
    assert refused.status_code == 403
    assert browser.get("/api/me").json()["second_factor_verified"] is False
    # The new cookie's value works, and so does a token fetched again.
    verified = post(browser, "/api/otp/verify", new_cookie, {"token": otp_token(staff)})
    assert verified.status_code == 200
    assert "csrftoken" not in verified.cookies  # the second factor keeps the token
    again = browser.get("/api/csrf").json()["csrf_token"]
    signed_out = browser.delete("/api/session", headers={"X-CSRFToken": again, "Origin": ORIGIN})
    assert signed_out.status_code == 200
    assert "csrftoken" not in signed_out.cookies  # signing out keeps it too
    assert post(browser, "/api/session", new_cookie, sign_in_body(staff)).status_code == 200
