"""Invariant 3 and DESIGN §5: who may lift a pause, what still flows while paused, what the
other party learns, and that a withdrawal is final and voids what was waiting."""

from __future__ import annotations

from typing import Any

import pytest

from relay.cases import actions as case_actions
from relay.cases.models import Participation, ParticipationState
from relay.cases.visibility import case_summary
from relay.delivery.models import Event, EventType
from relay.errors import IllegalTransition
from relay.moderation import actions as moderation
from relay.moderation.models import Message, MessageState
from tests.envelopes import parsed, seal_from
from tests.factories import Person, ShuttleCase, make_case
from tests.moderation.helpers import assert_plain_english, counts, forward, submit

pytestmark = pytest.mark.django_db


def refused(call, *, code: str = "conflict") -> None:
    before = counts()
    with pytest.raises(IllegalTransition) as exc:
        call()
    assert exc.value.code == code
    assert_plain_english(exc.value.message)
    assert counts() == before


def held_until_resumed(sc: ShuttleCase, pending: Message, resumer: Person) -> None:
    """``pending`` cannot be forwarded while the case is paused; once ``resumer`` lifts the
    last pause it can."""
    refused(lambda: forward(sc, pending), code="paused")
    case_actions.resume(actor=resumer.user, case_id=sc.case.pk)
    forward(sc, pending)
    pending.refresh_from_db()
    assert pending.state == MessageState.APPROVED


def last_event(person: Person, event_type: str = EventType.COMMUNICATION) -> Event:
    return Event.objects.filter(user=person.user, event_type=event_type).order_by("-seq").first()


def test_only_the_participant_who_paused_can_resume() -> None:
    sc = make_case(co_facilitator=True)
    case_actions.pause(actor=sc.harmed.user, case_id=sc.case.pk)
    refused(lambda: case_actions.resume(actor=sc.responsible.user, case_id=sc.case.pk))
    refused(lambda: case_actions.resume(actor=sc.facilitator.user, case_id=sc.case.pk))
    refused(lambda: case_actions.resume(actor=sc.co_facilitator.user, case_id=sc.case.pk))
    held_until_resumed(sc, submit(sc, sc.responsible), sc.harmed)


def test_a_safety_pause_is_resumed_only_by_a_facilitator() -> None:
    sc = make_case(co_facilitator=True)
    case_actions.pause(actor=sc.facilitator.user, case_id=sc.case.pk)
    refused(lambda: case_actions.resume(actor=sc.harmed.user, case_id=sc.case.pk))
    refused(lambda: case_actions.resume(actor=sc.responsible.user, case_id=sc.case.pk))
    held_until_resumed(sc, submit(sc, sc.harmed), sc.co_facilitator)


def test_both_pauses_must_be_lifted() -> None:
    sc = make_case()
    case_actions.pause(actor=sc.harmed.user, case_id=sc.case.pk)
    case_actions.pause(actor=sc.responsible.user, case_id=sc.case.pk)
    case_actions.pause(actor=sc.facilitator.user, case_id=sc.case.pk)
    pending = submit(sc, sc.harmed)
    for person in (sc.harmed, sc.facilitator):
        case_actions.resume(actor=person.user, case_id=sc.case.pk)
        refused(lambda: forward(sc, pending), code="paused")
    held_until_resumed(sc, pending, sc.responsible)


def test_pausing_twice_is_refused() -> None:
    sc = make_case()
    case_actions.pause(actor=sc.harmed.user, case_id=sc.case.pk)
    refused(lambda: case_actions.pause(actor=sc.harmed.user, case_id=sc.case.pk))
    case_actions.pause(actor=sc.facilitator.user, case_id=sc.case.pk)
    refused(lambda: case_actions.pause(actor=sc.facilitator.user, case_id=sc.case.pk))


def test_messages_to_facilitators_still_flow_while_paused() -> None:
    sc = make_case()
    case_actions.pause(actor=sc.harmed.user, case_id=sc.case.pk)
    note = submit(sc, sc.harmed, "I need a break", kind="note_to_facilitator")
    assert note.state == MessageState.DELIVERED
    other_note = submit(sc, sc.responsible, "Is everything all right?", kind="note_to_facilitator")
    assert other_note.state == MessageState.DELIVERED
    # A question can still be written; it waits in the queue until the pause is lifted.
    question = submit(sc, sc.harmed, "Later question")
    assert question.state == MessageState.SUBMITTED
    reply = seal_from(
        sc.facilitator, sc, "facilitator_note", "Take your time", to=[sc.facilitator, sc.harmed]
    )
    moderation.send_facilitator_note(actor=sc.facilitator.user, envelope=parsed(reply))
    assert str(last_event(sc.harmed, EventType.MESSAGE).message_id) == reply["header"]["message_id"]


