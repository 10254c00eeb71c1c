"""An enrolment code is only for a person who has not enrolled: whoever holds a code sets the
account's password and key. An enrolled person gets new keys only through the audited reset,
which every facilitator of every case of theirs hears of as a key change. And key trust is a
(case, key) fact: a verification in one case says nothing in another (DESIGN §4)."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from relay.accounts import actions as account_actions
from relay.accounts.models import Invitation, KeyVerification, PublicKey, Role, code_hash
from relay.audit.models import AuditEvent, AuditEventType
from relay.cases import actions as case_actions
from relay.cases import participants
from relay.cases.models import Case
from relay.cases.visibility import case_summary
from relay.delivery.models import Event, EventType
from relay.errors import IllegalTransition
from relay_client.crypto import KeyPair
from tests.accounts.conftest import json_post
from tests.accounts.test_enrolment import enrolment_body
from tests.factories import (
    Person,
    ShuttleCase,
    make_case,
    make_person,
    password_keys,
    verified_session,
)
from tests.moderation.helpers import forward, submit

pytestmark = pytest.mark.django_db


def second_case_of(person: Person) -> tuple[Case, Person]:
    """Case B: its own manager and facilitator, with ``person`` as the person harmed."""
    manager = make_person(Role.HUB_MANAGER)
    facilitator = make_person(Role.FACILITATOR)
    case = case_actions.create_case(actor=manager.user, reference=f"RJ-B{uuid.uuid4().hex[:8]}")
    case_actions.assign_facilitator(
        actor=manager.user, case_id=case.pk, facilitator=facilitator.user
    )
    case_actions.add_participant(
        actor=manager.user, case_id=case.pk, user=person.user, side="harmed"
    )
    return case, facilitator


def account_state(person: Person) -> dict[str, Any]:
    user = person.user
    user.refresh_from_db()
    return {
        "password": user.password,
        "salt": bytes(user.kdf_salt),
        "wrapped": bytes(user.wrapped_private_key),
        "keys": list(PublicKey.objects.filter(user=user).values_list("key_id", "retired_at")),
        "invitations": Invitation.objects.filter(user=user).count(),
        "audit": AuditEvent.objects.count(),
    }


def signs_in(person: Person) -> int:
    login_key = password_keys(person.user, person.password).login_key_b64
    body = {"username": person.user.username, "login_key": login_key}
    return json_post(Client(), "/api/session", body).status_code


def test_a_facilitator_of_another_case_cannot_take_over_an_enrolled_person_by_invitation():
    sc = make_case()
    case_b, facilitator_b = second_case_of(sc.harmed)
    before = account_state(sc.harmed)

    attacker = verified_session(Client(), facilitator_b)
    refused = json_post(attacker, f"/api/cases/{case_b.pk}/invitations", {"side": "harmed"})

    assert refused.status_code == 400, refused.content
    assert refused.json()["error"]["code"] == "already_enrolled"
    assert "reset their account" in refused.json()["error"]["message"]
    assert account_state(sc.harmed) == before
    # The real password still works, and case A still forwards to the real key.
    assert signs_in(sc.harmed) == 200
    forwarded = forward(sc, submit(sc, sc.responsible, "Are you well?"))
    assert {k.recipient_key_id for k in forwarded.keys.all()} >= {sc.harmed.keypair.key_id}


def test_an_invitation_in_the_persons_own_case_is_no_silent_reset():
    sc = make_case()
    before = account_state(sc.harmed)
    own = verified_session(Client(), sc.facilitator)
    refused = json_post(own, f"/api/cases/{sc.id}/invitations", {"side": "harmed"})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "already_enrolled"
    assert account_state(sc.harmed) == before
    assert signs_in(sc.harmed) == 200


def test_a_code_that_is_not_a_reset_cannot_re_enrol_an_enrolled_person():
    """A code issued for an enrolled person other than by a reset (one issued before this
    rule held, say) is refused at enrolment and changes nothing."""
    sc = make_case()
    code = "ABCD-EFGH-JKMN-PQRS"
    # Stored as such a code was: the state this test guards against cannot be made any more.
    Invitation.objects.create(
        user=sc.harmed.user,
        code_hash=code_hash(code),
        created_by=sc.facilitator.user,
        expires_at=sc.case.created_at.replace(year=sc.case.created_at.year + 1),
    )
    before = account_state(sc.harmed)
    check = json_post(Client(), "/api/enrol/check", {"code": code})
    assert check.status_code == 400
    assert check.json()["error"]["code"] == "bad_code"
    params = {
        "salt": base64.b64encode(before["salt"]).decode(),
        "opslimit": settings.RELAY_KDF_OPSLIMIT,
        "memlimit": settings.RELAY_KDF_MEMLIMIT,
    }
    body, _ = enrolment_body(params, code, "the attacker's own password")
    refused = json_post(Client(), "/api/enrol", body)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "bad_code"
    assert account_state(sc.harmed) == before
    assert signs_in(sc.harmed) == 200


def key_events(person: Person) -> list[dict[str, Any]]:
    return list(
        Event.objects.filter(user=person.user, event_type=EventType.KEY)
        .order_by("seq")
        .values_list("data", flat=True)
    )


def test_a_reset_is_a_key_change_every_facilitator_of_every_case_of_the_person_sees():
    sc = make_case(co_facilitator=True)
    case_b, facilitator_b = second_case_of(sc.harmed)
    old_key = sc.harmed.keypair.key_id

    reset = json_post(
        verified_session(Client(), facilitator_b),
        f"/api/cases/{case_b.pk}/participants/harmed/reset",
    )
    assert reset.status_code == 201, reset.content
    told = {"user_id": sc.harmed.id, "key_id": None, "previous_key_id": old_key, "reset": True}
    for facilitator in (sc.facilitator, sc.co_facilitator, facilitator_b):
        assert key_events(facilitator) == [told]
    assert key_events(sc.responsible) == []  # the other party learns nothing of the account
    audit = AuditEvent.objects.filter(event_type=AuditEventType.ACCOUNT_RESET).get()
    assert (audit.actor_id, audit.case_id) == (facilitator_b.user.pk, case_b.pk)

    # Whoever enrols with the reset code gets the account, in plain sight: case A's
    # facilitators are told again of the new key, and case A does not trust it.
    code = reset.json()["code"]
    check = json_post(Client(), "/api/enrol/check", {"code": code}).json()
    body, new = enrolment_body(check, code)
    assert json_post(Client(), "/api/enrol", body).status_code == 201
    assert key_events(sc.facilitator)[-1] == {
        "user_id": sc.harmed.id,
        "key_id": new.key_id,
        "previous_key_id": old_key,
    }
    participants.verify_key(actor=facilitator_b.user, case_id=case_b.pk, key_id=new.key_id)
    sc.harmed.keypair = new
    with pytest.raises(IllegalTransition) as blocked:
        forward(sc, submit(sc, sc.responsible, "Did you get my letter?"))
    assert blocked.value.code == "key_unverified"


def changed_key_verified_in_case_b() -> tuple[ShuttleCase, Case, Person, KeyPair]:
    sc = make_case()
    case_b, facilitator_b = second_case_of(sc.harmed)
    new = KeyPair.generate()
    account_actions.register_key(actor=sc.harmed.user, public_key=new.public)
    sc.harmed.keypair = new
    participants.verify_key(actor=facilitator_b.user, case_id=case_b.pk, key_id=new.key_id)
    return sc, case_b, facilitator_b, new


def test_a_verification_in_case_b_does_not_make_the_key_trusted_in_case_a():
    sc, case_b, facilitator_b, new = changed_key_verified_in_case_b()
    message = submit(sc, sc.responsible, "Can we meet?")
    with pytest.raises(IllegalTransition) as blocked:
        forward(sc, message)
    assert blocked.value.code == "key_unverified"
    message.refresh_from_db()
    assert message.state == "submitted"

    def harmed_key_in(case: Any, facilitator: Person) -> dict[str, Any]:
        summary = case_summary(facilitator.user, case.pk)
        return next(p["key"] for p in summary["participants"] if p["side"] == "harmed")

    assert harmed_key_in(sc.case, sc.facilitator)["verified"] is False
    assert harmed_key_in(case_b, facilitator_b)["verified"] is True
    # Trust is recorded against the case it was checked in.
    assert list(KeyVerification.objects.values_list("case_id", flat=True)) == [case_b.pk]

    # Case A's own facilitator checks it: now case A forwards to it.
    participants.verify_key(actor=sc.facilitator.user, case_id=sc.case.pk, key_id=new.key_id)
    assert harmed_key_in(sc.case, sc.facilitator)["verified"] is True
    forwarded = forward(sc, message)
    assert new.key_id in {k.recipient_key_id for k in forwarded.keys.all()}


def test_a_facilitator_cannot_verify_a_key_for_a_case_they_do_not_facilitate():
    sc, case_b, facilitator_b, new = changed_key_verified_in_case_b()
    response = json_post(
        verified_session(Client(), facilitator_b),
        f"/api/cases/{sc.id}/keys/{new.key_id}/verify",
        {"method": "phone"},
    )
    assert response.status_code == 404
    assert not KeyVerification.objects.filter(case=sc.case).exists()
