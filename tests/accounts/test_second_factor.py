"""The second factor: authenticator setup with a QR code, backup codes that work once,
verification, and attempt limits (django-otp's own delay plus per-account and per-address
counts)."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from relay.accounts.models import Role
from relay.audit.models import AuditEvent, AuditEventType
from tests.accounts.conftest import json_post
from tests.factories import make_case, make_person

pytestmark = pytest.mark.django_db


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """What the authenticator app shows now (or ``steps_ahead`` time steps later)."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, steps_ahead):06d}"


def new_staff_session() -> tuple[Client, object]:
    """A facilitator who signed in with their password but has no second factor yet."""
    person = make_person(Role.FACILITATOR)
    StaticDevice.objects.filter(user=person.user).delete()
    client = Client()
    client.force_login(person.user)
    return client, person


def set_up(client: Client) -> tuple[TOTPDevice, list[str]]:
    setup = client.get("/api/otp/setup")
    assert setup.status_code == 200, setup.content
    device = TOTPDevice.objects.get(confirmed=False)
    confirm = json_post(client, "/api/otp/confirm", {"token": code_for(device)})
    assert confirm.status_code == 200, confirm.content
    return device, confirm.json()["backup_codes"]


def test_setup_gives_an_otpauth_uri_and_an_svg_qr_code():
    client, person = new_staff_session()
    reply = client.get("/api/otp/setup").json()
    uri = urlparse(reply["otpauth_uri"])
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert parse_qs(uri.query)["issuer"] == ["Relay"]
    assert reply["qr_svg"].lstrip().startswith("<?xml") and "<svg" in reply["qr_svg"]
    assert "style=" not in reply["qr_svg"]
    device = TOTPDevice.objects.get(user=person.user)
    assert device.confirmed is False
    # Nothing is in force yet: case data stays out of reach.
    assert client.get("/api/cases").status_code == 403


def test_confirm_turns_the_factor_on_for_this_session_and_gives_ten_backup_codes():
    client, person = new_staff_session()
    assert client.get("/api/cases").status_code == 403
    device, codes = set_up(client)
    device.refresh_from_db()
    assert device.confirmed
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/api/cases").status_code == 200
    assert client.get("/api/me").json()["second_factor_verified"] is True
    assert AuditEvent.objects.filter(event_type=AuditEventType.SECOND_FACTOR_CHANGED).count() == 1


def test_a_wrong_confirmation_code_turns_nothing_on():
    client, person = new_staff_session()
    client.get("/api/otp/setup")
    device = TOTPDevice.objects.get(user=person.user)
    wrong = f"{(int(code_for(device)) + 1) % 1000000:06d}"
    response = json_post(client, "/api/otp/confirm", {"token": wrong})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_token"
    device.refresh_from_db()
    assert device.confirmed is False
    assert not StaticDevice.objects.filter(user=person.user).exists()
    assert client.get("/api/cases").status_code == 403


def test_backup_codes_work_once_each():
    client, person = new_staff_session()
    _device, codes = set_up(client)
    fresh = Client()
    fresh.force_login(person.user)
    assert fresh.get("/api/cases").status_code == 403
    assert json_post(fresh, "/api/otp/verify", {"token": codes[0]}).status_code == 200
    assert fresh.get("/api/cases").status_code == 200
    reused = Client()
    reused.force_login(person.user)
    response = json_post(reused, "/api/otp/verify", {"token": codes[0]})
    assert response.status_code == 400
    assert reused.get("/api/cases").status_code == 403
    time.sleep(1.1)  # django-otp's delay after a failure
    assert json_post(reused, "/api/otp/verify", {"token": codes[1]}).status_code == 200


def test_authenticator_code_verifies_a_new_session():
    client, person = new_staff_session()
    device, _codes = set_up(client)
    other = Client()
    other.force_login(person.user)
    device.refresh_from_db()
    response = json_post(other, "/api/otp/verify", {"token": code_for(device, steps_ahead=1)})
    assert response.status_code == 200, response.content
    assert other.get("/api/cases").status_code == 200


