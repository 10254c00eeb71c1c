"""The authorization table: every HTTP endpoint and every WebSocket operation frame, for
every role.

Each cell builds a fresh case and makes the request the role's own client would make (an
envelope sealed with their own key, for this case; their own login key). "allowed" means
the request succeeded; a number is the HTTP status (404 is the same for "missing" and "not
yours"). On the WebSocket, 404 and 409 arrive as error frames with codes ``not_found`` and
``conflict``, and 401 and 403 mean the socket was refused at connect (4401, 4403). A refused
cell must leave nothing behind; an allowed write records exactly one audit event; an allowed
cell for someone outside the case must not mention it. Every ``api/`` route and every frame
type must have a row here (``test_the_table_covers_every_endpoint_and_operation``).
"""

from __future__ import annotations

import base64
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, include, path
from django_otp.plugins.otp_totp.models import TOTPDevice

from relay.accounts import actions as account_actions
from relay.accounts.models import Role
from relay.cases import actions as case_actions
from relay.consumers import CLOSE_SECOND_FACTOR, CLOSE_UNAUTHENTICATED, RelayConsumer
from relay.moderation.models import Message
from relay.operations import OPERATIONS
from relay_client import crypto
from relay_client.crypto import KeyPair
from tests.cases.endings import case_with_follow_up_due, concluded_case
from tests.envelopes import seal_from
from tests.factories import Person, ShuttleCase, make_case, make_person, password_keys
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
    "commissioner",
)

A = ALLOWED
#                 participant other_party facilitator other_fac manager anonymous no_2fa
EXPECTED: dict[str, tuple[Any, ...]] = {
    "send":       (A,   A,   A,   404, 404, 401, 403, 404),
    "forward":    (404, 404, A,   404, 404, 401, 403, 404),
    "return":     (404, 404, A,   404, 404, 401, 403, 404),
    "reject":     (404, 404, A,   404, 404, 401, 403, 404),
    "retract":    (A,   404, 404, 404, 404, 401, 403, 404),
    "message":    (A,   404, A,   404, 404, 401, 403, 404),
    "cases":      (A,   A,   A,   A,   A,   401, 403, A),
    "case":       (A,   A,   A,   404, 404, 401, 403, 404),
    "queue":      (404, 404, A,   404, 404, 401, 403, 404),
    "pause":      (A,   A,   A,   404, 404, 401, 403, 404),
    # The case is paused by the participant and, for safety, by a facilitator: the other
    # party has nothing of theirs to resume.
    "resume":     (A,   409, A,   404, 404, 401, 403, 404),
    "withdraw":   (A,   A,   404, 404, 404, 401, 403, 404),
    "events":     (A,   A,   A,   A,   A,   401, 403, A),
    "verify_key": (404, 404, A,   404, 404, 401, 403, 404),
    # A participant's enrolment, reset and recovery: facilitators of the case only.
    "invite_participant":  (404, 404, A,   404, 404, 401, 403, 404),
    "reset_participant":   (404, 404, A,   404, 404, 401, 403, 404),
    "history_to_rewrap":   (404, 404, A,   404, 404, 401, 403, 404),
    "rewrap":              (404, 404, A,   404, 404, 401, 403, 404),
    # Staff accounts: the hub manager only.
    "invite_staff":        (404, 404, 404, 404, A,   401, 403, 404),
    "suspend":             (404, 404, 404, 404, A,   401, 403, 404),
    "reinstate":           (404, 404, 404, 404, A,   401, 403, 404),
    "reset_staff":         (404, 404, 404, 404, A,   401, 403, 404),
    # With a code: whoever holds it, signed in or not (enrolling signs the holder in).
    "enrol_check":         (A,   A,   A,   A,   A,   A,   A, A),
    "enrol":               (A,   A,   A,   A,   A,   A,   A, A),
    # The caller's own account. The second factor is set up and passed before it is
    # needed, so those answer a staff member without it; participants have none to pass.
    "me":                  (A,   A,   A,   A,   A,   401, A, A),
    "keys":                (A,   A,   A,   A,   A,   401, 403, A),
    "wrapped_key":         (A,   A,   A,   A,   A,   401, 403, A),
    "recovery_wrap":       (A,   A,   A,   A,   A,   401, 403, A),
    "store_recovery_wrap": (A,   A,   A,   A,   A,   401, 403, A),
    "password":            (A,   A,   A,   A,   A,   401, 403, A),
    "otp_setup":           (A,   A,   A,   A,   A,   401, 400, A),
    "otp_confirm":         (A,   A,   A,   A,   A,   401, 400, A),
    "otp_verify":          (400, 400, A,   A,   A,   401, A, A),
    # Before there is a session: anyone.
    "csrf":                (A,   A,   A,   A,   A,   A,   A, A),
    "salt":                (A,   A,   A,   A,   A,   A,   A, A),
    "sign_in":             (A,   A,   A,   A,   A,   A,   A, A),
    "sign_out":            (A,   A,   A,   A,   A,   A,   A, A),
    # Ending a case: its facilitators conclude; they or a hub manager close.
    "conclude":            (404, 404, A,   404, 404, 401, 403, 404),
    "close":               (404, 404, A,   404, A,   401, 403, 404),
    # Follow-ups: a facilitator's own cases, or the hub manager's list of all.
    "follow_ups":          (404, 404, A,   A,   A,   401, 403, 404),
    "record_follow_up":    (404, 404, A,   404, 404, 401, 403, 404),
    # The survey: the participant it is offered to; a facilitator offers it after a
    # withdrawal.
    "survey":              (A,   A,   404, 404, 404, 401, 403, 404),
    "answer_survey":       (A,   A,   404, 404, 404, 401, 403, 404),
    "decline_survey":      (A,   A,   404, 404, 404, 401, 403, 404),
    "offer_survey":        (404, 404, A,   404, 404, 401, 403, 404),
    # Aggregate figures only: the commissioner and the hub manager. Comments: the hub
    # managers they are sealed to.
    "statistics":          (404, 404, 404, 404, A,   401, 403, A),
    "survey_comments":     (404, 404, 404, 404, A,   401, 403, 404),
}  # fmt: skip

