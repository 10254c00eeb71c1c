"""The hub's intake key: made by a hub manager or admin, its private half sealed only to
hub managers' and admins' current keys, shared on by a holder, published in GET /api/hub."""

from __future__ import annotations

import pytest

from relay.accounts.models import Role
from relay.audit.models import AuditEvent, AuditEventType
from relay.hub.models import IntakeKeyWrap
from relay_client import crypto
from relay_client.crypto import KeyPair
from tests.factories import make_person
from tests.moderation.helpers import assert_plain_english, http_call, http_client
from tests.referrals.helpers import post, with_intake_key, wraps_for

pytestmark = pytest.mark.django_db


def test_a_manager_makes_it_and_every_holder_opens_their_wrap() -> None:
    admin = make_person(Role.ADMIN)
    manager, intake = with_intake_key()
    published = http_call(http_client(None), "GET", "/api/hub")[1]["intake_key"]
    assert published == {"public_key": crypto.b64(intake.public), "key_id": intake.key_id}
    for person in (manager, admin):
        status, body = http_call(http_client(person), "GET", "/api/hub/intake-key")
        assert status == 200
        (wrap,) = body["wraps"]
        opened = crypto.open_sealed_secret(crypto.unb64(wrap["sealed_secret"]), me=person.keypair)
        assert opened.public == intake.public
        assert all(h["has_intake_key"] for h in body["holders"])
    event = AuditEvent.objects.get(event_type=AuditEventType.INTAKE_KEY_CREATED)
    assert event.data["intake_key_id"] == intake.key_id
    assert sorted(event.data["key_ids"]) == sorted([manager.keypair.key_id, admin.keypair.key_id])


def test_the_private_half_goes_only_to_managers_and_admins_and_to_the_maker() -> None:
    manager = make_person(Role.HUB_MANAGER)
    facilitator = make_person(Role.FACILITATOR)
    intake = KeyPair.generate()
    client = http_client(manager)
    to_facilitator = {
        "key_id": facilitator.keypair.key_id,
        "sealed_secret": crypto.b64(
            crypto.seal_secret_to(intake.secret, facilitator.keypair.public)
        ),
    }
    cases = [
        ([*wraps_for(intake), to_facilitator], 400, "recipients_forbidden"),
        ([{"key_id": manager.keypair.key_id, "sealed_secret": "c2hvcnQ="}], 400, "invalid"),
    ]
    for wraps, status, code in cases:
        got, body = post(
            client, "/api/hub/intake-key", {"public_key": crypto.b64(intake.public), "wraps": wraps}
        )
        assert (got, body["error"]["code"]) == (status, code), body
        assert_plain_english(body["error"]["message"])
    other = make_person(Role.HUB_MANAGER)
    only_other = [w for w in wraps_for(intake) if w["key_id"] == other.keypair.key_id]
    got, body = post(
        client,
        "/api/hub/intake-key",
        {"public_key": crypto.b64(intake.public), "wraps": only_other},
    )
    assert (got, body["error"]["code"]) == (400, "recipients_missing")
    assert not IntakeKeyWrap.objects.exists()
    assert http_call(http_client(None), "GET", "/api/hub")[1]["intake_key"] is None


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.REFERRER, Role.COMMISSIONER, None])
def test_others_may_not_see_or_make_it(role: str | None) -> None:
    person = make_person(role) if role else None
    intake = KeyPair.generate()
    client = http_client(person)
    expected = 401 if person is None else 404
    assert http_call(client, "GET", "/api/hub/intake-key")[0] == expected
    status, _ = post(
        client,
        "/api/hub/intake-key",
        {"public_key": crypto.b64(intake.public), "wraps": wraps_for(intake)},
    )
    assert status == expected and not IntakeKeyWrap.objects.exists()


def test_a_holder_shares_it_with_a_new_manager_and_a_non_holder_cannot() -> None:
    manager, intake = with_intake_key()
    newcomer = make_person(Role.HUB_MANAGER)
    share = {
        "intake_key_id": intake.key_id,
        "wraps": [
            {
                "key_id": newcomer.keypair.key_id,
                "sealed_secret": crypto.b64(
                    crypto.seal_secret_to(intake.secret, newcomer.keypair.public)
                ),
            }
        ],
    }
    # The newcomer holds nothing yet: they cannot share it (not even to themselves).
    status, _ = post(http_client(newcomer), "/api/hub/intake-key/share", share)
    assert status == 404
    status, body = post(http_client(manager), "/api/hub/intake-key/share", share)
    assert status == 200, body
    assert all(h["has_intake_key"] for h in body["holders"])
    # Twice is refused: a wrap is never replaced.
    status, body = post(http_client(manager), "/api/hub/intake-key/share", share)
    assert (status, body["error"]["code"]) == (400, "invalid")
    wrap = http_call(http_client(newcomer), "GET", "/api/hub/intake-key")[1]["wraps"][0]
    assert (
        crypto.open_sealed_secret(crypto.unb64(wrap["sealed_secret"]), me=newcomer.keypair).secret
        == intake.secret
    )


def test_a_new_key_replaces_the_public_half_and_the_old_wraps_stay() -> None:
    manager, first = with_intake_key()
    _, second = with_intake_key(manager)
    assert http_call(http_client(None), "GET", "/api/hub")[1]["intake_key"]["key_id"] == (
        second.key_id
    )
    wraps = http_call(http_client(manager), "GET", "/api/hub/intake-key")[1]["wraps"]
    assert [w["intake_key_id"] for w in wraps] == [first.key_id, second.key_id]
