"""Invariant 4: a send carries a client-generated id, so a retry never duplicates a message,
and an id cannot be reused for different content."""

from __future__ import annotations

import base64
import uuid

import pytest
from django.test import Client

from relay.audit.models import AuditEvent
from relay.delivery.models import Event
from relay.moderation.models import Message
from tests.envelopes import seal_from
from tests.factories import ShuttleCase, verified_session
from tests.moderation.helpers import via_http


def post_send(client: Client, envelope: dict) -> tuple[int, dict]:
    return via_http(client, "send", envelope=envelope)


def stored_traces(message_id: str) -> tuple[int, int, int]:
    """(messages, audit events, stream events) recorded for one message id."""
    return (
        Message.objects.filter(pk=message_id).count(),
        AuditEvent.objects.filter(data__message=message_id).count(),
        Event.objects.filter(message_id=message_id).count(),
    )


@pytest.mark.django_db
def test_retried_send_stores_one_message_and_says_duplicate(shuttle: ShuttleCase) -> None:
    client = verified_session(Client(), shuttle.harmed)
    envelope = seal_from(shuttle.harmed, shuttle, "question", "Why our house?")
    status, first = post_send(client, envelope)
    assert (status, first["duplicate"], first["state"]) == (200, False, "submitted")
    traces = stored_traces(first["message_id"])
    # One message, one audit event, one event each for the sender and the facilitator.
    assert traces == (1, 1, 2)
    for _ in range(3):
        status, again = post_send(client, envelope)
        assert (status, again) == (200, {**first, "duplicate": True})
    assert stored_traces(first["message_id"]) == traces
    assert Message.objects.filter(case=shuttle.case).count() == 1, "no copy under another id"


@pytest.mark.django_db
def test_reused_id_with_other_content_is_refused_and_changes_nothing(
    shuttle: ShuttleCase,
) -> None:
    client = verified_session(Client(), shuttle.harmed)
    message_id = str(uuid.uuid4())
    original = seal_from(shuttle.harmed, shuttle, "question", "first", message_id=message_id)
    status, _ = post_send(client, original)
    assert status == 200
    before = stored_traces(message_id)
    other = [
        seal_from(shuttle.harmed, shuttle, "question", "second", message_id=message_id),
        seal_from(shuttle.harmed, shuttle, "statement", "first", message_id=message_id),
    ]
    for envelope in other:
        status, body = post_send(client, envelope)
        assert status == 400
        assert body["error"]["code"] == "duplicate_id"
    assert stored_traces(message_id) == before
    assert Message.objects.filter(case=shuttle.case).count() == 1, "no copy under another id"
    stored = Message.objects.get(pk=message_id)
    assert bytes(stored.ciphertext) == base64.b64decode(original["ciphertext"])
    assert stored.kind == "question"


@pytest.mark.django_db
def test_another_person_cannot_claim_a_used_id(shuttle: ShuttleCase) -> None:
    harmed = verified_session(Client(), shuttle.harmed)
    responsible = verified_session(Client(), shuttle.responsible)
    message_id = str(uuid.uuid4())
    status, _ = post_send(
        harmed, seal_from(shuttle.harmed, shuttle, "question", "mine", message_id=message_id)
    )
    assert status == 200
    before = stored_traces(message_id)
    status, body = post_send(
        responsible,
        seal_from(shuttle.responsible, shuttle, "answer", "mine too", message_id=message_id),
    )
    assert status == 400 and body["error"]["code"] == "duplicate_id"
    assert stored_traces(message_id) == before
    assert Message.objects.filter(case=shuttle.case).count() == 1, "no copy under another id"
    assert Message.objects.get(pk=message_id).sender_id == shuttle.harmed.user.pk
