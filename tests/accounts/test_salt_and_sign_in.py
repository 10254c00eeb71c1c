"""The salt endpoint and sign-in reveal nothing about which accounts exist; failed
sign-ins are limited per account and per address."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from relay.accounts.models import Role
from tests.accounts.conftest import json_post
from tests.factories import make_person, password_keys

pytestmark = pytest.mark.django_db


def shape(reply: dict) -> dict:
    return {k: (type(v).__name__, len(v) if isinstance(v, str) else v) for k, v in reply.items()}


def salt(client: Client, username: object) -> Any:
    return json_post(client, "/api/salt", {"username": username})


def test_known_and_unknown_usernames_get_indistinguishable_salts():
    person = make_person(Role.PARTICIPANT)
    client = Client()
    known = salt(client, person.user.username)
    unknown = salt(client, "nobody-by-this-name")
    assert known.status_code == unknown.status_code == 200
    assert shape(known.json()) == shape(unknown.json())
    assert len(base64.b64decode(unknown.json()["salt"])) == 16
    # Stable across calls (a changing fake salt would give the game away), and case-blind.
    assert salt(client, "nobody-by-this-name").json() == unknown.json()
    assert salt(client, "NOBODY-by-this-name").json() == unknown.json()
    assert known.json()["salt"] == base64.b64encode(bytes(person.user.kdf_salt)).decode()
    # Different unknown names get different salts, as different real accounts do.
    assert salt(client, "someone-else").json()["salt"] != unknown.json()["salt"]
    # Same work on the server either way: one query.
    for name in (person.user.username, "nobody-by-this-name"):
        with CaptureQueriesContext(connection) as queries:
            salt(client, name)
        assert len(queries) == 1


def test_the_salt_is_asked_for_in_the_body_never_in_the_url():
    """A username in a URL lands in every access log on the way; GET is refused."""
    person = make_person(Role.PARTICIPANT)
    response = Client().get("/api/salt", {"username": person.user.username})
    assert response.status_code == 405
    # A browser-less client needs no CSRF cookie for it: it changes nothing.
    strict = Client(enforce_csrf_checks=True)
    assert salt(strict, person.user.username).status_code == 200


def test_salt_needs_a_username():
    for body in ({}, {"username": ""}, {"username": ["x"]}, {"username": "x" * 151}):
        response = json_post(Client(), "/api/salt", body)
        assert response.status_code == 400
        assert response.json()["error"]["message"] == "Send a username."
    not_json = Client().post("/api/salt", "username=x", content_type="text/plain")
    assert not_json.status_code == 400


def test_unknown_user_and_wrong_password_get_the_same_answer():
    person = make_person(Role.PARTICIPANT)
    wrong = password_keys(person.user, "not the password").login_key_b64
    a = json_post(Client(), "/api/session", {"username": person.user.username, "login_key": wrong})
    b = json_post(Client(), "/api/session", {"username": "nobody-here", "login_key": wrong})
    assert a.status_code == b.status_code == 401
    assert (
        a.json()
        == b.json()
        == {
            "error": {
                "code": "bad_credentials",
                "message": "That username and password do not match.",
            }
        }
    )


def test_suspended_account_gets_the_same_answer_as_a_wrong_password():
    from django.utils import timezone

    person = make_person(Role.PARTICIPANT)
    type(person.user).objects.filter(pk=person.user.pk).update(suspended_at=timezone.now())
    right = password_keys(person.user).login_key_b64
    response = json_post(
        Client(), "/api/session", {"username": person.user.username, "login_key": right}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_credentials"


@override_settings(
    RELAY_THROTTLE_LIMITS={"sign_in": (3, 50), "enrolment": (10, 20), "otp": (5, 30)}
)
def test_sign_in_is_throttled_per_account_even_from_many_addresses():
    person = make_person(Role.PARTICIPANT)
    wrong = password_keys(person.user, "guess").login_key_b64
    right = password_keys(person.user).login_key_b64
    for n in range(3):
        client = Client(REMOTE_ADDR=f"10.9.0.{n}")
        response = json_post(
            client, "/api/session", {"username": person.user.username, "login_key": wrong}
        )
        assert response.status_code == 401
    response = json_post(
        Client(REMOTE_ADDR="10.9.1.1"),
        "/api/session",
        {"username": person.user.username, "login_key": right},
    )
    assert response.status_code == 429
    assert (
        response.json()["error"]["message"] == "Too many attempts. Wait 15 minutes and try again."
    )
    # Unknown usernames are counted the same way, so the limit reveals nothing either.
    for _ in range(3):
        json_post(Client(), "/api/session", {"username": "ghost", "login_key": wrong})
    ghost = json_post(Client(), "/api/session", {"username": "ghost", "login_key": wrong})
    assert ghost.status_code == 429


@override_settings(
    RELAY_THROTTLE_LIMITS={"sign_in": (50, 4), "enrolment": (10, 20), "otp": (5, 30)}
)
def test_sign_in_is_throttled_per_address_across_accounts():
    people = [make_person(Role.PARTICIPANT) for _ in range(2)]
    attacker = Client(REMOTE_ADDR="10.7.7.7")
    for person in people:
        for _ in range(2):
            bad = password_keys(person.user, "guess").login_key_b64
            json_post(
                attacker, "/api/session", {"username": person.user.username, "login_key": bad}
            )
    right = password_keys(people[0].user).login_key_b64
    held = json_post(
        attacker, "/api/session", {"username": people[0].user.username, "login_key": right}
    )
    assert held.status_code == 429
    elsewhere = json_post(
        Client(), "/api/session", {"username": people[0].user.username, "login_key": right}
    )
    assert elsewhere.status_code == 200


def test_a_success_clears_the_account_count():
    person = make_person(Role.PARTICIPANT)
    wrong = password_keys(person.user, "guess").login_key_b64
    right = password_keys(person.user).login_key_b64

    def sign_in(login_key: str) -> int:
        body = {"username": person.user.username, "login_key": login_key}
        return json_post(Client(), "/api/session", body).status_code

    with override_settings(
        RELAY_THROTTLE_LIMITS={"sign_in": (3, 50), "enrolment": (10, 20), "otp": (5, 30)}
    ):
        # Two failures, a success, two more: without the reset the count would reach the
        # limit of three and the second success would be refused.
        for _ in range(2):
            assert [sign_in(wrong) for _ in range(2)] == [401, 401]
            assert sign_in(right) == 200
        # The count still runs after a success: three more failures reach the limit.
        assert [sign_in(wrong) for _ in range(3)] == [401, 401, 401]
        assert sign_in(right) == 429
