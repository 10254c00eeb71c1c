"""The authorization table: every HTTP endpoint that touches case data and every WebSocket
operation frame, for every role.

Each cell builds a fresh case and makes the request the role's own client would make (an
envelope sealed with their own key, for this case). "allowed" means the request succeeded;
a number is the HTTP status (404 is the same for "missing" and "not yours"). On the
WebSocket, 404 and 409 arrive as error frames with codes ``not_found`` and ``conflict``,
and 401 and 403 mean the socket was refused at connect (4401, 4403). A refused cell must
leave nothing behind; an allowed cell for someone outside the case must not mention it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from relay.accounts.models import Role
from relay.cases import actions as case_actions
from relay.consumers import CLOSE_SECOND_FACTOR, CLOSE_UNAUTHENTICATED
from relay.moderation import actions as moderation
from relay.moderation.models import Message
from relay.operations import OPERATIONS
from tests.envelopes import seal_from
from tests.factories import Person, ShuttleCase, make_case, make_person
from tests.moderation.helpers import (
    ALLOWED,
    HTTP_ROUTES,
    assert_plain_english,
    counts,
    http_client,
    sockets,
    submit,
    via_http,
)

ROLES = (
    "participant",
    "other_party",
    "facilitator",
    "other_facilitator",
    "hub_manager",
    "anonymous",
    "staff_without_second_factor",
)

A = ALLOWED
#                 participant other_party facilitator other_fac manager anonymous no_2fa
EXPECTED: dict[str, tuple[Any, ...]] = {
    "send":       (A,   A,   A,   404, 404, 401, 403),
    "forward":    (404, 404, A,   404, 404, 401, 403),
    "return":     (404, 404, A,   404, 404, 401, 403),
    "reject":     (404, 404, A,   404, 404, 401, 403),
    "retract":    (A,   404, 404, 404, 404, 401, 403),
    "message":    (A,   404, A,   404, 404, 401, 403),
    "cases":      (A,   A,   A,   A,   A,   401, 403),
    "case":       (A,   A,   A,   404, 404, 401, 403),
    "queue":      (404, 404, A,   404, 404, 401, 403),
    "pause":      (A,   A,   A,   404, 404, 401, 403),
    # The case is paused by the participant and, for safety, by a facilitator: the other
    # party has nothing of theirs to resume.
    "resume":     (A,   409, A,   404, 404, 401, 403),
    "withdraw":   (A,   A,   404, 404, 404, 401, 403),
    "events":     (A,   A,   A,   A,   A,   401, 403),
    "verify_key": (404, 404, A,   404, 404, 401, 403),
}  # fmt: skip

TABLE = {(op, role): EXPECTED[op][i] for op in EXPECTED for i, role in enumerate(ROLES)}
WS_CODES = {404: "not_found", 409: "conflict"}
WS_CLOSES = {401: CLOSE_UNAUTHENTICATED, 403: CLOSE_SECOND_FACTOR}


@dataclass
class World:
    sc: ShuttleCase
    other_facilitator: Person
    pending: Message

    def person(self, role: str) -> Person | None:
        return {
            "participant": self.sc.harmed,
            "other_party": self.sc.responsible,
            "facilitator": self.sc.facilitator,
            "other_facilitator": self.other_facilitator,
            "hub_manager": self.sc.manager,
            "anonymous": None,
            "staff_without_second_factor": self.sc.facilitator,
        }[role]


def build_world(op: str) -> World:
    sc = make_case()
    # A facilitator with a case of their own, not this one.
    other = make_person(Role.FACILITATOR)
    elsewhere = case_actions.create_case(
        actor=sc.manager.user, reference=f"RJ-O{sc.case.reference}"
    )
    case_actions.assign_facilitator(
        actor=sc.manager.user, case_id=elsewhere.pk, facilitator=other.user
    )
    pending = submit(sc, sc.harmed)
    if op == "resume":
        moderation.pause(actor=sc.harmed.user, case_id=sc.case.pk)
        moderation.pause(actor=sc.facilitator.user, case_id=sc.case.pk)
    return World(sc, other, pending)


def fields_for(op: str, world: World, role: str) -> dict[str, Any]:
    """What this role's client would send for ``op``, sealed with their own key."""
    sc, pending = world.sc, world.pending
    person = world.person(role) or sc.facilitator
    staff = person.user.role != Role.PARTICIPANT
    if op == "send":
        if staff:
            raw = seal_from(
                person, sc, "facilitator_note", "n", to=[sc.facilitator, sc.harmed, person]
            )
        else:
            raw = seal_from(person, sc, "question", "q")
        return {"envelope": raw}
    if op in ("forward", "return", "reject"):
        kind, target = {
            "forward": ("question", sc.responsible),
            "return": ("return_note", sc.harmed),
            "reject": ("rejection_reason", sc.harmed),
        }[op]
        raw = seal_from(
            person, sc, kind, "d", to=[sc.facilitator, target, person], derived_from=str(pending.pk)
        )
        return {"message_id": str(pending.pk), "envelope": raw}
    if op in ("retract", "message"):
        return {"message_id": str(pending.pk)}
    if op in ("case", "queue", "pause", "resume", "withdraw"):
        return {"case_id": sc.id}
    if op == "verify_key":
        assert sc.harmed.keypair is not None
        return {"case_id": sc.id, "key_id": sc.harmed.keypair.key_id}
    return {}


