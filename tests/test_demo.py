"""The demo hub (manage.py seed_demo) and the scripted exchange (relay_client.demo)."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from relay.accounts.models import User
from relay.audit.chain import verify_chain
from relay.audit.models import AuditEvent, AuditEventType
from relay.cases.models import Case, CaseState, ParticipationState
from relay.moderation.models import Message, MessageState
from relay_client import demo
from relay_client.demo import DEMO_CASE_REFERENCE, DEMO_PEOPLE
from tests.client.cli_helpers import kdf_floor_arg
from tests.factories import password_keys


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_seed_builds_an_active_case_through_the_actions_and_is_idempotent():
    first = seed()
    case = Case.objects.get(reference=DEMO_CASE_REFERENCE)
    assert case.state == CaseState.ACTIVE
    assert {p.side: p.state for p in case.participations.all()} == {
        "harmed": ParticipationState.ACTIVE,
        "responsible": ParticipationState.ACTIVE,
    }
    for person in DEMO_PEOPLE.values():
        user = User.objects.get(username=person.username)
        assert user.role == person.role
        # The server holds a hash of the login key, never of the password.
        assert not user.check_password(person.password)
        assert user.check_password(password_keys(user, person.password).login_key_b64)
        assert user.public_keys.filter(retired_at__isnull=True).count() == 1
        assert user.wrapped_private_key is not None
        assert f"username: {person.username}" in first
        assert f"password: {person.password}" in first
    facilitator = User.objects.get(username="demo-facilitator")
    assert TOTPDevice.objects.get(user=facilitator, confirmed=True).key == (
        DEMO_PEOPLE["facilitator"].totp_key_hex
    )
    codes = list(
        StaticDevice.objects.get(user=facilitator).token_set.values_list("token", flat=True)
    )
    assert len(codes) == 10 and " ".join(codes) in first
    assert DEMO_PEOPLE["facilitator"].otpauth_uri in first
    assert verify_chain().ok
    # Each step was an audited action, not a write around one.
    recorded = Counter(AuditEvent.objects.values_list("event_type", flat=True))
    steps = {
        AuditEventType.ACCOUNT_ENROLLED: 4,
        AuditEventType.SECOND_FACTOR_SETUP_STARTED: 2,
        AuditEventType.SECOND_FACTOR_CHANGED: 2,
        AuditEventType.CASE_CREATED: 1,
        AuditEventType.FACILITATOR_ASSIGNED: 1,
        AuditEventType.PARTICIPANT_ADDED: 2,
        AuditEventType.KEY_VERIFIED: 2,
        # The demo hub's record and its intake key, sealed to the demo hub manager.
        AuditEventType.HUB_SETTINGS_CHANGED: 1,
        AuditEventType.INTAKE_KEY_CREATED: 1,
    }
    assert {step: recorded[step] for step in steps} == steps
    events = AuditEvent.objects.count()
    users = User.objects.count()

    again = seed()
    assert "already seeded; nothing changed" in again
    assert " ".join(codes) in again
    assert AuditEvent.objects.count() == events
    assert User.objects.count() == users
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_seed_refuses_production():
    with override_settings(RELAY_PRODUCTION=True), pytest.raises(CommandError, match="never"):
        seed()
    assert not User.objects.exists()


def test_totp_matches_the_rfc_6238_vector():
    # RFC 6238 appendix B, SHA-1, key "12345678901234567890", T = 59 s (8 digits: 94287082).
    assert demo.totp(b"12345678901234567890".hex(), at=59) == "287082"


@pytest.mark.live
def test_demo_exchange_against_a_live_server(daphne, capsys):
    seed()
    out = io.StringIO()
    code = demo.main(["--server", daphne.url, "--kdf-floor", kdf_floor_arg()], out=out)
    text = out.getvalue()
    assert code == 0, capsys.readouterr().err
    sections = text.split("\n== ")
    assert [s.split(" ==")[0] for s in sections[1:]] == [
        "Signing in",
        "1. Jo asks a question",
        "2. Sam edits the question and forwards it",
        "3. Alex answers",
        "4. Sam returns the answer with a note",
        "5. Alex revises the answer and Sam forwards it",
        "6. Jo pauses, and nothing can be forwarded",
        "7. Jo resumes, and the question goes through",
        "Done",
    ]

    def seen_by(section: str, who: str) -> str:
        body = next(s for s in sections if s.startswith(section))
        return body.split(f"What {who} sees:")[1].split("  What ")[0]

    alex, jo, sam = (
        "Alex (the person responsible)",
        "Jo (the person harmed)",
        "Sam (facilitator)",
    )
    assert "waiting in the queue" in seen_by("1.", sam)
    assert "nothing new" in seen_by("1.", alex)
    assert (
        "The person harmed sent you a question, passed on by your facilitator, who edited it: "
        "\u201cWhy did you pick our house?\u201d" in seen_by("2.", alex)
    )
    assert "watching us" not in seen_by("2.", alex)
    assert "asks you to rephrase it" in seen_by("4.", alex)
    assert "nothing new" in seen_by("4.", jo)
    assert "I am sorry." in seen_by("5.", jo)
    assert "random" not in text.split("== 5.")[1]
    assert "Communication is paused. You can still write to your facilitator." in seen_by(
        "6.", alex
    )
    assert "Communication is paused (the person harmed paused)." in seen_by("6.", sam)
    assert "Sam tries to forward it and is told: Communication in this case is paused" in text
    assert "\u201cDo you still live near us?\u201d" in seen_by("7.", alex)

    case = Case.objects.get(reference=DEMO_CASE_REFERENCE)
    states = sorted(
        Message.objects.filter(case=case, audience="other_party").values_list("state", flat=True)
    )
    assert states == sorted([MessageState.APPROVED] * 3 + [MessageState.RETURNED])
    assert all(p.state == ParticipationState.ACTIVE for p in case.participations.all())
    assert verify_chain().ok


@pytest.mark.live
def test_demo_explains_an_unseeded_server(daphne, capsys):
    code = demo.main(["--server", daphne.url, "--kdf-floor", kdf_floor_arg()], out=io.StringIO())
    assert code == 1
    assert "python manage.py seed_demo" in capsys.readouterr().err
