"""Staff without a verified second factor reach none of the account endpoints that touch a
case or another person's account; hub managers manage accounts within their limits."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from relay.accounts.models import Invitation, Role
from tests.accounts.conftest import json_post
from tests.factories import make_case, make_person, verified_session

pytestmark = pytest.mark.django_db


def endpoints(sc) -> list[tuple[str, str, dict]]:
    message = str(uuid.uuid4())
    return [
        ("post", f"/api/cases/{sc.id}/invitations", {"side": "harmed"}),
        ("post", f"/api/cases/{sc.id}/participants/harmed/reset", {}),
        ("get", f"/api/cases/{sc.id}/participants/harmed/rewrap", {}),
        ("post", f"/api/messages/{message}/rewrap", {}),
        ("post", "/api/staff/invitations", {"username": "new.person", "role": "facilitator"}),
        ("post", f"/api/staff/users/{sc.harmed.id}/suspend", {}),
        ("post", f"/api/staff/users/{sc.harmed.id}/reinstate", {}),
        ("post", f"/api/staff/users/{sc.facilitator.id}/reset", {}),
        ("get", "/api/keys/recovery-wrap", {}),
        ("post", "/api/keys/recovery-wrap", {}),
        ("get", "/api/keys/wrapped", {}),
        ("post", f"/api/cases/{sc.id}/keys/{'0' * 32}/verify", {}),
        ("post", "/api/keys", {}),
        ("post", "/api/password", {}),
    ]


@pytest.mark.parametrize("role", ["facilitator", "manager"])
def test_staff_without_a_verified_second_factor_are_refused(role):
    sc = make_case()
    person = sc.facilitator if role == "facilitator" else sc.manager
    client = Client()
    client.force_login(person.user)  # password only
    codes = set(Invitation.objects.values_list("pk", "used_at"))  # the participants' own
    for method, path, body in endpoints(sc):
        if method == "get":
            response = client.get(path)
        else:
            response = json_post(client, path, body)
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "second_factor_required", path
    assert set(Invitation.objects.values_list("pk", "used_at")) == codes
    sc.harmed.user.refresh_from_db()
    assert sc.harmed.user.suspended_at is None


def test_anonymous_requests_are_refused():
    sc = make_case()
    for method, path, body in endpoints(sc):
        response = Client().get(path) if method == "get" else json_post(Client(), path, body)
        assert response.status_code == 401, path


def test_managers_do_not_suspend_themselves_or_admins_and_facilitators_suspend_no_one():
    sc = make_case()
    admin = make_person(Role.ADMIN)
    manager = verified_session(Client(), sc.manager)
    for target in (sc.manager, admin):
        response = json_post(manager, f"/api/staff/users/{target.id}/suspend")
        assert response.status_code == 404
        target.user.refresh_from_db()
        assert target.user.suspended_at is None
    facilitator = verified_session(Client(), sc.facilitator)
    assert json_post(facilitator, f"/api/staff/users/{sc.harmed.id}/suspend").status_code == 404
    # An admin may suspend a hub manager.
    boss = verified_session(Client(), admin)
    response = json_post(boss, f"/api/staff/users/{sc.manager.id}/suspend")
    assert response.status_code == 200
    assert response.json()["suspended_at"]


def test_participants_are_reset_by_their_facilitator_not_by_a_manager():
    sc = make_case()
    manager = verified_session(Client(), sc.manager)
    response = json_post(manager, f"/api/staff/users/{sc.harmed.id}/reset")
    assert response.status_code == 400
    assert "facilitator of their case" in response.json()["error"]["message"]
    sc.harmed.user.refresh_from_db()
    assert sc.harmed.user.has_usable_password()
