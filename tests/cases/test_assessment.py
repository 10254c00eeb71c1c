"""Assessment records sealed to the case's facilitators, the gate from assessing to
preparing, and finding a case unsuitable with a notice to each person and signposting."""

from __future__ import annotations

from typing import Any

import pytest

from relay.audit.models import AuditEvent, AuditEventType
from relay.cases import actions as case_actions
from relay.cases import assessment
from relay.cases.models import CaseRecord, CaseState
from relay.cases.selectors import case_records, notices_for
from relay.errors import AccessDenied, EnvelopeRejected, IllegalTransition, InvalidRequest
from relay.outcomes.models import Closure
from tests.envelopes import open_as, parsed, seal_from
from tests.factories import ASSESSED_SUITABLE, ShuttleCase, make_case, record_assessment

pytestmark = pytest.mark.django_db

CRITERIA = dict(ASSESSED_SUITABLE)["suitability"]


def assessing() -> ShuttleCase:
    sc = make_case(active=False)
    case_actions.begin_assessment(actor=sc.facilitator.user, case_id=sc.case.pk)
    return sc


def add(sc: ShuttleCase, kind: str, facts: dict[str, Any] | None = None, **kw: Any) -> CaseRecord:
    return assessment.add_case_record(
        actor=sc.facilitator.user, case_id=sc.case.pk, kind=kind, facts=facts, **kw
    )


def test_records_are_sealed_to_the_facilitators_and_read_only_by_them() -> None:
    sc = make_case(active=False, co_facilitator=True)
    raw = seal_from(
        sc.facilitator, sc, "risk_assessment", "Factors and safety plan", to=sc.facilitators()
    )
    row = add(sc, "risk_assessment", {"level": "high"}, envelope=parsed(raw))
    assert row.facts == {"level": "high"}
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.CASE_RECORD_ADDED, data__kind="risk_assessment"
    ).exists()
    seen = case_records(sc.co_facilitator.user, sc.case.pk)  # type: ignore[union-attr]
    assert open_as(sc.co_facilitator, seen[0]["envelope"], sc.facilitator) == (  # type: ignore[arg-type]
        "Factors and safety plan"
    )
    # The hub manager (not assigned) and the participants read none of it.
    for outsider in (sc.manager, sc.harmed, sc.responsible):
        with pytest.raises(AccessDenied):
            case_records(outsider.user, sc.case.pk)
        with pytest.raises(AccessDenied):
            assessment.add_case_record(
                actor=outsider.user,
                case_id=sc.case.pk,
                kind="approach",
                facts={"response": "accepted"},
            )


def test_a_record_sealed_to_anyone_else_or_ill_formed_is_refused_and_nothing_stored() -> None:
    sc = assessing()
    to_manager = seal_from(sc.facilitator, sc, "case_note", "n", to=[sc.facilitator, sc.manager])
    to_harmed = seal_from(sc.facilitator, sc, "case_note", "n", to=[sc.facilitator, sc.harmed])
    wrong_kind = seal_from(sc.facilitator, sc, "risk_assessment", "n", to=[sc.facilitator])
    for raw, code in ((to_harmed, "recipients_forbidden"), (wrong_kind, "bad_kind")):
        with pytest.raises(EnvelopeRejected) as refused:
            add(sc, "case_note", envelope=parsed(raw))
        assert refused.value.code == code
    with pytest.raises((EnvelopeRejected, InvalidRequest)):
        add(sc, "case_note", envelope=parsed(to_manager))
    bad_facts: list[tuple[str, dict[str, Any]]] = [
        ("suitability", {**CRITERIA, "reported_to_police": "yes"}),
        ("suitability", {"both_willing": True}),
        ("risk_assessment", {"level": "extreme"}),
        ("approach", {"response": "maybe"}),
        ("contact_attempt", {"side": "harmed", "method": "pigeon", "reached": False}),
        ("approach", {"response": "accepted", "notes": "said yes on the phone"}),
        ("unsuitable_reason", {}),
    ]
    for kind, facts in bad_facts:
        with pytest.raises(InvalidRequest):
            add(sc, kind, facts)
    with pytest.raises(InvalidRequest) as refused:
        add(sc, "case_note")
    assert refused.value.code == "note_required"
    assert not CaseRecord.objects.filter(case=sc.case).exists()


def test_preparing_needs_every_criterion_a_risk_level_and_the_approach_accepted() -> None:
    sc = assessing()
    f = sc.facilitator.user

    def blocked() -> str:
        with pytest.raises(IllegalTransition) as refused:
            assessment.begin_preparation(actor=f, case_id=sc.case.pk)
        assert refused.value.code == "assessment_incomplete"
        sc.case.refresh_from_db()
        assert sc.case.state == CaseState.ASSESSING
        return refused.value.message

    assert "suitability criteria" in blocked()
    add(sc, "suitability", {**CRITERIA, "responsibility_admitted": False})
    assert "admits responsibility" in blocked()
    add(sc, "suitability", CRITERIA)
    add(sc, "risk_assessment", {"level": "medium"})
    add(sc, "contact_attempt", {"side": "responsible", "method": "letter", "reached": False})
    add(sc, "approach", {"response": "needs_time"})  # the offer stays open
    assert "accepted the approach" in blocked()
    add(sc, "approach", {"response": "accepted"})
    # The old path obeys the same gate as the new one.
    assessment.begin_preparation(actor=f, case_id=sc.case.pk)
    sc.case.refresh_from_db()
    assert sc.case.state == CaseState.PREPARING
    with pytest.raises(IllegalTransition):
        assessment.begin_preparation(actor=f, case_id=sc.case.pk)


