"""Invariant 1: there is no direct path between the parties.

A participant's envelope is accepted only if its recipients are exactly the case's current
facilitators plus the sender's own key, from the sender's own current key, in the right case,
of a participant's kind. Every way of breaking that is tried through the action, the HTTP
API and the WebSocket; each is refused with a plain-English error and stores nothing: no
message, no wrapped key, no event, no audit row. A forward must be a facilitator's new
envelope to the other party and the facilitators, linked to the message it approves.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from relay.moderation.models import Message, MessageState
from relay_client.crypto import KeyPair
from tests.api.test_error_codes import documented
from tests.envelopes import seal_from
from tests.factories import Person, ShuttleCase, make_case
from tests.moderation.helpers import (
    ALLOWED,
    SURFACE_PARAMS,
    assert_plain_english,
    attempt,
    case_with_participant,
    counts,
    forward_envelope,
    http_client,
    sockets,
    submit,
    via_http,
)


def stranger() -> Person:
    """Someone with a key pair the server has never seen."""
    return Person(user=None, keypair=KeyPair.generate())  # type: ignore[arg-type]


def other_party(sc: ShuttleCase) -> dict[str, Any]:
    return seal_from(
        sc.harmed, sc, "question", "q", to=[*sc.facilitators(), sc.harmed, sc.responsible]
    )


def unknown_key(sc: ShuttleCase) -> dict[str, Any]:
    return seal_from(sc.harmed, sc, "question", "q", to=[*sc.facilitators(), sc.harmed, stranger()])


def foreign_facilitator(sc: ShuttleCase) -> dict[str, Any]:
    elsewhere = make_case()
    return seal_from(
        sc.harmed, sc, "question", "q", to=[*sc.facilitators(), sc.harmed, elsewhere.facilitator]
    )


def missing_co_facilitator(sc: ShuttleCase) -> dict[str, Any]:
    assert sc.co_facilitator is not None
    return seal_from(sc.harmed, sc, "question", "q", to=[sc.facilitator, sc.harmed])


def missing_own_key(sc: ShuttleCase) -> dict[str, Any]:
    return seal_from(sc.harmed, sc, "question", "q", to=sc.facilitators())


def claims_other_sender(sc: ShuttleCase) -> dict[str, Any]:
    raw = seal_from(sc.harmed, sc, "question", "q")
    raw["header"]["sender_id"] = sc.responsible.id
    return raw


def claims_other_sender_key(sc: ShuttleCase) -> dict[str, Any]:
    # Sealed with the other party's key pair, but claiming to be from the harmed person.
    raw = seal_from(sc.responsible, sc, "question", "q", to=[*sc.facilitators(), sc.harmed])
    raw["header"]["sender_id"] = sc.harmed.id
    return raw


def moved_to_a_case_not_yours(sc: ShuttleCase) -> dict[str, Any]:
    raw = seal_from(sc.harmed, sc, "question", "q")
    raw["header"]["case_id"] = make_case().id
    return raw


def moved_to_your_other_case(sc: ShuttleCase) -> dict[str, Any]:
    # The sender takes part in a second case; an envelope for this one relabelled as that
    # one still names this case's facilitators, not that case's.
    second = case_with_participant(sc.harmed)
    raw = seal_from(sc.harmed, sc, "note_to_facilitator", "q")
    raw["header"]["case_id"] = str(second.pk)
    return raw


def facilitator_kind(sc: ShuttleCase) -> dict[str, Any]:
    return seal_from(sc.harmed, sc, "facilitator_note", "q")


def forged_forward(sc: ShuttleCase) -> dict[str, Any]:
    # A participant cannot dress their message up as a forward of someone else's.
    pending = submit(sc, sc.responsible)
    return seal_from(sc.harmed, sc, "question", "q", derived_from=str(pending.pk))


REFUSALS: dict[str, tuple[Callable[[ShuttleCase], dict[str, Any]], str]] = {
    "names the other party": (other_party, "recipients_forbidden"),
    "names an unknown key": (unknown_key, "recipients_forbidden"),
    "names another case's facilitator": (foreign_facilitator, "recipients_forbidden"),
    "omits a current facilitator": (missing_co_facilitator, "recipients_missing"),
    "omits the sender's own key": (missing_own_key, "recipients_missing"),
    "claims another sender": (claims_other_sender, "wrong_sender"),
    "claims another sender's key": (claims_other_sender_key, "wrong_sender_key"),
    "moved to a case the sender is not in": (moved_to_a_case_not_yours, "not_found"),
    "moved to the sender's other case": (moved_to_your_other_case, "recipients_forbidden"),
    "uses a facilitator-only kind": (facilitator_kind, "bad_kind"),
    "poses as a revision of another's message": (forged_forward, "bad_kind"),
}


def documented_status(code: str) -> str:
    """The one HTTP status docs/api.md ("Error codes") gives ``code``."""
    statuses = [status for status, documented_code in documented() if documented_code == code]
    assert len(statuses) == 1 and statuses[0] != "–", (code, statuses)
    return statuses[0]


def refused_everywhere(
    surface: str, sc: ShuttleCase, person: Person, op: str, expected: str, **fields: Any
) -> None:
    before = counts()
    if surface == "ws":
        with sockets() as opened:
            socket = opened.open(person)
            before = counts()
            code, message = attempt(surface, person, op, socket=socket, **fields)
            assert socket.quiet(), "a refused request must not push anything"
    elif surface == "http":
        status, body = via_http(http_client(person), op, **fields)
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
        code, message = body["error"]["code"], body["error"]["message"]
        assert (status, code) == (int(documented_status(expected)), expected), message
    else:
        code, message = attempt(surface, person, op, **fields)
    assert (code, surface) == (expected, surface), message
    assert_plain_english(message)
    assert counts() == before, "a refused envelope must leave nothing stored"


@pytest.mark.parametrize("surface", SURFACE_PARAMS)
@pytest.mark.parametrize("name", list(REFUSALS))
def test_participant_envelope_outside_the_rule_is_refused(surface: str, name: str) -> None:
    build, expected = REFUSALS[name]
    sc = make_case(co_facilitator=True)
    raw = build(sc)
    refused_everywhere(surface, sc, sc.harmed, "send", expected, envelope=raw)


@pytest.mark.parametrize("surface", SURFACE_PARAMS)
def test_the_correct_envelope_is_accepted(surface: str) -> None:
    """The control: the same path with the right recipients stores exactly one message."""
    sc = make_case(co_facilitator=True)
    raw = seal_from(sc.harmed, sc, "question", "q")
    if surface == "ws":
        with sockets() as opened:
            socket = opened.open(sc.harmed)
            before = counts()
            code, _ = attempt(surface, sc.harmed, "send", socket=socket, envelope=raw)
    else:
        before = counts()
        code, _ = attempt(surface, sc.harmed, "send", envelope=raw)
    assert code == ALLOWED
    after = counts()
    assert after["messages"] == before["messages"] + 1
    assert after["message_keys"] == before["message_keys"] + len(raw["header"]["recipient_key_ids"])
    stored = Message.objects.get(pk=raw["header"]["message_id"])
    assert stored.state == MessageState.SUBMITTED
    assert (
        sorted(k.recipient_key_id for k in stored.keys.all()) == raw["header"]["recipient_key_ids"]
    )


# --- forwarding -------------------------------------------------------------------------------


def to_original_sender(sc: ShuttleCase, pending: Message) -> tuple[Person, dict[str, Any]]:
    return sc.facilitator, forward_envelope(
        sc, sc.facilitator, pending, to=[*sc.facilitators(), sc.harmed]
    )


def to_the_other_party_of_a_return(
    sc: ShuttleCase, pending: Message
) -> tuple[Person, dict[str, Any]]:
    # Naming the writer is allowed only on a forward of their own message: not on any
    # other decision. This is a forward of the harmed person's message that also names a
    # stranger's key in the writer's place.
    return sc.facilitator, forward_envelope(
        sc, sc.facilitator, pending, to=[*sc.facilitators(), sc.responsible, stranger()]
    )


def without_co_facilitator(sc: ShuttleCase, pending: Message) -> tuple[Person, dict[str, Any]]:
    return sc.facilitator, forward_envelope(
        sc, sc.facilitator, pending, to=[sc.facilitator, sc.responsible]
    )


def by_another_case_facilitator(sc: ShuttleCase, pending: Message) -> tuple[Person, dict[str, Any]]:
    outsider = make_case().facilitator
    return outsider, forward_envelope(sc, outsider, pending)


def wrong_derived_from(sc: ShuttleCase, pending: Message) -> tuple[Person, dict[str, Any]]:
    return sc.facilitator, forward_envelope(
        sc, sc.facilitator, pending, derived_from=str(uuid.uuid4())
    )


def no_derived_from(sc: ShuttleCase, pending: Message) -> tuple[Person, dict[str, Any]]:
    return sc.facilitator, forward_envelope(sc, sc.facilitator, pending, derived_from=None)


def from_the_participant(sc: ShuttleCase, pending: Message) -> tuple[Person, dict[str, Any]]:
    # The sender cannot approve their own message to reach the other party directly.
    return sc.harmed, forward_envelope(sc, sc.harmed, pending)


def wrong_kind(sc: ShuttleCase, pending: Message) -> tuple[Person, dict[str, Any]]:
    return sc.facilitator, forward_envelope(sc, sc.facilitator, pending, kind="apology")


FORWARD_REFUSALS: dict[
    str, tuple[Callable[[ShuttleCase, Message], tuple[Person, dict[str, Any]]], str]
] = {
    # The writer may be named too (their own words, as passed on), but the target is required.
    "names the original sender instead of the target": (to_original_sender, "recipients_missing"),
    "names a stranger beside the target": (to_the_other_party_of_a_return, "recipients_forbidden"),
    "omits the co-facilitator": (without_co_facilitator, "recipients_missing"),
    "comes from another case's facilitator": (by_another_case_facilitator, "not_found"),
    "names the wrong derived_from": (wrong_derived_from, "bad_kind"),
    "names no derived_from": (no_derived_from, "bad_kind"),
    "comes from the participant": (from_the_participant, "not_found"),
    "changes the message's kind": (wrong_kind, "bad_kind"),
}


@pytest.mark.parametrize("surface", SURFACE_PARAMS)
@pytest.mark.parametrize("name", list(FORWARD_REFUSALS))
def test_forward_outside_the_rule_is_refused(surface: str, name: str) -> None:
    build, expected = FORWARD_REFUSALS[name]
    sc = make_case(co_facilitator=True)
    pending = submit(sc, sc.harmed)
    person, raw = build(sc, pending)
    refused_everywhere(
        surface, sc, person, "forward", expected, message_id=str(pending.pk), envelope=raw
    )
    pending.refresh_from_db()
    assert pending.state == MessageState.SUBMITTED


@pytest.mark.parametrize("surface", SURFACE_PARAMS)
def test_correct_forward_is_accepted(surface: str) -> None:
    sc = make_case(co_facilitator=True)
    pending = submit(sc, sc.harmed)
    raw = forward_envelope(sc, sc.co_facilitator, pending)  # type: ignore[arg-type]
    fields = {"message_id": str(pending.pk), "envelope": raw}
    if surface == "ws":
        with sockets() as opened:
            socket = opened.open(sc.co_facilitator)
            before = counts()
            code, _ = attempt(surface, sc.co_facilitator, "forward", socket=socket, **fields)  # type: ignore[arg-type]
    else:
        before = counts()
        code, _ = attempt(surface, sc.co_facilitator, "forward", **fields)  # type: ignore[arg-type]
    assert code == ALLOWED
    assert counts()["messages"] == before["messages"] + 1, "a forward stores one new message"
    pending.refresh_from_db()
    assert pending.state == MessageState.APPROVED
    forwarded = Message.objects.get(pk=raw["header"]["message_id"])
    assert forwarded.derived_from_id == pending.pk
    assert forwarded.sender_id == sc.co_facilitator.user.pk  # type: ignore[union-attr]
    assert {k.recipient_key.user_id for k in forwarded.keys.select_related("recipient_key")} == {
        sc.facilitator.user.pk,
        sc.co_facilitator.user.pk,
        sc.responsible.user.pk,  # type: ignore[union-attr]
    }


@pytest.mark.django_db
def test_facilitator_note_goes_to_one_participant_only() -> None:
    sc = make_case()
    before = counts()
    raw = seal_from(
        sc.facilitator, sc, "facilitator_note", "n", to=[sc.facilitator, sc.harmed, sc.responsible]
    )
    code, message = attempt("action", sc.facilitator, "send", envelope=raw)
    assert code == "recipients_forbidden"
    assert_plain_english(message)
    assert counts() == before


@pytest.mark.parametrize(
    "code",
    sorted(
        {code for _, code in REFUSALS.values()}
        | {code for _, code in FORWARD_REFUSALS.values()}
        | {"recipients_forbidden"}
    ),
)
def test_each_refusal_expects_one_documented_code(code: str) -> None:
    assert code != ALLOWED
    assert documented_status(code).startswith("4")
