"""A first key is trusted without a verification only in the case whose code enrolled it
(DESIGN §4: trust is recorded per case). A facilitator of case B who issues a code for a
person not yet enrolled, and enrols as them, gets a key that case A, where the same person
was invited too, does not forward to until a facilitator of A has checked its fingerprint."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from relay.accounts.models import PublicKey, Role, User
from relay.cases import actions as case_actions
from relay.cases import participants
from relay.errors import IllegalTransition
from relay_client import crypto
from relay_client.crypto import KeyPair
from tests.accounts.conftest import make_invited_case
from tests.factories import Person, ShuttleCase, make_person, password_keys, record_assessment
from tests.migrations import back_to_latest, latest, migrate  # noqa: F401 (a fixture)
from tests.moderation.helpers import forward, submit

pytestmark = pytest.mark.django_db


def enrol_with(code: str, user: User) -> Person:
    """Whoever holds ``code`` enrols as ``user`` with a key pair of their own."""
    keys = password_keys(user)
    keypair = KeyPair.generate()
    nonce, box = crypto.wrap_secret_key(keypair.secret, keys.wrap_key)
    participants.enrol(
        code=code, login_key=keys.login_key_b64, public_key=keypair.public, wrapped=(nonce, box)
    )
    return Person(User.objects.get(pk=user.pk), keypair)


def case_a_with_a_key_enrolled_through_case_b() -> tuple[ShuttleCase, Person, uuid.UUID]:
    """Case A invites the person harmed; a facilitator of case B, where the same person is
    invited, enrols as them with B's code. The person responsible enrols with A's code.
    Case A then starts its conversation."""
    a = make_invited_case()
    manager_b = make_person(Role.HUB_MANAGER)
    facilitator_b = make_person(Role.FACILITATOR)
    case_b = case_actions.create_case(actor=manager_b.user, reference="RJ-B-TRUST")
    case_actions.assign_facilitator(
        actor=manager_b.user, case_id=case_b.pk, facilitator=facilitator_b.user
    )
    case_actions.add_participant(
        actor=manager_b.user, case_id=case_b.pk, user=a.harmed, side="harmed"
    )
    code_b, _ = participants.invite_participant(
        actor=facilitator_b.user, case_id=case_b.pk, side="harmed"
    )
    impostor = enrol_with(code_b, a.harmed)
    code_a, _ = participants.invite_participant(
        actor=a.facilitator.user, case_id=a.case.pk, side="responsible"
    )
    responsible = enrol_with(code_a, a.responsible)

    f = a.facilitator.user
    case_actions.begin_assessment(actor=f, case_id=a.case.pk)
    record_assessment(actor=f, case_id=a.case.pk)
    case_actions.record_suitability(actor=f, case_id=a.case.pk, suitable=True)
    for side in ("harmed", "responsible"):
        case_actions.record_consent(actor=f, case_id=a.case.pk, side=side, modes=["messages"])
    case_actions.start_communication(actor=f, case_id=a.case.pk)
    a.case.refresh_from_db()
    shuttle = ShuttleCase(a.case, a.manager, a.facilitator, impostor, responsible)
    return shuttle, facilitator_b, case_b.pk


def test_a_first_key_enrolled_with_another_cases_code_is_not_forwarded_to():
    sc, _, case_b = case_a_with_a_key_enrolled_through_case_b()
    assert sc.harmed.keypair is not None
    key = PublicKey.objects.get(key_id=sc.harmed.keypair.key_id)
    assert key.enrolled_in_id == case_b  # recorded: which case's code enrolled it

    message = submit(sc, sc.responsible, "Did you get my letter?")
    with pytest.raises(IllegalTransition) as blocked:
        forward(sc, message)
    assert blocked.value.code == "key_unverified"
    message.refresh_from_db()
    assert message.state == "submitted"

    # A facilitator of case A checks the fingerprint with the person: now A forwards.
    participants.verify_key(
        actor=sc.facilitator.user, case_id=sc.case.pk, key_id=sc.harmed.keypair.key_id
    )
    forwarded = forward(sc, message)
    assert sc.harmed.keypair.key_id in {k.recipient_key_id for k in forwarded.keys.all()}


def test_a_first_key_enrolled_with_this_cases_code_needs_no_verification_here():
    sc, _, _ = case_a_with_a_key_enrolled_through_case_b()
    assert sc.responsible.keypair is not None
    assert PublicKey.objects.get(key_id=sc.responsible.keypair.key_id).enrolled_in_id == (
        sc.case.pk
    )
    forwarded = forward(sc, submit(sc, sc.harmed, "I am here."))
    assert sc.responsible.keypair.key_id in {k.recipient_key_id for k in forwarded.keys.all()}


def test_a_key_enrolled_with_a_reset_code_is_trusted_in_no_case():
    sc, _, _ = case_a_with_a_key_enrolled_through_case_b()
    code, _ = participants.reset_participant(
        actor=sc.facilitator.user, case_id=sc.case.pk, side="responsible"
    )
    sc.responsible = enrol_with(code, sc.responsible.user)
    assert sc.responsible.keypair is not None
    assert PublicKey.objects.get(key_id=sc.responsible.keypair.key_id).enrolled_in_id is None
    with pytest.raises(IllegalTransition) as blocked:
        forward(sc, submit(sc, sc.harmed, "Still there?"))
    assert blocked.value.code == "key_unverified"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest")
def test_the_upgrade_gives_first_keys_the_case_whose_code_enrolled_them():
    """Existing keys and codes get their case from the audit log where it tells; a key whose
    enrolling code is unknown, or that replaced another, is trusted in no case."""
    from django.utils import timezone

    old = migrate([("accounts", "0003_trust_per_case"), ("audit", "0004_auditevent_mac")])
    User, PublicKey = old.get_model("accounts", "User"), old.get_model("accounts", "PublicKey")
    Invitation, AuditEvent = (
        old.get_model("accounts", "Invitation"),
        old.get_model("audit", "AuditEvent"),
    )
    Case, Participation = old.get_model("cases", "Case"), old.get_model("cases", "Participation")

    def user(prefix):
        return User.objects.create(username=f"{prefix}-{uuid.uuid4().hex[:6]}")

    facilitator, person, unknown, changed, invited = (user(p) for p in ("f", "p", "u", "c", "i"))
    case_a, case_b = (Case.objects.create(reference=f"RJ-U{uuid.uuid4().hex[:6]}") for _ in "ab")
    for case in (case_a, case_b):
        Participation.objects.create(case=case, user=person, side="harmed")
    Participation.objects.create(case=case_b, user=invited, side="responsible")
    first = PublicKey.objects.create(key_id="a" * 32, user=person, public_key=b"a" * 32)
    PublicKey.objects.create(key_id="b" * 32, user=unknown, public_key=b"b" * 32)
    PublicKey.objects.create(key_id="c" * 32, user=changed, public_key=b"c" * 32)
    seq = iter(range(10**6, 10**6 + 100))

    def audit(event_type, actor, case, **data):
        AuditEvent.objects.create(
            seq=next(seq),
            created_at=timezone.now(),
            event_type=event_type,
            actor_id=actor.pk,
            case_id=case.pk if case else None,
            data=data,
            prev_hash="0" * 64,
            hash="1" * 64,
        )

    audit(46, facilitator, case_b, side="harmed")  # a code of case B, replaced by the next
    audit(46, facilitator, case_a, side="harmed")
    audit(41, person, None, user=str(person.pk), key=first.key_id, replaced=None)
    audit(41, changed, None, user=str(changed.pk), key="c" * 32, replaced="d" * 32)
    audit(46, facilitator, case_b, side="responsible")
    Invitation.objects.create(
        user=invited,
        code_hash="e" * 64,
        created_by=facilitator,
        expires_at=timezone.now() + timedelta(days=1),
    )

    new = migrate(latest())
    PublicKey, Invitation = (
        new.get_model("accounts", "PublicKey"),
        new.get_model("accounts", "Invitation"),
    )
    assert dict(PublicKey.objects.values_list("key_id", "enrolled_in_id")) == {
        "a" * 32: case_a.pk,
        "b" * 32: None,
        "c" * 32: None,
    }
    assert Invitation.objects.get(user_id=invited.pk).case_id == case_b.pk
