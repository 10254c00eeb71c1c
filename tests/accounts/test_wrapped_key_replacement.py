"""``POST /api/keys`` stores the private key that every later sign-in unwraps, so it must prove
the current password (its login key) and leave an audit event: a stolen session alone must
not be able to lock the person out of their own key."""

from __future__ import annotations

import base64
import os
from typing import Any

import pytest
from django.test import Client

from relay.accounts.models import PublicKey, Role
from relay.audit.models import AuditEvent, AuditEventType
from relay_client import crypto
from relay_client.client import RelayApiError
from relay_client.crypto import KeyPair
from tests.accounts.conftest import json_post
from tests.delivery.live import client_for
from tests.factories import Person, make_person, password_keys, verified_session


def blobs() -> dict[str, str]:
    return {
        "wrapped_private_key": base64.b64encode(os.urandom(48)).decode(),
        "wrapped_key_nonce": base64.b64encode(os.urandom(24)).decode(),
    }


def stored(person: Person) -> tuple[Any, ...]:
    user = person.user
    user.refresh_from_db()
    keys = list(PublicKey.objects.filter(user=user).values_list("key_id", "retired_at"))
    return bytes(user.wrapped_private_key), bytes(user.wrapped_key_nonce), keys


@pytest.mark.django_db
def test_a_session_without_the_login_key_cannot_replace_the_wrapped_key():
    person = make_person(Role.PARTICIPANT)
    session = verified_session(Client(), person)
    assert person.keypair is not None
    same_key = base64.b64encode(person.keypair.public).decode()
    wrong = password_keys(person.user, "not the password").login_key_b64
    before, audit = stored(person), AuditEvent.objects.count()
    for extra in ({}, {"login_key": wrong}, {"login_key": 7}):
        response = json_post(session, "/api/keys", {"public_key": same_key, **blobs(), **extra})
        assert response.status_code == 400, extra
        assert response.json()["error"]["code"] in {"invalid", "bad_credentials"}
        assert stored(person) == before
    # A new key without the login key is refused too, and nothing changed.
    fresh = base64.b64encode(KeyPair.generate().public).decode()
    assert json_post(session, "/api/keys", {"public_key": fresh, **blobs()}).status_code == 400
    assert stored(person) == before
    assert AuditEvent.objects.count() == audit


@pytest.mark.django_db
def test_replacing_the_wrap_with_the_login_key_is_audited():
    person = make_person(Role.PARTICIPANT)
    session = verified_session(Client(), person)
    assert person.keypair is not None
    login_key = password_keys(person.user).login_key_b64
    new_wrap = blobs()
    body = {"public_key": crypto.b64(person.keypair.public), "login_key": login_key, **new_wrap}
    response = json_post(session, "/api/keys", body)
    assert response.status_code == 201, response.content
    assert stored(person)[0] == base64.b64decode(new_wrap["wrapped_private_key"])
    event = AuditEvent.objects.latest("seq")
    assert event.event_type == AuditEventType.KEY_WRAP_REPLACED
    assert event.actor_id == person.user.pk
    assert event.data == {"user": person.id, "key": person.keypair.key_id}
    # The same wrap again changes nothing and records nothing.
    assert json_post(session, "/api/keys", body).status_code == 201
    assert AuditEvent.objects.latest("seq") == event


def test_a_random_blob_no_longer_breaks_the_next_sign_in(daphne):
    """As an outside client would try it: a signed-in session posts a random wrap."""
    person = make_person(Role.PARTICIPANT)
    client = client_for(daphne, person)
    assert person.keypair is not None
    with pytest.raises(RelayApiError) as refused:
        client.post("/api/keys", {"public_key": crypto.b64(person.keypair.public), **blobs()})
    assert refused.value.status == 400
    client.sign_out()
    again = client_for(daphne, person)
    assert again.keypair == person.keypair
    # The client's own key change proves the password and still works end to end.
    new = again.register_new_key()
    assert client_for(daphne, person).keypair == new