def test_a_password_alone_cannot_replace_a_confirmed_factor():
    client, person = new_staff_session()
    set_up(client)
    thief = Client()
    thief.force_login(person.user)  # knows the password, not the factor
    response = thief.get("/api/otp/setup")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "second_factor_required"
    assert TOTPDevice.objects.filter(user=person.user).count() == 1
    # With the factor verified the person can move to a new phone.
    assert client.get("/api/otp/setup").status_code == 200


@override_settings(
    RELAY_THROTTLE_LIMITS={"sign_in": (10, 50), "enrolment": (10, 20), "otp": (3, 30)}
)
def test_throttling_engages_after_the_configured_number_of_failures():
    client, person = new_staff_session()
    _device, codes = set_up(client)
    attacker = Client()
    attacker.force_login(person.user)
    for _ in range(3):
        assert json_post(attacker, "/api/otp/verify", {"token": "000000"}).status_code == 400
    time.sleep(1.1)
    response = json_post(attacker, "/api/otp/verify", {"token": codes[0]})
    assert response.status_code == 429
    assert response.json()["error"] == {
        "code": "throttled",
        "message": "Too many attempts. Wait 15 minutes and try again.",
    }
    assert attacker.get("/api/cases").status_code == 403
    # The same account from another session and address is held too (per account).
    elsewhere = Client(REMOTE_ADDR="10.1.2.3")
    elsewhere.force_login(person.user)
    assert json_post(elsewhere, "/api/otp/verify", {"token": codes[0]}).status_code == 429


@override_settings(
    RELAY_THROTTLE_LIMITS={"sign_in": (10, 50), "enrolment": (10, 20), "otp": (50, 4)}
)
def test_otp_attempts_are_limited_per_address_across_accounts():
    people = [new_staff_session() for _ in range(2)]
    for client, _person in people:
        for _ in range(2):
            assert json_post(client, "/api/otp/verify", {"token": "111111"}).status_code == 400
    assert json_post(people[0][0], "/api/otp/verify", {"token": "111111"}).status_code == 429


def test_django_otp_delays_guesses_after_a_failure():
    client, person = new_staff_session()
    _device, codes = set_up(client)
    other = Client()
    other.force_login(person.user)
    assert json_post(other, "/api/otp/verify", {"token": "123456"}).status_code == 400
    # Right code, but within django-otp's delay after a failure: refused.
    assert json_post(other, "/api/otp/verify", {"token": codes[0]}).status_code == 400
    time.sleep(1.1)
    assert json_post(other, "/api/otp/verify", {"token": codes[0]}).status_code == 200


def test_participants_may_turn_it_on_but_need_not():
    participant = make_person(Role.PARTICIPANT)
    client = Client()
    client.force_login(participant.user)
    assert client.get("/api/cases").status_code == 200
    set_up(client)
    assert client.get("/api/me").json()["second_factor_verified"] is True


def test_a_participant_who_turned_it_on_must_pass_it_to_reach_their_case():
    sc = make_case()
    client = Client()
    client.force_login(sc.harmed.user)
    device, backup_codes = set_up(client)
    fresh = Client()
    fresh.force_login(sc.harmed.user)
    me = fresh.get("/api/me").json()
    assert me["second_factor_required"] is True and me["second_factor_verified"] is False
    refused = fresh.get(f"/api/cases/{sc.id}")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "second_factor_required"
    assert json_post(fresh, f"/api/cases/{sc.id}/pause", {}).status_code == 403
    assert json_post(fresh, "/api/otp/verify", {"token": backup_codes[0]}).status_code == 200
    assert fresh.get(f"/api/cases/{sc.id}").status_code == 200
    # The other participant, who has not turned it on, is not asked for one.
    other = Client()
    other.force_login(sc.responsible.user)
    assert other.get(f"/api/cases/{sc.id}").status_code == 200


def test_setup_needs_a_session():
    assert Client().get("/api/otp/setup").status_code == 401
    assert json_post(Client(), "/api/otp/confirm", {"token": "123456"}).status_code == 401
