"""Invitations and enrolment: single-use, expiring codes stored only as hashes."""

from __future__ import annotations

import base64
from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from relay.accounts.models import Invitation, PublicKey, User, code_hash
from relay.audit.models import AuditEvent, AuditEventType
from relay.cases.models import Participation, ParticipationState
from relay_client import crypto
from relay_client.crypto import KdfParams, KeyPair
from tests.accounts.conftest import json_post

PASSWORD = "a long walk by the river at dawn"


def enrolment_body(check: dict, code: str, password: str = PASSWORD) -> tuple[dict, KeyPair]:
    params = KdfParams(crypto.unb64(check["salt"]), check["opslimit"], check["memlimit"])
    keys = crypto.derive_password_keys(
        password, params, floor_opslimit=params.opslimit, floor_memlimit=params.memlimit
    )
    keypair = KeyPair.generate()
    nonce, box = crypto.wrap_secret_key(keypair.secret, keys.wrap_key)
    body = {
        "code": code,
        "login_key": keys.login_key_b64,
        "public_key": crypto.b64(keypair.public),
        "wrapped_private_key": crypto.b64(box),
        "wrapped_key_nonce": crypto.b64(nonce),
    }
    return body, keypair


def invite(facilitator_client: Client, case_id: str, side: str = "harmed") -> str:
    response = json_post(facilitator_client, f"/api/cases/{case_id}/invitations", {"side": side})
    assert response.status_code == 201, response.content
    return response.json()["code"]


def test_participant_enrols_with_the_code_their_facilitator_gave_them(invited, facilitator_client):
    code = invite(facilitator_client, invited.id)
    # Stored only as a hash.
    invitation = Invitation.objects.get(user=invited.harmed)
    assert invitation.code_hash == code_hash(code)
    assert code.replace("-", "") not in str(Invitation.objects.values_list().get())
    expires = invitation.expires_at - timezone.now()
    assert timedelta(days=13, hours=23) < expires <= timedelta(days=14)

    person = Client()
    check = json_post(person, "/api/enrol/check", {"code": code.lower()}).json()
    # The code holder learns the display name only, never the username (docs/api.md).
    assert check["display_name"] == "Harmed"
    assert set(check) == {"display_name", "salt", "opslimit", "memlimit"}
    assert (
        invited.harmed.username
        not in json_post(person, "/api/enrol/check", {"code": code}).content.decode()
    )
    body, keypair = enrolment_body(check, code)
    response = json_post(person, "/api/enrol", body)
    assert response.status_code == 201, response.content
    me = response.json()
    assert me["username"] == invited.harmed.username
    assert me["key_id"] == keypair.key_id
    # Signed in: the same session reads /api/me.
    assert person.get("/api/me").json()["user_id"] == str(invited.harmed.pk)
    participation = Participation.objects.get(user=invited.harmed)
    assert participation.state == ParticipationState.ENROLLED
    invited.harmed.refresh_from_db()
    assert invited.harmed.check_password(body["login_key"])
    assert bytes(invited.harmed.wrapped_private_key) == base64.b64decode(
        body["wrapped_private_key"]
    )
    assert AuditEvent.objects.filter(event_type=AuditEventType.ACCOUNT_ENROLLED).count() == 1

    # Single use: the same code is refused afterwards, and nothing changes.
    again, _ = enrolment_body(check, code, "another password entirely")
    refused = json_post(Client(), "/api/enrol", again)
    assert refused.status_code == 400
    assert refused.json()["error"] == {
        "code": "bad_code",
        "message": "That code is not valid. Ask your facilitator for a new one.",
    }
    assert PublicKey.objects.filter(user=invited.harmed).count() == 1
    invited.harmed.refresh_from_db()
    assert invited.harmed.check_password(body["login_key"])


def test_a_new_code_replaces_the_old_one(invited, facilitator_client):
    first = invite(facilitator_client, invited.id)
    second = invite(facilitator_client, invited.id)
    assert first != second
    assert json_post(Client(), "/api/enrol/check", {"code": first}).status_code == 400
    assert json_post(Client(), "/api/enrol/check", {"code": second}).status_code == 200
    assert Invitation.objects.filter(user=invited.harmed).count() == 1


