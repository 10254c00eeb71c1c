"""Seed a demo hub: a hub manager, a facilitator, the person harmed and the person
responsible, and one active case in which both participants have consented.

    python manage.py seed_demo

Safe to run again: what already exists is left as it is. The command plays the clients'
part: it derives each login key and wrap key from the demo password with the server's
Argon2id parameters and creates each key pair here, so no password reaches the server as a
password. Every change goes through the same audited actions as the API.

The accounts are demo accounts with published passwords (relay_client/demo.py); the command
refuses to run with the production settings.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from relay.accounts import actions as account_actions
from relay.accounts.models import Role, User
from relay.accounts.second_factor import at_console
from relay.cases import actions as case_actions
from relay.cases import assessment
from relay.cases import participants as case_participants
from relay.cases.models import Case, CaseState, ParticipationState
from relay.errors import RelayError
from relay.hub.actions import create_intake_key, update_hub_settings
from relay.hub.models import HubSettings
from relay.hub.selectors import hub, intake_key_holders
from relay_client import crypto
from relay_client.demo import DEMO_CASE_REFERENCE, DEMO_PEOPLE, DemoPerson, totp

DEMO_ASSESSMENT: tuple[tuple[str, dict[str, Any]], ...] = (
    ("suitability", {
        "reported_to_police": True, "identifiable_parties": True,
        "responsibility_admitted": True, "both_willing": True,
    }),
    ("risk_assessment", {"level": "low"}),
    ("approach", {"response": "accepted"}),
)


def _password_keys(user: User, password: str) -> crypto.PasswordKeys:
    """What the person's client derives, with the parameters this server serves."""
    assert user.kdf_salt is not None, "create_account gives every account a salt"
    params = crypto.KdfParams(
        bytes(user.kdf_salt), settings.RELAY_KDF_OPSLIMIT, settings.RELAY_KDF_MEMLIMIT
    )
    return crypto.derive_password_keys(
        password, params, floor_opslimit=params.opslimit, floor_memlimit=params.memlimit
    )


def _enrol(user: User, code: str, password: str) -> None:
    """Enrol with the code, as the person's device would: a new key pair, wrapped."""
    keys = _password_keys(user, password)
    keypair = crypto.KeyPair.generate()
    nonce, box = crypto.wrap_secret_key(keypair.secret, keys.wrap_key)
    case_participants.enrol(
        code=code, login_key=keys.login_key_b64, public_key=keypair.public, wrapped=(nonce, box)
    )


# The demo hub's public record. The phone number is from Ofcom's range for drama.
DEMO_HUB: dict[str, Any] = {
    "name": "Relay demo hub",
    "phone": "01632 960000",
    "email": "hub@example.org",
    "postal_address": "Relay demo hub\nPO Box 000\nExampletown EX1 1AA",
    "opening_hours": "Monday to Friday, 9am to 5pm",
    "about": "We offer restorative justice to anyone affected by crime in the demo county, "
    "free of charge and at any stage of the criminal justice process. Taking part is always "
    "voluntary, and a trained facilitator makes sure it is safe.",
    "signposting": [
        {
            "key": "victim-support",
            "name": "Victim Support",
            "helps_with": "Free, confidential support for anyone affected by crime, whether "
            "or not it was reported to the police.",
            "phone": "08 08 16 89 111",
            "website": "https://www.victimsupport.org.uk",
        },
        {
            "key": "domestic-abuse-helpline",
            "name": "National Domestic Abuse Helpline",
            "helps_with": "Support and safety planning for anyone experiencing domestic "
            "abuse, 24 hours a day.",
            "phone": "0808 2000 247",
            "website": "https://www.nationaldahelpline.org.uk",
        },
        {
            "key": "citizens-advice",
            "name": "Citizens Advice",
            "helps_with": "Free advice on money, housing, work and legal problems.",
            "phone": "0800 144 8848",
            "website": "https://www.citizensadvice.org.uk",
        },
        {
            "key": "samaritans",
            "name": "Samaritans",
            "helps_with": "Someone to talk to, day or night, about whatever is getting to you.",
            "phone": "116 123",
            "website": "https://www.samaritans.org",
        },
    ],
}