def test_record_suitability_obeys_the_gate_too() -> None:
    sc = assessing()
    with pytest.raises(IllegalTransition) as refused:
        case_actions.record_suitability(
            actor=sc.facilitator.user, case_id=sc.case.pk, suitable=True
        )
    assert refused.value.code == "assessment_incomplete"


def unsuitable_parts(sc: ShuttleCase) -> tuple[Any, list[Any]]:
    f = sc.facilitator
    reason = parsed(seal_from(f, sc, "unsuitable_reason", "Risk cannot be managed", to=[f]))
    notices = [
        parsed(seal_from(f, sc, "unsuitable_notice", f"Dear {p.user.username}", to=[f, p]))
        for p in (sc.harmed, sc.responsible)
    ]
    return reason, notices


@pytest.mark.parametrize("stage", ["assessing", "preparing"])
def test_found_unsuitable_each_person_is_told_and_the_case_closes(stage: str) -> None:
    sc = assessing()
    if stage == "preparing":
        record_assessment(actor=sc.facilitator.user, case_id=sc.case.pk)
        assessment.begin_preparation(actor=sc.facilitator.user, case_id=sc.case.pk)
    reason, notices = unsuitable_parts(sc)
    assessment.find_unsuitable(
        actor=sc.facilitator.user,
        case_id=sc.case.pk,
        reason=reason,
        notices=notices,
        signposting=[],
    )
    sc.case.refresh_from_db()
    assert sc.case.state == CaseState.CLOSED
    closure = Closure.objects.get(case=sc.case)
    assert (closure.reason, closure.stage) == ("unsuitable", stage)
    audit = AuditEvent.objects.filter(case_id=sc.case.pk).latest("seq")
    assert audit.data["via"] == "unsuitable" and audit.data["told"] == ["harmed", "responsible"]
    # Each person reads their own notice, and only theirs.
    for person in (sc.harmed, sc.responsible):
        mine = notices_for(person.user, sc.case.pk)["notices"]
        assert len(mine) == 1
        assert open_as(person, mine[0]["envelope"], sc.facilitator) == (
            f"Dear {person.user.username}"
        )


def test_finding_unsuitable_is_refused_without_every_notice_or_at_the_wrong_stage() -> None:
    sc = assessing()
    reason, notices = unsuitable_parts(sc)
    f = sc.facilitator.user
    with pytest.raises(InvalidRequest) as refused:
        assessment.find_unsuitable(
            actor=f, case_id=sc.case.pk, reason=reason, notices=notices[:1], signposting=[]
        )
    assert refused.value.code == "notice_missing"
    with pytest.raises(InvalidRequest) as refused:
        assessment.find_unsuitable(
            actor=f,
            case_id=sc.case.pk,
            reason=reason,
            notices=notices,
            signposting=["no-such-service"],
        )
    assert refused.value.code == "unknown_service"
    with pytest.raises(AccessDenied):
        assessment.find_unsuitable(
            actor=sc.manager.user,
            case_id=sc.case.pk,
            reason=reason,
            notices=notices,
            signposting=[],
        )
    active = make_case()
    reason2, notices2 = unsuitable_parts(active)
    with pytest.raises(IllegalTransition):
        assessment.find_unsuitable(
            actor=active.facilitator.user,
            case_id=active.case.pk,
            reason=reason2,
            notices=notices2,
            signposting=[],
        )
    assert not CaseRecord.objects.filter(kind__startswith="unsuitable").exists()
    sc.case.refresh_from_db()
    assert sc.case.state == CaseState.ASSESSING


def test_the_services_come_from_the_hubs_list_and_reach_the_person() -> None:
    from relay.hub.actions import update_hub_settings

    update_hub_settings(
        actor=None,
        changes={
            "signposting": [
                {
                    "key": "victim-support",
                    "name": "Victim Support",
                    "helps_with": "Support after crime",
                    "phone": "08081 689 111",
                },
                {"key": "samaritans", "name": "Samaritans", "helps_with": "Someone to talk to"},
            ]
        },
    )
    sc = assessing()
    reason, notices = unsuitable_parts(sc)
    assessment.find_unsuitable(
        actor=sc.facilitator.user,
        case_id=sc.case.pk,
        reason=reason,
        notices=notices,
        signposting=["victim-support"],
    )
    mine = notices_for(sc.harmed.user, sc.case.pk)["notices"][0]
    assert [s["name"] for s in mine["signposting"]] == ["Victim Support"]
    assert mine["facts"] == {"signposting": ["victim-support"]}
