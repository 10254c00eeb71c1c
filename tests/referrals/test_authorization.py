"""The new roles' columns of the authorization table for the hub's and the intake's
endpoints: a professional referrer and an admin (tests/api/test_authorization.py has the
other roles' rows for the same operations, built the same way)."""

from __future__ import annotations

import pytest

from relay.accounts.models import Role
from tests.api.test_authorization import (
    INTAKE,
    build_world,
    check_allowed_effect,
    fields_for,
)
from tests.factories import make_person
from tests.moderation.helpers import ALLOWED, assert_plain_english, counts, http_client, via_http

A = ALLOWED
#                          referrer admin
EXPECTED: dict[str, tuple[object, object]] = {
    "hub":                 (A,   A),
    "update_hub":          (404, A),
    "intake_key":          (404, A),
    "create_intake_key":   (404, A),
    # The admin holds no intake key made before their account: only a holder shares it.
    "share_intake_key":    (404, 404),
    "referral_challenge":  (A,   A),
    "refer":               (A,   A),
    "referral_status":     (A,   A),
    "refer_someone":       (A,   404),
    "my_referrals":        (A,   404),
    "referrals":           (404, A),
    "accept_referral":     (404, A),
    "decline_referral":    (404, A),
    "facilitators":        (404, A),
    "assign_facilitator":  (404, A),
}  # fmt: skip

TABLE = [
    (op, role, EXPECTED[op][i])
    for op in EXPECTED
    for i, role in enumerate((Role.REFERRER, Role.ADMIN))
]


def test_every_intake_operation_has_a_row() -> None:
    assert set(EXPECTED) == INTAKE | {"hub", "update_hub"}


@pytest.mark.django_db
@pytest.mark.parametrize(("op", "role", "expected"), TABLE)
def test_http(op: str, role: str, expected: object) -> None:
    world = build_world(op, "hub_manager")
    person = make_person(role)
    fields = fields_for(op, world, "hub_manager")
    before = counts()
    status, body = via_http(http_client(person), op, **fields)
    if expected == ALLOWED:
        assert status in (200, 201), body
        check_allowed_effect(op, before)
        return
    assert status == expected, body
    assert_plain_english(body["error"]["message"])
    assert counts() == before