WRITES = {op for op, (method, _) in HTTP_ROUTES.items() if method == "POST"}


def check_allowed_effect(op: str, before: dict[str, int]) -> None:
    """An allowed write ran its action (each writes one audit event); a read wrote nothing."""
    after = counts()
    if op in WRITES:
        assert after["audit_events"] == before["audit_events"] + 1, (before, after)
    else:
        assert after == before


def check_no_leak(world: World, role: str, result: Any) -> None:
    if role in ("other_facilitator", "hub_manager"):
        assert world.sc.id not in json.dumps(result), f"{role} was told about a case not theirs"


def test_the_table_covers_every_endpoint_and_operation() -> None:
    assert set(EXPECTED) == set(HTTP_ROUTES)
    assert set(OPERATIONS) <= set(EXPECTED)
    from relay.accounts import views as account_views
    from relay.api import views as api_views

    routes = {str(p.pattern) for p in api_views.urlpatterns}
    routes |= {str(p.pattern) for p in account_views.urlpatterns if "cases/" in str(p.pattern)}
    tabled = {
        t.removeprefix("/api/")
        .replace("{case_id}", "<uuid:case_id>")
        .replace("{message_id}", "<uuid:message_id>")
        .replace("{key_id}", "<str:key_id>")
        for _, t in HTTP_ROUTES.values()
    }
    assert routes == tabled


@pytest.mark.django_db
@pytest.mark.parametrize(("op", "role"), list(TABLE))
def test_http(op: str, role: str) -> None:
    world = build_world(op)
    person = world.person(role)
    client = http_client(person, second_factor=role != "staff_without_second_factor")
    before = counts()
    status, body = via_http(client, op, **fields_for(op, world, role))
    expected = TABLE[op, role]
    if expected == ALLOWED:
        assert status in (200, 201), body
        check_no_leak(world, role, body)
        check_allowed_effect(op, before)
        return
    assert status == expected, body
    assert_plain_english(body["error"]["message"])
    assert counts() == before


WS_TABLE = [(op, role) for (op, role) in TABLE if op in OPERATIONS]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("op", "role"), WS_TABLE)
def test_websocket(op: str, role: str) -> None:
    expected = TABLE[op, role]
    world = build_world(op)
    person = world.person(role)
    with sockets() as opened:
        if expected in WS_CLOSES:
            refused = opened.open(
                person, second_factor=role != "staff_without_second_factor", refused=True
            )
            assert refused.close_code == WS_CLOSES[expected]
            return
        assert person is not None
        socket = opened.open(person)
        before = counts()
        frame = socket.request(op, **fields_for(op, world, role))
        if expected == ALLOWED:
            assert frame["type"] == "reply", frame
            check_no_leak(world, role, frame)
            check_allowed_effect(op, before)
            return
        assert frame["type"] == "error" and frame["code"] == WS_CODES[expected], frame
        assert_plain_english(frame["message"])
        assert counts() == before