@pytest.mark.parametrize("pauser", ["harmed", "facilitator"])
def test_the_other_party_learns_only_that_communication_is_paused(pauser: str) -> None:
    sc = make_case()
    case_actions.pause(actor=getattr(sc, pauser).user, case_id=sc.case.pk)
    told = last_event(sc.responsible)
    assert told.data == {"communicating": False, "paused_by_you": False}
    summary = case_summary(sc.responsible.user, sc.case.pk)
    assert summary["communicating"] is False and summary["paused_by_you"] is False
    assert not {"paused_sides", "safety_paused", "changed_by"} & set(summary)
    # The person who paused is told it was them; facilitators are told by whom.
    if pauser == "harmed":
        assert last_event(sc.harmed).data == {"communicating": False, "paused_by_you": True}
    assert last_event(sc.facilitator).data["changed_by"] == (
        "harmed" if pauser == "harmed" else "facilitator"
    )


def test_what_the_other_party_sees_does_not_depend_on_who_paused() -> None:
    seen = []
    for pauser in ("harmed", "facilitator"):
        sc = make_case()
        case_actions.pause(actor=getattr(sc, pauser).user, case_id=sc.case.pk)
        seen.append(last_event(sc.responsible).data)
    assert seen[0] == seen[1]


def test_withdrawal_voids_pending_messages_forever() -> None:
    sc = make_case()
    pending = [submit(sc, sc.harmed, f"question {i}") for i in range(3)]
    incoming = submit(sc, sc.responsible, "a question for the harmed person")
    case_actions.withdraw(actor=sc.harmed.user, case_id=sc.case.pk)
    for message in pending:
        message.refresh_from_db()
        assert message.state == MessageState.VOIDED
        refused(lambda m=message: forward(sc, m))
    # Nothing reaches them either.
    refused(lambda: forward(sc, incoming), code="paused")
    note = seal_from(sc.facilitator, sc, "facilitator_note", "n", to=[sc.facilitator, sc.harmed])
    refused(
        lambda: moderation.send_facilitator_note(actor=sc.facilitator.user, envelope=parsed(note))
    )
    # And they can send nothing, of any kind.
    for kind in ("question", "note_to_facilitator"):
        raw = seal_from(sc.harmed, sc, kind, "after withdrawing")
        refused(lambda r=raw: moderation.submit_message(actor=sc.harmed.user, envelope=parsed(r)))
    # Withdrawal is final.
    refused(lambda: case_actions.resume(actor=sc.harmed.user, case_id=sc.case.pk))
    refused(lambda: case_actions.withdraw(actor=sc.harmed.user, case_id=sc.case.pk))
    refused(lambda: case_actions.pause(actor=sc.harmed.user, case_id=sc.case.pk))
    state = Participation.objects.get(case=sc.case, user=sc.harmed.user).state
    assert state == ParticipationState.WITHDRAWN
    assert not Message.objects.filter(derived_from__in=pending).exists()


def test_a_paused_participant_may_still_withdraw() -> None:
    sc = make_case()
    pending = submit(sc, sc.harmed)
    case_actions.pause(actor=sc.harmed.user, case_id=sc.case.pk)
    case_actions.withdraw(actor=sc.harmed.user, case_id=sc.case.pk)
    pending.refresh_from_db()
    assert pending.state == MessageState.VOIDED


@pytest.mark.django_db(transaction=True)
def test_every_open_socket_of_the_case_hears_of_a_pause_at_once(settings: Any) -> None:
    from tests.moderation.helpers import sockets

    # The process's sweep would find the event only after a minute: what arrives within a
    # second was pushed by the pause itself.
    settings.RELAY_SOCKET_SWEEP_SECONDS = 60
    sc = make_case(co_facilitator=True)
    with sockets() as opened:
        listeners = {}
        for name in ("responsible", "facilitator", "co_facilitator"):
            socket = opened.open(getattr(sc, name))
            socket.send({"type": "hello", "ref": "h", "last_seq": socket.welcome["latest_seq"]})
            assert socket.receive()["type"] == "ready"
            listeners[name] = socket
        harmed = opened.open(sc.harmed)
        reply = harmed.request("pause", case_id=sc.id)
        assert reply["type"] == "reply" and reply["result"]["communicating"] is False
        heard = {name: s.receive(timeout=1.0) for name, s in listeners.items()}
        assert heard["responsible"]["event"]["data"] == {
            "communicating": False,
            "paused_by_you": False,
        }
        for name in ("facilitator", "co_facilitator"):
            assert heard[name]["event"]["type"] == "communication"
            assert heard[name]["event"]["data"]["paused_sides"] == ["harmed"]
