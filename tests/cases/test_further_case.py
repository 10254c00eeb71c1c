"""A person who has enrolled already and is added to a further case takes part there as
``enrolled`` at once (a code is refused for them, ``already_enrolled``), so the facilitator
of that case goes on to consent; their key is trusted there only once a facilitator of that
case verifies it."""

from __future__ import annotations

import pytest

from relay.accounts.models import Role
from relay.audit.models import AuditEvent, AuditEventType
from relay.cases import actions as case_actions
from relay.cases import participants
from relay.cases.models import Case, Participation, ParticipationState
from relay.errors import IllegalTransition, InvalidRequest
from tests.factories import (
    ShuttleCase,
    enrol_with_code_of,
    make_case,
    make_person,
    record_assessment,
)
from tests.moderation.helpers import forward, http_call, http_client, submit

pytestmark = pytest.mark.django_db


def further_case(first: ShuttleCase) -> ShuttleCase:
    """A second case: the person harmed of ``first`` (enrolled there) is its person harmed,
    a person not enrolled anywhere is its person responsible."""
    manager = make_person(Role.HUB_MANAGER)
    facilitator = make_person(Role.FACILITATOR)
    responsible = make_person(Role.PARTICIPANT, with_key=False)
    case = case_actions.create_case(actor=manager.user, reference="RJ-FURTHER")
    case_actions.assign_facilitator(
        actor=manager.user, case_id=case.pk, facilitator=facilitator.user
    )
    for person, side in ((first.harmed, "harmed"), (responsible, "responsible")):
        case_actions.add_participant(
            actor=manager.user, case_id=case.pk, user=person.user, side=side
        )
    return ShuttleCase(case, manager, facilitator, first.harmed, responsible)


def added_audits(case: Case) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(case_id=case.pk).filter(
            event_type__in=[
                AuditEventType.PARTICIPANT_ADDED,
                AuditEventType.PARTICIPATION_STATE_CHANGED,
            ]
        )
    )


def test_an_enrolled_person_added_to_a_further_case_is_enrolled_there_in_one_audit_event():
    first = make_case()
    sc = further_case(first)
    states = dict(Participation.objects.filter(case=sc.case).values_list("side", "state"))
    assert states == {"harmed": ParticipationState.ENROLLED, "responsible": "invited"}
    audits = added_audits(sc.case)
    assert [a.event_type for a in audits] == [AuditEventType.PARTICIPANT_ADDED] * 2
    assert {a.data["side"]: a.data["state"] for a in audits} == {
        "harmed": "enrolled",
        "responsible": "invited",
    }
    # A code is still refused for them: their one key and password serve every case.
    with pytest.raises(InvalidRequest) as refused:
        participants.invite_participant(
            actor=sc.facilitator.user, case_id=sc.case.pk, side="harmed"
        )
    assert refused.value.code == "already_enrolled"


def test_a_refused_addition_changes_nothing():
    first = make_case()
    sc = further_case(first)
    before = (Participation.objects.count(), AuditEvent.objects.count())
    with pytest.raises(InvalidRequest):
        case_actions.add_participant(
            actor=sc.manager.user, case_id=sc.case.pk, user=first.responsible.user, side="harmed"
        )
    assert (Participation.objects.count(), AuditEvent.objects.count()) == before


def test_the_facilitator_goes_on_and_forwards_once_they_verified_the_key_in_this_case():
    first = make_case()
    sc = further_case(first)
    enrol_with_code_of(sc.case, sc.facilitator, sc.responsible, "responsible")
    f = sc.facilitator.user
    case_actions.begin_assessment(actor=f, case_id=sc.case.pk)
    record_assessment(actor=f, case_id=sc.case.pk)
    case_actions.record_suitability(actor=f, case_id=sc.case.pk, suitable=True)
    for side in ("harmed", "responsible"):
        case_actions.record_consent(actor=f, case_id=sc.case.pk, side=side, modes=["messages"])
    case_actions.start_communication(actor=f, case_id=sc.case.pk)
    sc.case.refresh_from_db()

    message = submit(sc, sc.responsible, "I would like to explain.")
    with pytest.raises(IllegalTransition) as blocked:
        forward(sc, message)
    assert blocked.value.code == "key_unverified"
    message.refresh_from_db()
    assert message.state == "submitted"

    # A verification in the first case does not count here; one by this case's facilitator
    # (over HTTP, as their client does) does.
    assert sc.harmed.keypair is not None
    key_id = sc.harmed.keypair.key_id
    participants.verify_key(actor=first.facilitator.user, case_id=first.case.pk, key_id=key_id)
    with pytest.raises(IllegalTransition) as still:
        forward(sc, message)
    assert still.value.code == "key_unverified"
    status, body = http_call(
        http_client(sc.facilitator),
        "POST",
        f"/api/cases/{sc.id}/keys/{key_id}/verify",
        {"method": "in_person"},
    )
    assert (status, body) == (200, {"key_id": key_id, "verified": True})
    forwarded = forward(sc, message)
    assert key_id in {k.recipient_key_id for k in forwarded.keys.all()}