TABLE = {(op, role): EXPECTED[op][i] for op in EXPECTED for i, role in enumerate(ROLES)}
WS_CODES = {404: "not_found", 409: "conflict"}
WS_CLOSES = {401: CLOSE_UNAUTHENTICATED, 403: CLOSE_SECOND_FACTOR}


@dataclass
class World:
    sc: ShuttleCase
    other_facilitator: Person
    pending: Message | None
    commissioner: Person | None = None
    # What some operations need besides the case: a staff member for the manager's
    # operations, an enrolment code, a participant's new key, an authenticator being set up.
    extra: dict[str, Any] = field(default_factory=dict)

    def person(self, role: str) -> Person | None:
        return {
            "participant": self.sc.harmed,
            "other_party": self.sc.responsible,
            "facilitator": self.sc.facilitator,
            "other_facilitator": self.other_facilitator,
            "hub_manager": self.sc.manager,
            "anonymous": None,
            "staff_without_second_factor": self.sc.facilitator,
            "commissioner": self.commissioner,
        }[role]


_unique = itertools.count(1)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def case_with_a_newcomer() -> ShuttleCase:
    """A case whose responsible person has an account but has not enrolled yet (no key),
    so a facilitator may issue their enrolment code."""
    manager, facilitator = make_person(Role.HUB_MANAGER), make_person(Role.FACILITATOR)
    harmed = make_person(Role.PARTICIPANT)
    responsible = make_person(Role.PARTICIPANT, with_key=False)
    case = case_actions.create_case(actor=manager.user, reference=f"RJ-N{next(_unique):05d}")
    case_actions.assign_facilitator(
        actor=manager.user, case_id=case.pk, facilitator=facilitator.user
    )
    for person, side in ((harmed, "harmed"), (responsible, "responsible")):
        case_actions.add_participant(
            actor=manager.user, case_id=case.pk, user=person.user, side=side
        )
    return ShuttleCase(case, manager, facilitator, harmed, responsible)


ENDED = {"record_follow_up", "survey", "answer_survey", "decline_survey"}


