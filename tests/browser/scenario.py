"""Setting up cases for the browser tests through the factories and the real actions."""

from __future__ import annotations

from dataclasses import dataclass

from django.test import Client

from relay.accounts.models import Role
from relay.cases import actions as case_actions
from relay.cases.models import Case, Participation, ParticipationState
from tests.factories import (
    Person,
    enrol_with_code_of,
    make_person,
    record_assessment,
    verified_session,
)

# Typed into every field whose content must never leave the browser in clear.
SENTINEL = "S3NT1N3L"


@dataclass
class Scenario:
    case: Case
    facilitator: Person
    harmed: Person
    responsible: Person


def case_awaiting_enrolment() -> Scenario:
    """A case whose person harmed has an account but no password or key yet."""
    manager = make_person(Role.HUB_MANAGER)
    facilitator = make_person(Role.FACILITATOR)
    harmed = make_person(Role.PARTICIPANT, with_key=False)
    responsible = make_person(Role.PARTICIPANT, with_key=False)
    case = case_actions.create_case(actor=manager.user, reference=f"RJ-B{harmed.user.pk.hex[:6]}")
    case_actions.assign_facilitator(
        actor=manager.user, case_id=case.pk, facilitator=facilitator.user
    )
    case_actions.add_participant(
        actor=manager.user, case_id=case.pk, user=harmed.user, side="harmed"
    )
    case_actions.add_participant(
        actor=manager.user, case_id=case.pk, user=responsible.user, side="responsible"
    )
    # The person responsible enrolled with this case's code: their key is trusted here.
    enrol_with_code_of(case, facilitator, responsible, "responsible")
    return Scenario(case, facilitator, harmed, responsible)


def start_communication(scenario: Scenario) -> None:
    """Assessment done and consent recorded: what the facilitator does after enrolment."""
    f = scenario.facilitator.user
    case_id = scenario.case.pk
    case_actions.begin_assessment(actor=f, case_id=case_id)
    record_assessment(actor=f, case_id=case_id)
    case_actions.record_suitability(actor=f, case_id=case_id, suitable=True)
    for p in Participation.objects.filter(case_id=case_id):
        if p.state == ParticipationState.INVITED:
            case_actions.record_enrolment(actor=f, participation_id=p.pk)
        case_actions.record_consent(actor=f, case_id=case_id, side=p.side, modes=["messages"])
    case_actions.start_communication(actor=f, case_id=case_id)


def invitation_code(scenario: Scenario, side: str) -> str:
    """An enrolment code, asked for over HTTP as the facilitator's client does."""
    client = verified_session(Client(), scenario.facilitator)
    response = client.post(
        f"/api/cases/{scenario.case.pk}/invitations",
        {"side": side},
        content_type="application/json",
    )
    assert response.status_code in (200, 201), response.content
    return str(response.json()["code"])