class Command(BaseCommand):
    help = "Seed a demo hub with a case ready for the demo exchange (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        if getattr(settings, "RELAY_PRODUCTION", False):
            raise CommandError("The demo hub has published passwords: never seed it in production.")
        self.notes: list[str] = []
        try:
            with transaction.atomic():
                backup_codes = self.seed()
        except RelayError as exc:
            raise CommandError(exc.message) from None
        self.report(backup_codes)

    # --- accounts ---------------------------------------------------------------------------

    def staff(self, person: DemoPerson, actor: User | None) -> tuple[User, list[str]]:
        user = User.objects.filter(username__iexact=person.username).first()
        if user is None:
            code, _ = account_actions.invite_staff(
                actor=actor, username=person.username, role=person.role,
                display_name=person.display_name,
            )
            user = User.objects.get(username=person.username)
            _enrol(user, code, person.password)
            user = at_console(User.objects.get(pk=user.pk))
            codes = self.second_factor(user, person)
            self.notes.append(f"Created {person.username}.")
            return user, codes
        devices = StaticDevice.objects.filter(user=user)
        remaining = devices.values_list("token_set__token", flat=True)
        return at_console(user), [c for c in remaining if c]

    def second_factor(self, user: User, person: DemoPerson) -> list[str]:
        """An authenticator app with the demo's published secret, plus backup codes."""
        device = account_actions.begin_totp_setup(actor=user, verified=False)
        # The demo secret is published so that the demo script can compute its codes.
        TOTPDevice.objects.filter(pk=device.pk).update(key=person.totp_key_hex)
        # Confirm with the previous step's code, so the demo can sign in in this step.
        _, codes = account_actions.confirm_totp(
            actor=user, verified=False, token=totp(person.totp_key_hex, step_offset=-1)
        )
        return codes

    def participant(self, person: DemoPerson, manager: User) -> User:
        user = User.objects.filter(username__iexact=person.username).first()
        if user is None:
            user = account_actions.create_account(
                actor=manager, username=person.username, role=Role.PARTICIPANT,
                display_name=person.display_name,
            )
            self.notes.append(f"Created {person.username}.")
        return user

    # --- the case ---------------------------------------------------------------------------

    def hub(self) -> None:
        """The demo hub's public record (docs/intake.md); left alone once set."""
        if HubSettings.objects.exists():
            return
        update_hub_settings(actor=None, changes=DEMO_HUB)
        self.notes.append(f"Set the hub's settings ({DEMO_HUB['name']}).")

    def intake_key(self, manager: User) -> None:
        """The hub's intake key, as the hub manager's device would make it: its private
        half sealed to each hub manager's and admin's key, then forgotten here."""
        if hub().intake_public_key is not None:
            return
        intake = crypto.KeyPair.generate()
        wraps = [
            {
                "key_id": key.key_id,
                "sealed_secret": crypto.b64(
                    crypto.seal_secret_to(intake.secret, bytes(key.public_key))
                ),
            }
            for key in intake_key_holders()
        ]
        create_intake_key(actor=manager, public_key=intake.public, wraps=wraps)
        self.notes.append("Made the hub's intake key: the public referral page is open.")

    def seed(self) -> dict[str, list[str]]:
        self.hub()
        manager, manager_codes = self.staff(DEMO_PEOPLE["manager"], None)
        self.intake_key(manager)
        facilitator, facilitator_codes = self.staff(DEMO_PEOPLE["facilitator"], manager)
        participants = {
            side: self.participant(DEMO_PEOPLE[side], manager) for side in ("harmed", "responsible")
        }
        case = Case.objects.filter(reference=DEMO_CASE_REFERENCE).first()
        if case is None:
            case = case_actions.create_case(actor=manager, reference=DEMO_CASE_REFERENCE)
            case_actions.assign_facilitator(actor=manager, case_id=case.pk, facilitator=facilitator)
            for side, user in participants.items():
                case_actions.add_participant(actor=manager, case_id=case.pk, user=user, side=side)
            self.notes.append(f"Opened case {DEMO_CASE_REFERENCE}.")
        for side, user in participants.items():
            if not user.has_usable_password():
                code, _ = case_participants.invite_participant(
                    actor=facilitator, case_id=case.pk, side=side
                )
                _enrol(user, code, DEMO_PEOPLE[side].password)
        case.refresh_from_db()
        if case.state == CaseState.REFERRED:
            case_actions.begin_assessment(actor=facilitator, case_id=case.pk)
            # The demo's assessment: every criterion met, a low risk, the approach accepted.
            for kind, facts in DEMO_ASSESSMENT:
                assessment.add_case_record(
                    actor=facilitator, case_id=case.pk, kind=kind, facts=facts
                )
            case_actions.record_suitability(actor=facilitator, case_id=case.pk, suitable=True)
        case.refresh_from_db()
        if case.state == CaseState.PREPARING:
            for participation in case.participations.select_related("user"):
                if participation.state == ParticipationState.ENROLLED:
                    case_actions.record_consent(
                        actor=facilitator, case_id=case.pk, side=participation.side,
                        modes=["messages"],
                    )
                key = participation.user.public_keys.filter(retired_at__isnull=True).first()
                if key is not None and not key.verifications.exists():
                    case_participants.verify_key(
                        actor=facilitator, case_id=case.pk, key_id=key.key_id, method="in_person"
                    )
            case_actions.start_communication(actor=facilitator, case_id=case.pk)
            self.notes.append(f"Case {DEMO_CASE_REFERENCE} is active: both participants consented.")
        return {"manager": manager_codes, "facilitator": facilitator_codes}

    # --- what the operator sees -------------------------------------------------------------

    def report(self, backup_codes: dict[str, list[str]]) -> None:
        write = self.stdout.write
        for note in self.notes:
            write(note)
        if not self.notes:
            write("The demo hub is already seeded; nothing changed.")
        case = Case.objects.get(reference=DEMO_CASE_REFERENCE)
        write("")
        write("Relay demo hub (demo-only accounts: these passwords are published)")
        write(f"  Case {DEMO_CASE_REFERENCE}: {case.get_state_display()}")
        for key in ("manager", "facilitator", "harmed", "responsible"):
            person = DEMO_PEOPLE[key]
            write("")
            write(f"  {person.label}")
            write(f"    username: {person.username}")
            write(f"    password: {person.password}")
            if person.role != Role.PARTICIPANT:
                write(f"    authenticator app: {person.otpauth_uri}")
                write(f"    its current code: .venv/bin/relay-client demo-code {person.username}")
                codes = backup_codes.get(key) or []
                write(f"    backup codes (each works once): {' '.join(codes) or 'none left'}")
        write("")
        write("Staff sign in with their password and a code: add the otpauth:// URI to an")
        write("authenticator app, or use the demo-code command above or a backup code.")
        write("Run the scripted exchange with: make demo")
