"""The open follow-ups on a hub manager's statistics page read as words: what was agreed by
its label, the day as a date, never the wire values."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from relay.accounts.models import Role
from relay.outcomes.states import AgreementItemInput, OutcomeInput
from tests.cases.endings import concluded_case
from tests.factories import make_person, verified_session

pytestmark = pytest.mark.django_db


def test_a_hub_manager_reads_what_was_agreed_and_when_to_follow_it_up(client: Client) -> None:
    sc = concluded_case(
        outcome=OutcomeInput(
            agreement=(AgreementItemInput("reparation", datetime.date(2099, 1, 15)),),
            delivery_modes=("conference",),
        )
    )
    verified_session(client, make_person(Role.HUB_MANAGER))
    html = client.get("/statistics").content.decode()
    row = html[html.index(f"<th scope=\"row\">{sc.case.reference}</th>") :].split("</tr>")[0]
    assert "<td>Reparation (putting something right)</td>" in row
    assert "<td>15 January 2099</td>" in row
    assert "reparation<" not in row and "2099-01-15" not in row


def test_a_commissioner_sees_no_follow_ups(client: Client) -> None:
    concluded_case()
    verified_session(client, make_person(Role.COMMISSIONER))
    html = client.get("/statistics").content.decode()
    assert "follow-up-table" not in html
