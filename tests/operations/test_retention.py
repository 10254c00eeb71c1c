"""Retention and crypto-shredding (relay.retention), with a moved clock."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from relay.audit.chain import verify_log
from relay.audit.models import AuditEvent, AuditEventType
from relay.cases import actions as case_actions
from relay.errors import AccessDenied, IllegalTransition, InvalidRequest
from relay.moderation.models import Message, MessageKey
from relay.outcomes.models import Outcome
from relay.retention import actions
from relay.retention.checks import retention_settings
from relay.retention.models import LegalHold, Shredding
from relay.retention.selectors import retention_wire
from tests.cases.endings import concluded_case
from tests.delivery.live import dump_database
from tests.envelopes import parsed, seal_from
from tests.factories import ShuttleCase, make_case, verified_session
from tests.test_no_plaintext import leaks

DAY = timedelta(days=1)


def send(sc: ShuttleCase, text: str) -> dict:
    client = verified_session(Client(), sc.harmed)
    envelope = seal_from(sc.harmed, sc, "question", text)
    response = client.post(
        "/api/messages", json.dumps({"envelope": envelope}), content_type="application/json"
    )
    assert response.status_code in (200, 201), response.content
    return envelope


def closed_case(text: str) -> tuple[ShuttleCase, dict]:
    sc = make_case()
    envelope = send(sc, text)
    case_actions.close_case(
        actor=sc.facilitator.user,
        case_id=sc.case.pk,
        reason="withdrew",
        withdrawn_side="responsible",
    )
    sc.case.refresh_from_db()
    return sc, envelope


def after_period(sc: ShuttleCase, days: int = 365):
    assert sc.case.ended_at is not None
    return sc.case.ended_at + timedelta(days=days) + timedelta(seconds=1)


def forms(envelope: dict) -> list[bytes]:
    """How a dump holds this envelope's ciphertext and wrapped keys: hex (PostgreSQL bytea),
    each cut to a stretch no other value could share by chance."""
    return [
        base64.b64decode(b64)[:24].hex().encode()
        for b64 in [envelope["ciphertext"], *(k["box"] for k in envelope["keys"])]
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_after_the_period_nothing_decryptable_remains_and_the_audit_log_verifies() -> None:
    closed, closed_envelope = closed_case("CANARY-closed-case")
    open_case = make_case()
    open_envelope = send(open_case, "CANARY-open-case")
    open_messages = Message.objects.filter(case=open_case.case).count()
    open_keys = MessageKey.objects.filter(message__case=open_case.case).count()

    # One day before the period ends: nothing happens.
    early = actions.apply_retention(now=after_period(closed) - DAY)
    assert early.shredded == [] and Message.objects.filter(case=closed.case).exists()

    run = actions.apply_retention(now=after_period(closed))
    assert [r.case_id for r in run.shredded] == [closed.case.pk]
    assert run.shredded[0].messages == 1 and run.shredded[0].wrapped_keys == 2
    assert not Message.objects.filter(case=closed.case).exists()
    assert not MessageKey.objects.filter(message__case=closed.case).exists()

    dump = dump_database().encode()
    for form in forms(closed_envelope):
        assert form not in dump, "a ciphertext or wrapped key of the shredded case remains"
    for form in forms(open_envelope):
        assert form in dump, "the open case's messages must be untouched"
    assert Message.objects.filter(case=open_case.case).count() == open_messages
    assert MessageKey.objects.filter(message__case=open_case.case).count() == open_keys
    assert not leaks(dump, "CANARY-closed-case")

    report = verify_log()
    assert report.ok, report.problem
    shredded = AuditEvent.objects.get(event_type=AuditEventType.CASE_SHREDDED)
    assert shredded.case_id == closed.case.pk and shredded.actor_id is None
    assert set(shredded.data) == {"messages", "wrapped_keys", "notes", "erased"}
    ran = AuditEvent.objects.filter(event_type=AuditEventType.RETENTION_RUN).last()
    assert ran is not None
    assert ran.data == {"shredded": 1, "held": 0, "failed": 0, "referrals": 0}
    assert connection.vendor == "postgresql"


@pytest.mark.django_db
def test_sealed_outcome_notes_go_and_the_countable_outcome_stays() -> None:
    sc = concluded_case(note="CANARY-outcome-note")
    sc.case.refresh_from_db()
    assert Outcome.objects.get(case=sc.case).note is not None
    report = actions.shred_case(case_id=sc.case.pk, now=after_period(sc))
    outcome = Outcome.objects.get(case=sc.case)
    assert outcome.note is None and report.notes == 1
    assert outcome.questions_answered  # the statistics still count it


@pytest.mark.django_db
def test_unsuitable_cases_go_sooner() -> None:
    sc = make_case(active=False)
    f = sc.facilitator.user
    case_actions.begin_assessment(actor=f, case_id=sc.case.pk)
    case_actions.record_suitability(actor=f, case_id=sc.case.pk, suitable=False)
    sc.case.refresh_from_db()
    wire = retention_wire(sc.case)
    assert wire["retention_days"] == 90
    assert wire["shred_after"] == (sc.case.ended_at + timedelta(days=90)).isoformat()
    actions.shred_case(case_id=sc.case.pk, now=after_period(sc, 90))
    assert retention_wire(sc.case)["shredded_at"] is not None


@pytest.mark.django_db
def test_open_cases_and_cases_not_yet_due_are_refused() -> None:
    open_case = make_case()
    send(open_case, "still talking")
    with pytest.raises(IllegalTransition):
        actions.shred_case(case_id=open_case.case.pk, now=timezone.now() + 1000 * DAY)
    closed, _ = closed_case("not yet")
    with pytest.raises(IllegalTransition):
        actions.shred_case(case_id=closed.case.pk, now=after_period(closed) - DAY)
    assert Message.objects.filter(case=closed.case).count() == 1
    assert retention_wire(open_case.case)["shred_after"] is None


@pytest.mark.django_db
def test_a_hold_keeps_the_content_until_it_is_released() -> None:
    sc, _ = closed_case("kept by a hold")
    actions.place_hold(
        actor=sc.manager.user, case_id=sc.case.pk, reason="complaint", reference="CMP-2026-14"
    )
    run = actions.apply_retention(now=after_period(sc))
    assert run.shredded == [] and run.held == 1
    assert Message.objects.filter(case=sc.case).exists()
    with pytest.raises(IllegalTransition):
        actions.shred_case(case_id=sc.case.pk, now=after_period(sc))
    with pytest.raises(IllegalTransition):
        actions.place_hold(actor=sc.manager.user, case_id=sc.case.pk, reason="other")
    actions.release_hold(actor=sc.manager.user, case_id=sc.case.pk)
    run = actions.apply_retention(now=after_period(sc))
    assert len(run.shredded) == 1
    types = list(AuditEvent.objects.filter(case_id=sc.case.pk).values_list("event_type", flat=True))
    assert types[-3:] == [
        AuditEventType.LEGAL_HOLD_PLACED,
        AuditEventType.LEGAL_HOLD_RELEASED,
        AuditEventType.CASE_SHREDDED,
    ]
    placed = AuditEvent.objects.get(event_type=AuditEventType.LEGAL_HOLD_PLACED)
    assert "CMP-2026-14" not in json.dumps(placed.data)
    with pytest.raises(IllegalTransition):
        actions.place_hold(actor=sc.manager.user, case_id=sc.case.pk, reason="complaint")


@pytest.mark.django_db
def test_only_a_hub_manager_places_a_hold_and_bad_input_changes_nothing() -> None:
    sc, _ = closed_case("who may")
    before = AuditEvent.objects.count()
    for person in (sc.facilitator, sc.harmed):
        with pytest.raises(AccessDenied):
            actions.place_hold(actor=person.user, case_id=sc.case.pk, reason="complaint")
    with pytest.raises(InvalidRequest):
        actions.place_hold(actor=sc.manager.user, case_id=sc.case.pk, reason="because")
    with pytest.raises(InvalidRequest):
        actions.place_hold(
            actor=sc.manager.user, case_id=sc.case.pk, reason="other", reference="x" * 65
        )
    with pytest.raises(InvalidRequest):
        actions.place_hold(
            actor=sc.manager.user, case_id=sc.case.pk, reason="other", reference="a\nb"
        )
    with pytest.raises(IllegalTransition):
        actions.release_hold(actor=sc.manager.user, case_id=sc.case.pk)
    assert AuditEvent.objects.count() == before
    assert not LegalHold.objects.exists()


@pytest.mark.django_db
def test_the_api_shows_when_the_content_goes() -> None:
    sc, _ = closed_case("api")
    client = verified_session(Client(), sc.facilitator)
    body = client.get(f"/api/cases/{sc.id}/retention").json()
    assert body["shred_after"] == (sc.case.ended_at + timedelta(days=365)).isoformat()
    assert body["hold"] is None and body["shredded_at"] is None
    participant = verified_session(Client(), sc.harmed)
    assert participant.get(f"/api/cases/{sc.id}/retention").status_code == 404
    manager = verified_session(Client(), sc.manager)
    placed = manager.post(
        f"/api/cases/{sc.id}/retention/hold",
        json.dumps({"reason": "safeguarding", "reference": "SG-7"}),
        content_type="application/json",
    )
    assert placed.status_code == 201
    assert placed.json()["hold"]["reason"] == "safeguarding"
    refused = manager.post(
        f"/api/cases/{sc.id}/retention/hold",
        json.dumps({"reason": "safeguarding"}),
        content_type="application/json",
    )
    assert refused.status_code == 409
    released = manager.post(f"/api/cases/{sc.id}/retention/release")
    assert released.status_code == 200 and released.json()["hold"] is None


@pytest.mark.django_db
def test_the_command_counts_and_runs() -> None:
    sc, _ = closed_case("command")
    out = StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert "0 case(s) due" in out.getvalue()
    sc.case.ended_at = timezone.now() - timedelta(days=400)  # the clock moved on
    sc.case.save(update_fields=["ended_at"])
    call_command("apply_retention", "--dry-run", stdout=out)
    assert "1 case(s) due" in out.getvalue()
    assert Message.objects.filter(case=sc.case).exists()
    call_command("apply_retention", stdout=out)
    assert "Shredded 1 case(s) (1 messages, 2 wrapped keys)" in out.getvalue()
    assert Shredding.objects.filter(case=sc.case).exists()


def test_retention_settings_are_checked() -> None:
    def ids() -> set[str]:
        return {m.id for m in retention_settings(None) if m.id}

    assert ids() == set()
    with override_settings(RELAY_RETENTION_CASE_DAYS=0):
        assert "relay.E060" in ids()
    with override_settings(RELAY_RETENTION_CASE_DAYS=7):
        assert "relay.E061" in ids()
    with override_settings(RELAY_RETENTION_UNSUITABLE_DAYS=400):
        assert "relay.E062" in ids()


@pytest.mark.django_db
def test_declined_referrals_lose_their_sealed_content_after_their_period() -> None:
    from relay.referrals import actions as referral_actions
    from relay.referrals.models import Referral
    from tests.referrals.helpers import self_referral, with_intake_key

    manager, intake = with_intake_key()
    declined = self_referral(intake).referral
    waiting = self_referral(intake, address="192.0.2.2").referral
    referral_actions.decline_referral(
        actor=manager.user, referral_id=declined.pk, reason="outside_area", signposting=[]
    )
    declined.refresh_from_db()
    assert declined.sealed
    assert actions.apply_retention(now=declined.decided_at + 89 * DAY).referrals == 0
    run = actions.apply_retention(now=declined.decided_at + 91 * DAY)
    assert run.referrals == 1
    declined.refresh_from_db()
    assert declined.sealed == {} and declined.decline_reason == "outside_area"
    assert Referral.objects.get(pk=waiting.pk).sealed  # still waiting: kept


@pytest.mark.django_db
def test_case_work_records_lose_their_sealed_words_and_keep_their_facts() -> None:
    from relay.cases.models import CaseRecord
    from tests.cases.test_assessment import add, assessing

    sc = assessing()
    raw = seal_from(sc.facilitator, sc, "case_note", "CANARY-note", to=sc.facilitators())
    record = add(sc, "case_note", envelope=parsed(raw))
    assert CaseRecord.objects.get(pk=record.pk).envelope is not None
    case_actions.close_case(actor=sc.facilitator.user, case_id=sc.case.pk, reason="no_contact")
    sc.case.refresh_from_db()
    assert retention_wire(sc.case)["retention_days"] == 90  # it never started
    report = actions.shred_case(case_id=sc.case.pk, now=after_period(sc, 90))
    kept = CaseRecord.objects.get(pk=record.pk)
    assert kept.envelope is None and kept.kind == "case_note"
    assert report.notes >= 1
