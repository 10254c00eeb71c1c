"""Marking a note to the facilitators read (``mark_note_read``): a server fact per
facilitator account, the same on every device; only the case's current facilitators may
mark one, everyone else gets the answer a missing message gets; marking twice is harmless;
any other kind of message is refused and nothing changes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from relay.accounts.models import Role
from relay.audit.models import AuditEvent, AuditEventType
from relay.cases import actions as case_actions
from relay.moderation import actions as moderation
from relay.moderation.models import Message, NoteReading
from tests.cases.test_supporters import with_supporter
from tests.envelopes import parsed, seal_from
from tests.factories import Person, ShuttleCase, make_case, make_person
from tests.moderation.helpers import (
    assert_plain_english,
    case_with_participant,
    counts,
    http_call,
    http_client,
    submit,
)

pytestmark = pytest.mark.django_db


def note_from_harmed(sc: ShuttleCase) -> Message:
    return submit(sc, sc.harmed, "Please ring me before Friday", kind="note_to_facilitator")


def mark(person: Person, message_id: Any) -> tuple[int, Any]:
    return http_call(http_client(person), "POST", f"/api/messages/{message_id}/read")


def events_for(person: Person) -> list[dict[str, Any]]:
    status, body = http_call(http_client(person), "GET", "/api/events")
    assert status == 200, body
    return body["events"]


def note_wire(person: Person, message_id: Any) -> dict[str, Any]:
    """The note as ``person``'s catch-up carries it (the page's one source of messages)."""
    wires = [
        e["message"]
        for e in events_for(person)
        if e["type"] == "message" and e["message"]["message_id"] == str(message_id)
    ]
    assert len(wires) == 1, wires
    return wires[0]


def readings() -> int:
    return NoteReading.objects.count()


def test_a_facilitator_marks_a_note_read_for_their_own_queue_only() -> None:
    sc = make_case(co_facilitator=True)
    assert sc.co_facilitator is not None
    note = note_from_harmed(sc)
    assert note_wire(sc.facilitator, note.pk)["read_by_me"] is False

    status, body = mark(sc.facilitator, note.pk)

    assert status == 200, body
    assert body["message_id"] == str(note.pk)
    assert body["read_by_me"] is True
    reading = NoteReading.objects.get(message=note)
    assert reading.facilitator == sc.facilitator.user
    assert body["read_at"] == reading.read_at.isoformat()
    # Read on another device too: the catch-up and the message itself say so.
    assert note_wire(sc.facilitator, note.pk)["read_by_me"] is True
    status, single = http_call(http_client(sc.facilitator), "GET", f"/api/messages/{note.pk}")
    assert status == 200 and single["read_by_me"] is True
    # Per facilitator account: the colleague still has it waiting, until they mark it.
    assert note_wire(sc.co_facilitator, note.pk)["read_by_me"] is False
    status, _ = mark(sc.co_facilitator, note.pk)
    assert status == 200
    assert note_wire(sc.co_facilitator, note.pk)["read_by_me"] is True
    assert readings() == 2
    # The writer is never told who read their note, or whether anyone did.
    assert "read_by_me" not in note_wire(sc.harmed, note.pk)


def test_marking_read_is_audited_once_and_marking_again_changes_nothing() -> None:
    sc = make_case()
    note = note_from_harmed(sc)
    status, first = mark(sc.facilitator, note.pk)
    assert status == 200
    audited = AuditEvent.objects.filter(event_type=AuditEventType.NOTE_READ)
    assert [(e.actor_id, e.case_id, e.data) for e in audited] == [
        (sc.facilitator.user.pk, sc.case.pk, {"message": str(note.pk)})
    ]
    before = counts()

    status, again = mark(sc.facilitator, note.pk)

    assert status == 200
    assert again == first  # the same reading, the same time
    assert counts() == before
    assert readings() == 1


@pytest.mark.parametrize(
    "who", ["writer", "other_party", "supporter", "other_facilitator", "hub_manager"]
)
def test_nobody_but_the_cases_facilitators_learns_the_note_exists(who: str) -> None:
    sc = make_case()
    note = note_from_harmed(sc)
    if who == "supporter":
        person, _ = with_supporter(sc)
    elif who == "other_facilitator":
        # A facilitator of another case the same person takes part in.
        person = make_person(Role.FACILITATOR)
        elsewhere = case_with_participant(sc.harmed)
        case_actions.assign_facilitator(
            actor=sc.manager.user, case_id=elsewhere.pk, facilitator=person.user
        )
    else:
        person = {"writer": sc.harmed, "other_party": sc.responsible, "hub_manager": sc.manager}[
            who
        ]
    before = counts()

    refused = mark(person, note.pk)
    missing = mark(person, uuid.uuid4())

    assert refused[0] == 404
    assert refused == missing  # no oracle: the same answer as for no message at all
    assert refused[1]["error"]["code"] == "not_found"
    assert counts() == before
    assert readings() == 0


def test_a_facilitator_taken_off_the_case_can_no_longer_mark_its_notes() -> None:
    sc = make_case(co_facilitator=True)
    note = note_from_harmed(sc)
    case_actions.unassign_facilitator(
        actor=sc.manager.user, case_id=sc.case.pk, facilitator=sc.facilitator.user
    )
    assert mark(sc.facilitator, note.pk) == mark(sc.facilitator, uuid.uuid4())
    assert readings() == 0


@pytest.mark.parametrize("kind", ["question", "facilitator_note"])
def test_only_a_note_to_the_facilitators_can_be_marked_read(kind: str) -> None:
    sc = make_case()
    if kind == "question":
        message = submit(sc, sc.harmed)
    else:
        raw = seal_from(sc.facilitator, sc, "facilitator_note", "See you Tuesday",
                        to=[sc.facilitator, sc.harmed])
        message = moderation.send_facilitator_note(actor=sc.facilitator.user, envelope=parsed(raw))
    before = counts()

    status, body = mark(sc.facilitator, message.pk)

    assert status == 400, body
    assert body["error"]["code"] == "bad_kind"
    assert_plain_english(body["error"]["message"])
    assert counts() == before
    assert readings() == 0
    assert "read_by_me" not in note_wire(sc.facilitator, message.pk)


def test_a_supporters_note_to_the_facilitators_is_marked_read_the_same_way() -> None:
    sc = make_case()
    supporter, _ = with_supporter(sc)
    raw = seal_from(supporter, sc, "note_to_facilitator", "I will come with her",
                    to=[sc.facilitator, supporter])
    note = moderation.submit_supporter_message(actor=supporter.user, envelope=parsed(raw))
    assert mark(sc.facilitator, note.pk)[0] == 200
    assert note_wire(sc.facilitator, note.pk)["read_by_me"] is True