def build_world(op: str, role: str) -> World:
    if op == "invite_participant":
        sc = case_with_a_newcomer()
    elif op == "record_follow_up":
        sc, item = case_with_follow_up_due()
    elif op in ENDED:
        sc = concluded_case()
    else:
        sc = make_case()
    # A facilitator with a case of their own, not this one.
    other = make_person(Role.FACILITATOR)
    elsewhere = case_actions.create_case(
        actor=sc.manager.user, reference=f"RJ-O{sc.case.reference}"
    )
    case_actions.assign_facilitator(
        actor=sc.manager.user, case_id=elsewhere.pk, facilitator=other.user
    )
    pending = submit(sc, sc.harmed) if op != "invite_participant" and op not in ENDED else None
    world = World(sc, other, pending, make_person(Role.COMMISSIONER))
    if op == "record_follow_up":
        world.extra["item"] = str(item)
    if op == "offer_survey":
        case_actions.withdraw(actor=sc.harmed.user, case_id=sc.case.pk)
    if op == "resume":
        case_actions.pause(actor=sc.harmed.user, case_id=sc.case.pk)
        case_actions.pause(actor=sc.facilitator.user, case_id=sc.case.pk)
    if op in ("suspend", "reinstate", "reset_staff"):
        staff = make_person(Role.FACILITATOR)
        if op == "reinstate":
            account_actions.suspend_account(actor=sc.manager.user, user_id=staff.user.pk)
        world.extra["staff"] = staff
    if op in ("enrol", "enrol_check"):
        code, invitation = account_actions.invite_staff(
            actor=sc.manager.user,
            username=f"newcomer{next(_unique)}",
            role="facilitator",
            display_name="New",
        )
        world.extra["code"], world.extra["invited"] = code, invitation.user
    if op == "rewrap":
        # The participant has a new key the message was not sealed to.
        keys = password_keys(sc.harmed.user)
        new = KeyPair.generate()
        account_actions.register_key(
            actor=sc.harmed.user,
            public_key=new.public,
            wrapped=crypto.wrap_secret_key(new.secret, keys.wrap_key),
            login_key=keys.login_key_b64,
        )
        world.extra["new_key"] = new
    if op == "otp_confirm" and (person := world.person(role)) is not None:
        # The caller started setting up an authenticator: the code is one it shows now.
        device = account_actions.begin_totp_setup(actor=person.user, verified=True)
        world.extra["totp"] = device
    if op == "recovery_wrap" and (person := world.person(role)) is not None:
        account_actions.store_recovery_wrap(actor=person.user, nonce=bytes(24), box=bytes(48))
    return world


def totp_now(device: TOTPDevice) -> str:
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def fields_for(op: str, world: World, role: str) -> dict[str, Any]:
    """What this role's client would send for ``op``, sealed with their own key."""
    sc, pending = world.sc, world.pending
    person = world.person(role) or sc.facilitator
    if op == "invite_participant":
        return {"case_id": sc.id, "side": "responsible"}
    ending = {
        "conclude": {"case_id": sc.id, "questions_answered": True,
                     "delivery_modes": ["shuttle_messages"]},
        "close": {"case_id": sc.id, "reason": "withdrew", "withdrawn_side": "responsible"},
        "record_follow_up": {"item_id": world.extra.get("item"), "met": True},
        "survey": {"case_id": sc.id},
        "answer_survey": {"case_id": sc.id, "answers": {"felt_heard": "partly"}},
        "decline_survey": {"case_id": sc.id},
        "offer_survey": {"case_id": sc.id, "side": "harmed"},
        "follow_ups": {},
        "statistics": {},
        "survey_comments": {},
    }
    if op in ending:
        return ending[op]
    assert pending is not None
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
    if op == "invite_participant":
        return {"case_id": sc.id, "side": "responsible"}
    if op in ("reset_participant", "history_to_rewrap"):
        return {"case_id": sc.id, "side": "harmed"}
    if op == "rewrap":
        new = world.extra["new_key"]
        return {
            "message_id": str(pending.pk),
            "key_id": new.key_id,
            "nonce": b64(bytes(24)),
            "box": b64(bytes(48)),
        }
    if op == "invite_staff":
        return {"username": "newstaff", "role": "facilitator", "display_name": "New Staff"}
    if op in ("suspend", "reinstate", "reset_staff"):
        return {"user_id": world.extra["staff"].id}
    if op in ("enrol", "enrol_check"):
        if op == "enrol_check":
            return {"code": world.extra["code"]}
        keys = password_keys(world.extra["invited"])
        new = KeyPair.generate()
        nonce, box = crypto.wrap_secret_key(new.secret, keys.wrap_key)
        return {
            "code": world.extra["code"],
            "login_key": keys.login_key_b64,
            "public_key": b64(new.public),
            "wrapped_key_nonce": b64(nonce),
            "wrapped_private_key": b64(box),
        }
    if op in ("keys", "password"):
        keys = password_keys(person.user)
        fresh = KeyPair.generate()
        if op == "password":
            new = password_keys(person.user, "a new password for this account")
            assert person.keypair is not None
            nonce, box = crypto.wrap_secret_key(person.keypair.secret, new.wrap_key)
            return {
                "login_key": keys.login_key_b64,
                "new_login_key": new.login_key_b64,
                "wrapped_key_nonce": b64(nonce),
                "wrapped_private_key": b64(box),
            }
        nonce, box = crypto.wrap_secret_key(fresh.secret, keys.wrap_key)
        return {
            "public_key": b64(fresh.public),
            "login_key": keys.login_key_b64,
            "wrapped_key_nonce": b64(nonce),
            "wrapped_private_key": b64(box),
        }
    if op == "store_recovery_wrap":
        return {"wrapped_key_nonce": b64(bytes(24)), "wrapped_private_key": b64(bytes(48))}
    if op == "otp_confirm":
        device = world.extra.get("totp")
        return {"token": totp_now(device) if device is not None else "123456"}
    if op == "otp_verify":
        otp = person.extra.get("otp_device")
        return {"token": str(otp.token_set.first().token) if otp is not None else "123456"}
    if op == "sign_in":
        login_key = password_keys(person.user).login_key_b64
        return {"username": person.user.username, "login_key": login_key}
    if op == "salt":
        return {"username": person.user.username}
    return {}


