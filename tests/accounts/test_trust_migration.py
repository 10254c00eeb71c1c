"""Upgrading to per-case key trust keeps each recorded verification in the case it was made in
(read from its audit event), drops one whose case is unknown (so that key must be verified
again: fail safe), and keeps reset codes working."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.migrations import back_to_latest, latest, migrate  # noqa: F401 (a fixture)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest")
def test_verifications_keep_their_case_and_reset_codes_keep_working():
    old = migrate([("accounts", "0002_invitation_recoverywrap")])
    User = old.get_model("accounts", "User")
    PublicKey = old.get_model("accounts", "PublicKey")
    KeyVerification = old.get_model("accounts", "KeyVerification")
    Invitation = old.get_model("accounts", "Invitation")
    Case = old.get_model("cases", "Case")
    AuditEvent = old.get_model("audit", "AuditEvent")

    facilitator = User.objects.create(username=f"f-{uuid.uuid4().hex[:6]}", role="facilitator")
    person = User.objects.create(username=f"p-{uuid.uuid4().hex[:6]}")
    unkeyed = User.objects.create(username=f"u-{uuid.uuid4().hex[:6]}")
    case = Case.objects.create(reference=f"RJ-M{uuid.uuid4().hex[:6]}")
    known = PublicKey.objects.create(key_id="a" * 32, user=person, public_key=b"k" * 32)
    orphan = PublicKey.objects.create(key_id="b" * 32, user=facilitator, public_key=b"o" * 32)
    KeyVerification.objects.create(key=known, verified_by=facilitator)
    KeyVerification.objects.create(key=orphan, verified_by=facilitator)
    AuditEvent.objects.create(
        seq=10**6,
        chain=f"case:{case.pk}",
        chain_seq=1,
        created_at=timezone.now(),
        event_type=11,
        actor_id=facilitator.pk,
        case_id=case.pk,
        data={"key": known.key_id, "method": "in_person"},
        prev_hash="0" * 64,
        hash="1" * 64,
    )
    expires = timezone.now() + timedelta(days=1)
    Invitation.objects.create(user=person, code_hash="c" * 64, expires_at=expires)
    Invitation.objects.create(user=unkeyed, code_hash="d" * 64, expires_at=expires)

    new = migrate(latest())
    KeyVerification = new.get_model("accounts", "KeyVerification")
    Invitation = new.get_model("accounts", "Invitation")
    assert list(KeyVerification.objects.values_list("key_id", "case_id")) == [
        (known.key_id, case.pk)
    ]
    assert Invitation.objects.get(user_id=person.pk).for_reset is True
    assert Invitation.objects.get(user_id=unkeyed.pk).for_reset is False
