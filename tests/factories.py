"""Building test state through the real actions (never raw ORM writes for state)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice

from relay.accounts import actions as account_actions
from relay.accounts.models import Role, User
from relay.cases import actions as case_actions
from relay.cases import assessment, participants
from relay.cases.models import Case
from relay.outcomes.states import OutcomeInput
from relay_client import crypto
from relay_client.crypto import KeyPair

_counter = itertools.count(1)
# The least a facilitator records when a case concludes: how it was delivered.
SIMPLE_OUTCOME = OutcomeInput(questions_answered=True, delivery_modes=("shuttle_messages",))
TEST_PASSWORD = "correct horse battery staple"


def password_keys(user: User, password: str = TEST_PASSWORD) -> crypto.PasswordKeys:
    """What a client derives from the password (with the cheap test KDF parameters)."""
    params = crypto.KdfParams(
        bytes(user.kdf_salt), settings.RELAY_KDF_OPSLIMIT, settings.RELAY_KDF_MEMLIMIT
    )
    return crypto.derive_password_keys(
        password, params, floor_opslimit=params.opslimit, floor_memlimit=params.memlimit
    )


@dataclass
class Person:
    user: User
    keypair: KeyPair | None
    password: str = TEST_PASSWORD
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.user.pk)


def make_person(
    role: str, *, name: str | None = None, with_key: bool = True, password: str = TEST_PASSWORD
) -> Person:
    n = next(_counter)
    username = name or f"{role}{n}"
    user = account_actions.create_account(
        actor=None, username=username, role=role, display_name=username.title()
    )
    keys = password_keys(user, password)
    user.set_password(keys.login_key_b64)
    user.save(update_fields=["password"])
    keypair = None
    if with_key:
        keypair = KeyPair.generate()
        nonce, box = crypto.wrap_secret_key(keypair.secret, keys.wrap_key)
        account_actions.register_key(
            actor=user,
            public_key=keypair.public,
            wrapped=(nonce, box),
            login_key=keys.login_key_b64,
        )
    if role in (Role.FACILITATOR, Role.HUB_MANAGER, Role.ADMIN, Role.COMMISSIONER, Role.REFERRER):
        device = StaticDevice.objects.create(user=user, name="backup codes", confirmed=True)
        for i in range(20):
            device.token_set.create(token=f"b{n:04d}x{i:02d}")  # noqa: S106
        user.otp_device = device
        user.is_verified = lambda: True  # type: ignore[method-assign]
        person = Person(user, keypair, password)
        person.extra["otp_device"] = device
        return person
    return Person(user, keypair, password)


@dataclass
class ShuttleCase:
    case: Case
    manager: Person
    facilitator: Person
    harmed: Person
    responsible: Person
    co_facilitator: Person | None = None

    @property
    def id(self) -> str:
        return str(self.case.pk)

    def facilitators(self) -> list[Person]:
        return [p for p in (self.facilitator, self.co_facilitator) if p is not None]


def make_case(*, active: bool = True, co_facilitator: bool = False) -> ShuttleCase:
    """A case with a hub manager, one or two facilitators and both participants, enrolled
    with codes of this case, through the real actions; communicating unless
    ``active=False``."""
    manager = make_person(Role.HUB_MANAGER)
    facilitator = make_person(Role.FACILITATOR)
    co = make_person(Role.FACILITATOR) if co_facilitator else None
    harmed = make_person(Role.PARTICIPANT, with_key=False)
    responsible = make_person(Role.PARTICIPANT, with_key=False)
    case = case_actions.create_case(actor=manager.user, reference=f"RJ-{next(_counter):05d}")
    for f in (facilitator, co):
        if f is not None:
            case_actions.assign_facilitator(actor=manager.user, case_id=case.pk, facilitator=f.user)
    for person, side in ((harmed, "harmed"), (responsible, "responsible")):
        case_actions.add_participant(
            actor=manager.user, case_id=case.pk, user=person.user, side=side
        )
        enrol_with_code_of(case, facilitator, person, side)
    if active:
        f = facilitator.user
        case_actions.begin_assessment(actor=f, case_id=case.pk)
        record_assessment(actor=f, case_id=case.pk)
        case_actions.record_suitability(actor=f, case_id=case.pk, suitable=True)
        for p in case.participations.all():
            case_actions.record_consent(actor=f, case_id=case.pk, side=p.side, modes=["messages"])
        case_actions.start_communication(actor=f, case_id=case.pk)
    case.refresh_from_db()
    return ShuttleCase(case, manager, facilitator, harmed, responsible, co)


ASSESSED_SUITABLE: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "suitability",
        {
            "reported_to_police": True,
            "identifiable_parties": True,
            "responsibility_admitted": True,
            "both_willing": True,
        },
    ),
    ("risk_assessment", {"level": "low"}),
    ("approach", {"response": "accepted"}),
)


def record_assessment(*, actor: User, case_id: Any) -> None:
    """The least a facilitator records before a case may move to preparing: every
    suitability criterion met, a risk level, and the person responsible accepting."""
    for kind, facts in ASSESSED_SUITABLE:
        assessment.add_case_record(actor=actor, case_id=case_id, kind=kind, facts=facts)


def enrol_with_code_of(case: Case, facilitator: Person, person: Person, side: str) -> None:
    """``person`` enrols with the code a facilitator of ``case`` gave them, as a device does:
    their first key, trusted in this case (and only here) without a verification."""
    code, _ = participants.invite_participant(actor=facilitator.user, case_id=case.pk, side=side)
    keys = password_keys(person.user, person.password)
    keypair = KeyPair.generate()
    nonce, box = crypto.wrap_secret_key(keypair.secret, keys.wrap_key)
    participants.enrol(
        code=code, login_key=keys.login_key_b64, public_key=keypair.public, wrapped=(nonce, box)
    )
    person.user.refresh_from_db()
    person.keypair = keypair


def otp_token(person: Person) -> str:
    """An unused backup code of a staff member (each works once)."""
    return str(person.extra["otp_device"].token_set.first().token)


def verified_session(client: Any, person: Person) -> Any:
    """Sign a Django test client in as ``person``; staff also pass their second factor."""
    client.force_login(person.user)
    device = person.extra.get("otp_device")
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def make_newcomer_case() -> ShuttleCase:
    """A case being assessed whose person harmed enrolled with a code of this case and whose
    person responsible has an account but no key (they have no device)."""
    manager = make_person(Role.HUB_MANAGER)
    facilitator = make_person(Role.FACILITATOR)
    harmed = make_person(Role.PARTICIPANT, with_key=False)
    responsible = make_person(Role.PARTICIPANT, with_key=False)
    case = case_actions.create_case(actor=manager.user, reference=f"RJ-H{next(_counter):05d}")
    case_actions.assign_facilitator(
        actor=manager.user, case_id=case.pk, facilitator=facilitator.user
    )
    for person, side in ((harmed, "harmed"), (responsible, "responsible")):
        case_actions.add_participant(
            actor=manager.user, case_id=case.pk, user=person.user, side=side
        )
    enrol_with_code_of(case, facilitator, harmed, "harmed")
    case_actions.begin_assessment(actor=facilitator.user, case_id=case.pk)
    return ShuttleCase(case, manager, facilitator, harmed, responsible)


def prepare_and_start(sc: ShuttleCase) -> None:
    """The assessment recorded, both consenting to messages (the held person's recorded by
    the facilitator after a phone call), and the conversation started."""
    f = sc.facilitator.user
    record_assessment(actor=f, case_id=sc.case.pk)
    case_actions.record_suitability(actor=f, case_id=sc.case.pk, suitable=True)
    case_actions.give_consent(actor=sc.harmed.user, case_id=sc.case.pk, modes=["messages"])
    case_actions.give_consent(
        actor=f, case_id=sc.case.pk, modes=["messages"], side="responsible", how="phone"
    )
    case_actions.start_communication(actor=f, case_id=sc.case.pk)
    sc.case.refresh_from_db()


def make_held_case(*, active: bool = True) -> ShuttleCase:
    """A case whose person responsible has no device: the facilitator holds their
    participation (consent given by phone an hour ago) and records their consent to
    messages; the person harmed enrolled with their own key. Communicating unless
    ``active=False`` (then it is being assessed)."""
    from datetime import timedelta

    from django.utils import timezone

    from relay.cases import held

    sc = make_newcomer_case()
    held.hold_participation(
        actor=sc.facilitator.user, case_id=sc.case.pk, side="responsible", consent_how="phone",
        consent_given_at=timezone.now() - timedelta(hours=1),
    )
    if active:
        prepare_and_start(sc)
    sc.case.refresh_from_db()
    return sc