def check_allowed_effect(op: str, before: dict[str, int]) -> None:
    """An allowed write ran its action (each writes one audit event); a read wrote nothing."""
    after = counts()
    if OPERATIONS[op].writes:
        assert after["audit_events"] == before["audit_events"] + 1, (before, after)
    else:
        assert after == before


# Operations in which a hub manager acts on the case itself, as its administrator.
MANAGED = {"close"}


def check_no_leak(world: World, role: str, result: Any, op: str = "") -> None:
    if role == "hub_manager" and op in MANAGED:
        return
    if role in ("other_facilitator", "hub_manager", "commissioner"):
        assert world.sc.id not in json.dumps(result), f"{role} was told about a case not theirs"


# --- every endpoint and frame has a row ----------------------------------------------------


def api_routes(patterns: list[Any], prefix: str = "") -> set[str]:
    """Every route under ``api/`` the URL configuration answers, walked recursively."""
    found: set[str] = set()
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found |= api_routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and route.startswith("api/"):
            found.add(route)
    return found


def gaps(routes: set[str], frame_types: set[str], expected: dict[str, Any]) -> set[str]:
    """What the table does not cover: a route no operation declares, an operation without
    an expectations row, a frame type without one."""
    declared = {"api/" + op.http.path for op in OPERATIONS.values() if op.http is not None}
    missing = {f"route {r}" for r in routes - declared}
    missing |= {f"operation {name}" for name in set(OPERATIONS) - set(expected)}
    missing |= {f"frame {t}" for t in frame_types - {"hello", "ping"} - set(expected)}
    return missing


def test_the_table_covers_every_endpoint_and_operation() -> None:
    routes = api_routes(get_resolver().url_patterns)
    assert len(routes) >= len(HTTP_ROUTES) - 3  # three paths answer two methods each
    assert gaps(routes, set(RelayConsumer.FRAME_TYPES), EXPECTED) == set()
    assert set(EXPECTED) == set(OPERATIONS)


def test_a_new_endpoint_or_frame_without_a_row_is_caught() -> None:
    def throwaway(request: Any) -> None:
        raise AssertionError("never called")

    patterns = [
        *get_resolver().url_patterns,
        path("api/", include([path("staff/throwaway", throwaway)])),
    ]
    found = gaps(api_routes(patterns), set(RelayConsumer.FRAME_TYPES) | {"shout"}, EXPECTED)
    assert found == {"route api/staff/throwaway", "frame shout"}
    without_a_row = {k: v for k, v in EXPECTED.items() if k != "salt"}
    assert gaps(api_routes(get_resolver().url_patterns), set(), without_a_row) == {"operation salt"}


@pytest.mark.django_db
@pytest.mark.parametrize(("op", "role"), list(TABLE))
def test_http(op: str, role: str) -> None:
    world = build_world(op, role)
    person = world.person(role)
    client = http_client(person, second_factor=role != "staff_without_second_factor")
    before = counts()
    status, body = via_http(client, op, **fields_for(op, world, role))
    expected = TABLE[op, role]
    if expected == ALLOWED:
        assert status in (200, 201), body
        check_no_leak(world, role, body, op)
        check_allowed_effect(op, before)
        return
    assert status == expected, body
    assert_plain_english(body["error"]["message"])
    assert counts() == before


WS_TABLE = [(op, role) for (op, role) in TABLE if op in RelayConsumer.OPERATION_FRAMES]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("op", "role"), WS_TABLE)
def test_websocket(op: str, role: str) -> None:
    expected = TABLE[op, role]
    world = build_world(op, role)
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
            check_no_leak(world, role, frame, op)
            check_allowed_effect(op, before)
            return
        assert frame["type"] == "error" and frame["code"] == WS_CODES[expected], frame
        assert_plain_english(frame["message"])
        assert counts() == before
