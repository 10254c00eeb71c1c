"""A forward may also be sealed to the participant who wrote the message it forwards, so
they can read the version the other person received ("passed on with changes"). That is the
only widening of invariant 1: the writer's own current key, on a forward of their own
message, never required; not their supporters, not a retired key, not on a return note,
rejection reason or facilitator note, and never the other party's content (a forward is
only ever of the writer's own message)."""

from __future__ import annotations

from typing import Any

import pytest

from relay.delivery.models import Event
from relay.errors import EnvelopeRejected
from relay.moderation import actions as moderation
from relay.moderation.models import Message, MessageState
from relay.moderation.selectors import message_for_recipient
from relay_client.crypto import KeyPair
from tests.envelopes import open_as, parsed, seal_from
from tests.factories import Person, ShuttleCase, make_case
from tests.moderation.helpers import (
    ALLOWED,
    SURFACE_PARAMS,
    attempt,
    counts,
    sockets,
    submit,
)


def _events(person: Person, type_: str) -> list[Event]:
    return list(Event.objects.filter(user=person.user, event_type=type_).order_by("seq"))


@pytest.mark.parametrize("surface", SURFACE_PARAMS)
def test_a_forward_may_name_the_writer_who_then_reads_the_version_passed_on(surface: str) -> None:
    sc = make_case(co_facilitator=True)
    pending = submit(sc, sc.harmed, "Why did you pick our house?")
    raw = seal_from(
        sc.facilitator, sc, "question", "Why our house?",
        to=[*sc.facilitators(), sc.responsible, sc.harmed],
        derived_from=str(pending.pk), edited=True,
    )
    fields = {"message_id": str(pending.pk), "envelope": raw}
    if surface == "ws":
        with sockets() as opened:
            socket = opened.open(sc.facilitator)
            code, _ = attempt(surface, sc.facilitator, "forward", socket=socket, **fields)
    else:
        code, _ = attempt(surface, sc.facilitator, "forward", **fields)
    assert code == ALLOWED
    pending.refresh_from_db()
    assert pending.state == MessageState.APPROVED
    forwarded = Message.objects.get(pk=raw["header"]["message_id"])
    # The writer is told of the forward and whether it was changed, and receives it.
    told = _events(sc.harmed, "message_state")[-1].data
    assert told == {
        "message_id": str(pending.pk), "state": "approved",
        "forward_id": str(forwarded.pk), "edited": True,
    }
    received = {e.message_id: e.data for e in _events(sc.harmed, "message")}
    assert received[forwarded.pk] == {"side": "facilitator", "version_of": str(pending.pk)}
    assert message_for_recipient(sc.harmed.user, forwarded.pk) is not None
    assert open_as(sc.harmed, raw, sc.facilitator) == "Why our house?"
    # The other party receives it as before.
    assert {e.message_id: e.data for e in _events(sc.responsible, "message")}[forwarded.pk] == {
        "side": "facilitator"
    }


@pytest.mark.django_db
def test_a_forward_without_the_writer_still_tells_them_it_was_changed() -> None:
    sc = make_case()
    pending = submit(sc, sc.harmed)
    raw = seal_from(
        sc.facilitator, sc, "question", "edited", to=[*sc.facilitators(), sc.responsible],
        derived_from=str(pending.pk), edited=True,
    )
    forwarded = moderation.forward_message(
        actor=sc.facilitator.user, message_id=pending.pk, envelope=parsed(raw)
    )
    assert _events(sc.harmed, "message_state")[-1].data["edited"] is True
    assert forwarded.pk not in [e.message_id for e in _events(sc.harmed, "message")]
    assert message_for_recipient(sc.harmed.user, forwarded.pk) is None


def _refused(
    sc: ShuttleCase, action: Any, raw: dict[str, Any], *, field: str = "envelope", **kwargs: Any
) -> str:
    before = counts()
    with pytest.raises(EnvelopeRejected) as refused:
        action(actor=sc.facilitator.user, **{field: parsed(raw)}, **kwargs)
    assert counts() == before, "a refused envelope must leave nothing stored"
    return refused.value.code


@pytest.mark.django_db
def test_the_writer_may_be_named_on_a_forward_of_their_own_message_only() -> None:
    sc = make_case()
    mine = submit(sc, sc.harmed)
    theirs = submit(sc, sc.responsible, "Sorry", kind="answer")
    # The writer of ``theirs`` (the responsible person) may be named on its forward; a
    # participant of another case may not.
    elsewhere = make_case()
    outsider = seal_from(
        sc.facilitator, sc, "answer", "x",
        to=[*sc.facilitators(), sc.harmed, sc.responsible, elsewhere.harmed],
        derived_from=str(theirs.pk),
    )
    assert _refused(sc, moderation.forward_message, outsider, message_id=theirs.pk) == (
        "recipients_forbidden"
    )
    # A retired key of the writer is not their current key.
    old = Person(user=sc.harmed.user, keypair=KeyPair.generate())
    retired = seal_from(
        sc.facilitator, sc, "question", "x", to=[*sc.facilitators(), sc.responsible, old],
        derived_from=str(mine.pk),
    )
    assert _refused(sc, moderation.forward_message, retired, message_id=mine.pk) == (
        "recipients_forbidden"
    )
    # A return note or a rejection reason is for the writer alone: it may not name the
    # other party, whose key the forward rule never lets in.
    for action, kind, field in (
        (moderation.return_message, "return_note", "note"),
        (moderation.reject_message, "rejection_reason", "reason"),
    ):
        raw = seal_from(
            sc.facilitator, sc, kind, "n", to=[*sc.facilitators(), sc.harmed, sc.responsible],
            derived_from=str(mine.pk),
        )
        assert _refused(sc, action, raw, field=field, message_id=mine.pk) == (
            "recipients_forbidden"
        )
    # A facilitator's note to one participant may not name the other.
    note = seal_from(
        sc.facilitator, sc, "facilitator_note", "n",
        to=[*sc.facilitators(), sc.harmed, sc.responsible],
    )
    assert _refused(sc, moderation.send_facilitator_note, note) == "recipients_forbidden"
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.state, theirs.state) == (MessageState.SUBMITTED, MessageState.SUBMITTED)
