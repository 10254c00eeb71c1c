"""Who may reach a case (relay.cases.access): each ``access_case_as_*`` for every role, and a
facilitator who is unassigned loses the case at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from relay.accounts.models import Role
from relay.cases import access
from relay.cases import actions as case_actions
from relay.errors import AccessDenied, NotSignedIn
from tests.factories import ShuttleCase, make_case, make_person, verified_session

pytestmark = pytest.mark.django_db

RULES: dict[str, Callable[[Any, Any], Any]] = {
    "participant": access.access_case_as_participant,
    "facilitator": access.access_case_as_facilitator,
    "member": access.access_case_as_member,
    "manager": access.access_case_as_manager,
}

# Who each rule lets in; everyone else gets the one AccessDenied.
ALLOWED: dict[str, set[str]] = {
    "participant": {"harmed", "responsible"},
    "facilitator": {"facilitator"},
    "member": {"harmed", "responsible", "facilitator"},
    "manager": {"manager"},
}


def people(sc: ShuttleCase) -> dict[str, Any]:
    other = make_case()
    return {
        "harmed": sc.harmed.user,
        "responsible": sc.responsible.user,
        "facilitator": sc.facilitator.user,
        "manager": sc.manager.user,
        "facilitator of another case": other.facilitator.user,
        "participant of another case": other.harmed.user,
        "admin": make_person(Role.ADMIN).user,
    }


@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_rule_lets_in_exactly_its_roles(rule: str) -> None:
    sc = make_case()
    for name, user in people(sc).items():
        allowed = name in ALLOWED[rule] or (rule == "manager" and name == "admin")
        if allowed:
            assert RULES[rule](user, sc.case.pk) is not None, name
        else:
            with pytest.raises(AccessDenied):
                RULES[rule](user, sc.case.pk)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_an_unknown_or_malformed_case_id_is_refused_like_another_persons(rule: str) -> None:
    sc = make_case()
    allowed = {
        "participant": sc.harmed,
        "facilitator": sc.facilitator,
        "member": sc.harmed,
        "manager": sc.manager,
    }[rule].user
    for case_id in ("not-a-uuid", None, "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(AccessDenied):
            RULES[rule](allowed, case_id)


def test_anonymous_is_told_to_sign_in() -> None:
    sc = make_case()
    for rule in RULES.values():
        with pytest.raises(NotSignedIn):
            rule(None, sc.case.pk)


def test_an_unassigned_facilitator_loses_the_case_at_once() -> None:
    sc = make_case(co_facilitator=True)
    assert sc.co_facilitator is not None
    leaving = sc.co_facilitator
    client = verified_session(Client(), leaving)
    assert client.get(f"/api/cases/{sc.id}").status_code == 200
    assert client.get(f"/api/cases/{sc.id}/queue").status_code == 200
    assert sc.case.pk in access.readable_case_ids(leaving.user)

    case_actions.unassign_facilitator(
        actor=sc.manager.user, case_id=sc.case.pk, facilitator=leaving.user
    )
    with pytest.raises(AccessDenied):
        access.access_case_as_facilitator(leaving.user, sc.case.pk)
    assert client.get(f"/api/cases/{sc.id}").status_code == 404
    assert client.get(f"/api/cases/{sc.id}/queue").status_code == 404
    assert sc.case.pk not in access.readable_case_ids(leaving.user)
    assert sc.case.pk in access.readable_case_ids(sc.facilitator.user)
    assert access.readable_case_ids(sc.harmed.user) == {sc.case.pk}
