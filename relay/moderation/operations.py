"""The message operations: sending, moderating and reading messages (docs/api.md)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.utils.translation import gettext
from pydantic import Field

from relay.accounts.models import Role
from relay.cases.access import access_case_as_facilitator
from relay.cases.supporters import access_as_supporter
from relay.envelopes import parse_envelope
from relay.errors import EnvelopeRejected
from relay.moderation import actions as moderation
from relay.moderation.access import access_message
from relay.moderation.selectors import message_wire, messages_sealed_to, moderation_queue
from relay.surface import Caller, Input, Operation, Route


class CaseRef(Input):
    case_id: uuid.UUID


class MessageRef(Input):
    message_id: uuid.UUID


class EnvelopeIn(Input):
    envelope: dict[str, Any]


class Decision(Input):
    message_id: uuid.UUID
    envelope: dict[str, Any]


def _envelope(raw: dict[str, Any]):
    return parse_envelope(raw, max_ciphertext=settings.RELAY_MAX_CIPHERTEXT_BYTES)


def send(caller: Caller, data: EnvelopeIn) -> dict[str, Any]:
    """Participants: submit. Facilitators: a note to one participant. Supporters: a draft or
    a note to the facilitators."""
    user, envelope = caller.user, _envelope(data.envelope)
    if user.role == Role.FACILITATOR:
        message = moderation.send_facilitator_note(actor=user, envelope=envelope)
        return {"message_id": str(message.pk), "state": message.state, "duplicate": False}
    if user.role == Role.SUPPORTER:
        message = moderation.submit_supporter_message(actor=user, envelope=envelope)
        return {"message_id": str(message.pk), "state": message.state, "duplicate": False}
    result = moderation.submit_message(actor=user, envelope=envelope)
    return {
        "message_id": str(result.message.pk),
        "state": result.message.state,
        "duplicate": not result.created,
    }


def forward(caller: Caller, data: Decision) -> dict[str, Any]:
    message = moderation.forward_message(
        actor=caller.user, message_id=data.message_id, envelope=_envelope(data.envelope)
    )
    return {
        "message_id": str(data.message_id),
        "state": "approved",
        "forwarded_id": str(message.pk),
    }


def return_to_sender(caller: Caller, data: Decision) -> dict[str, Any]:
    note = moderation.return_message(
        actor=caller.user, message_id=data.message_id, note=_envelope(data.envelope)
    )
    return {"message_id": str(data.message_id), "state": "returned", "note_id": str(note.pk)}


def reject(caller: Caller, data: Decision) -> dict[str, Any]:
    note = moderation.reject_message(
        actor=caller.user, message_id=data.message_id, reason=_envelope(data.envelope)
    )
    return {"message_id": str(data.message_id), "state": "rejected", "note_id": str(note.pk)}


def retract(caller: Caller, data: MessageRef) -> dict[str, Any]:
    message = moderation.retract_message(actor=caller.user, message_id=data.message_id)
    return {"message_id": str(message.pk), "state": message.state}


class HeldEnvelopeIn(Input):
    case_id: uuid.UUID
    side: str = Field(max_length=20)
    envelope: dict[str, Any]


def enter_for_held(caller: Caller, data: HeldEnvelopeIn) -> dict[str, Any]:
    """A facilitator enters a held participant's message (relay.cases.held)."""
    envelope = _envelope(data.envelope)
    if envelope.header.case_id != data.case_id:
        raise EnvelopeRejected(gettext("The envelope belongs to another case."), code="wrong_case")
    result = moderation.enter_for_held(actor=caller.user, side=data.side, envelope=envelope)
    return {
        "message_id": str(result.message.pk),
        "state": result.message.state,
        "duplicate": not result.created,
        "entered_by_facilitator": True,
    }


def read_out(caller: Caller, data: MessageRef) -> dict[str, Any]:
    """A facilitator records reading a held participant what was sent to them."""
    message = moderation.record_read_out(actor=caller.user, message_id=data.message_id)
    assert message.read_out_at is not None
    return {"message_id": str(message.pk), "read_out_at": message.read_out_at.isoformat()}


def mark_note_read(caller: Caller, data: MessageRef) -> dict[str, Any]:
    """A facilitator marks a note to the facilitators read, in their own queue."""
    reading = moderation.mark_note_read(actor=caller.user, message_id=data.message_id)
    return {
        "message_id": str(data.message_id),
        "read_by_me": True,
        "read_at": reading.read_at.isoformat(),
    }


def queue(caller: Caller, data: CaseRef) -> dict[str, Any]:
    case = access_case_as_facilitator(caller.user, data.case_id)
    return {
        "case_id": str(case.pk),
        "messages": [message_wire(m, viewer=caller.user) for m in moderation_queue(case)],
    }


def get_message(caller: Caller, data: MessageRef) -> dict[str, Any]:
    return message_wire(access_message(caller.user, data.message_id), viewer=caller.user)


def supporter_messages(caller: Caller, data: CaseRef) -> dict[str, Any]:
    """A supporter's reading: what was sealed to them in the case, while consent lasts."""
    access_as_supporter(caller.user, data.case_id)
    return {
        "case_id": str(data.case_id),
        "messages": [
            message_wire(m, viewer=caller.user)
            for m in messages_sealed_to(caller.user, data.case_id)
        ],
    }


_M = "messages/<uuid:message_id>"

OPERATIONS: dict[str, Operation] = {
    "send": Operation(send, EnvelopeIn, True, Route("POST", "messages"), socket=True),
    "forward": Operation(forward, Decision, True, Route("POST", f"{_M}/forward"), socket=True),
    "return": Operation(
        return_to_sender, Decision, True, Route("POST", f"{_M}/return"), socket=True
    ),
    "reject": Operation(reject, Decision, True, Route("POST", f"{_M}/reject"), socket=True),
    "retract": Operation(retract, MessageRef, True, Route("POST", f"{_M}/retract"), socket=True),
    "queue": Operation(
        queue, CaseRef, False, Route("GET", "cases/<uuid:case_id>/queue"), socket=True
    ),
    "message": Operation(get_message, MessageRef, False, Route("GET", _M), socket=True),
    # Taking part without a device (relay.cases.held): a facilitator enters a held
    # participant's words, and records reading them what was sent to them.
    "enter_for_held": Operation(
        enter_for_held, HeldEnvelopeIn, True,
        Route("POST", "cases/<uuid:case_id>/held/<str:side>/messages", status=201),
    ),
    "read_out": Operation(read_out, MessageRef, True, Route("POST", f"{_M}/read-out")),
    # A facilitator's own queue: a note to the facilitators marked read, on every device.
    "mark_note_read": Operation(mark_note_read, MessageRef, True, Route("POST", f"{_M}/read")),
    "supporter_messages": Operation(
        supporter_messages, CaseRef, False, Route("GET", "cases/<uuid:case_id>/supporter-messages")
    ),
}