@override_settings(RELAY_INVITATION_DAYS=1)
def test_expired_and_unknown_codes_get_the_same_plain_answer(invited, facilitator_client):
    code = invite(facilitator_client, invited.id)
    Invitation.objects.filter(user=invited.harmed).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    for attempt in (code, "AAAA-BBBB-CCCC-DDDD", "", "x" * 500):
        response = json_post(Client(), "/api/enrol/check", {"code": attempt})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "bad_code"
        assert "Ask your facilitator" in response.json()["error"]["message"]
    body = {
        "code": code,
        "login_key": crypto.b64(bytes(32)),
        "public_key": crypto.b64(bytes(32)),
        "wrapped_private_key": crypto.b64(bytes(48)),
        "wrapped_key_nonce": crypto.b64(bytes(24)),
    }
    assert json_post(Client(), "/api/enrol", body).status_code == 400
    assert not PublicKey.objects.filter(user=invited.harmed).exists()


def test_malformed_enrolment_changes_nothing(invited, facilitator_client):
    code = invite(facilitator_client, invited.id)
    check = json_post(Client(), "/api/enrol/check", {"code": code}).json()
    good, _ = enrolment_body(check, code)
    for field, bad in [
        ("public_key", crypto.b64(bytes(31))),
        ("login_key", "not base64!"),
        ("wrapped_private_key", crypto.b64(bytes(10))),
        ("wrapped_key_nonce", 7),
    ]:
        response = json_post(Client(), "/api/enrol", {**good, field: bad})
        assert response.status_code == 400, field
        assert response.json()["error"]["message"]
    # The code still works: the refused attempts consumed nothing.
    assert Invitation.objects.get(user=invited.harmed).used_at is None
    assert not PublicKey.objects.filter(user=invited.harmed).exists()
    assert json_post(Client(), "/api/enrol", good).status_code == 201


def test_only_a_facilitator_of_the_case_invites(invited, manager_client):
    response = json_post(manager_client, f"/api/cases/{invited.id}/invitations", {"side": "harmed"})
    assert response.status_code == 404
    anonymous = json_post(Client(), f"/api/cases/{invited.id}/invitations", {"side": "harmed"})
    assert anonymous.status_code == 401
    assert not Invitation.objects.exists()


def test_bad_side_is_refused(invited, facilitator_client):
    response = json_post(facilitator_client, f"/api/cases/{invited.id}/invitations", {"side": "x"})
    assert response.status_code == 400
    assert not Invitation.objects.exists()


def test_hub_manager_invites_staff_who_enrol(invited, manager_client):
    response = json_post(
        manager_client,
        "/api/staff/invitations",
        {"username": "sam.facilitator", "role": "facilitator", "display_name": "Sam"},
    )
    assert response.status_code == 201, response.content
    code = response.json()["code"]
    user = User.objects.get(username="sam.facilitator")
    assert user.role == "facilitator" and not user.has_usable_password()
    check = json_post(Client(), "/api/enrol/check", {"code": code}).json()
    body, keypair = enrolment_body(check, code)
    me = json_post(Client(), "/api/enrol", body).json()
    assert me["key_id"] == keypair.key_id
    assert me["second_factor_required"] is True and me["second_factor_verified"] is False


def test_hub_manager_cannot_create_an_admin_or_a_participant_as_staff(invited, manager_client):
    for role in ("admin", "participant", "wizard"):
        response = json_post(
            manager_client, "/api/staff/invitations", {"username": f"x-{role}", "role": role}
        )
        assert response.status_code in (400, 404)
    assert not User.objects.filter(username__startswith="x-").exists()


def test_first_admin_from_the_command_line(db):
    out = StringIO()
    call_command("invite_admin", "root.admin", "--display-name", "Hub Admin", stdout=out)
    code = out.getvalue().split("Enrolment code: ")[1].split()[0]
    check = json_post(Client(), "/api/enrol/check", {"code": code}).json()
    assert check["display_name"] == "Hub Admin"
    assert User.objects.get(username="root.admin").role == "admin"


@override_settings(
    RELAY_THROTTLE_LIMITS={"enrolment": (10, 3), "sign_in": (10, 50), "otp": (5, 30)}
)
def test_guessing_codes_is_throttled_per_address(invited, facilitator_client):
    code = invite(facilitator_client, invited.id)
    for n in range(3):
        assert json_post(Client(), "/api/enrol/check", {"code": f"WRONG-{n}"}).status_code == 400
    response = json_post(Client(), "/api/enrol/check", {"code": code})
    assert response.status_code == 429
    assert (
        response.json()["error"]["message"] == "Too many attempts. Wait 15 minutes and try again."
    )
    other = json_post(Client(REMOTE_ADDR="10.0.0.9"), "/api/enrol/check", {"code": code})
    assert other.status_code == 200
