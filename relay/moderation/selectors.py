"""Reads: the moderation queue, a user's view of messages, and wire forms of both."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from relay.accounts.models import User
from relay.cases.models import Case, Participation, Side
from relay.cases.selectors import is_held, with_held
from relay.envelopes import Kind
from relay.moderation.models import Audience, Message, MessageKey, MessageState, NoteReading


def envelope_wire(message: Message) -> dict[str, Any]:
    """The envelope exactly as its author sent it (docs/protocol.md §4)."""
    return {
        "header": message.header,
        "nonce": base64.b64encode(bytes(message.nonce)).decode(),
        "ciphertext": base64.b64encode(bytes(message.ciphertext)).decode(),
        "keys": [
            _key_wire(k) for k in sorted(message.keys.all(), key=lambda k: k.recipient_key_id)
        ],
    }


def _key_wire(key: MessageKey) -> dict[str, Any]:
    wire = {
        "key_id": key.recipient_key_id,
        "nonce": base64.b64encode(bytes(key.nonce)).decode(),
        "box": base64.b64encode(bytes(key.box)).decode(),
    }
    if key.wrapped_by_id is not None:
        # Re-encrypted after a recovery: boxed from this facilitator key, not the sender's.
        wire["wrapped_by"] = key.wrapped_by_id
    return wire


def message_wire(message: Message, *, viewer: User) -> dict[str, Any]:
    """A message as one viewer sees it. A forwarded message shows when it was forwarded,
    never when the other person wrote it (DESIGN §4)."""
    return {
        "message_id": str(message.pk),
        "case_id": str(message.case_id),
        "kind": message.kind,
        "audience": message.audience,
        "state": message.state,
        "from_you": message.sender_id == viewer.pk,
        "at": message.created_at.isoformat(),
        "envelope": envelope_wire(message),
        # A held participant's words (relay.cases.held), or a forward of them: entered by
        # a facilitator on the person's behalf. Who entered it only for facilitators.
        "entered_by_facilitator": entered_for_held(message),
        **held_details(message, viewer=viewer),
        **note_reading(message, viewer=viewer),
    }


def entered_for_held(message: Message) -> bool:
    """Whether the words were entered by a facilitator for a held participant: the message
    itself, or the message it forwards."""
    if message.entered_by_id is not None:
        return True
    original = message.derived_from
    return (
        original is not None
        and message.kind not in ("return_note", "rejection_reason")
        and original.entered_by_id is not None
    )


def held_details(message: Message, *, viewer: User) -> dict[str, Any]:
    """For the case's facilitators only: who entered a held participant's message, and who
    read a message to a held participant, and when."""
    if viewer.role != "facilitator":
        return {}
    entered_for = None
    if message.entered_by_id is not None:
        entered_for = (
            Participation.objects.filter(case_id=message.case_id, user_id=message.sender_id)
            .values_list("side", flat=True).first()
        )
    return {
        "entered_by": str(message.entered_by_id) if message.entered_by_id else None,
        # The side whose words they are (the envelope's writer is the facilitator).
        "entered_for": entered_for,
        # A message sent to a held participant, to be read to them: their side.
        "to_held": _to_held(message),
        "read_out_at": message.read_out_at.isoformat() if message.read_out_at else None,
        "read_out_by": str(message.read_out_by_id) if message.read_out_by_id else None,
    }


def note_reading(message: Message, *, viewer: User) -> dict[str, Any]:
    """For a facilitator reading a note to the facilitators: ``read_by_me``, whether this
    facilitator marked it read (``mark_note_read``). Their own reading only: a colleague's
    says nothing here."""
    if viewer.role != "facilitator" or message.kind != Kind.NOTE_TO_FACILITATOR:
        return {}
    return {
        "read_by_me": NoteReading.objects.filter(message=message, facilitator=viewer).exists()
    }


def moderation_queue(case: Case) -> list[Message]:
    """Messages waiting for a facilitator's decision, oldest first."""
    return list(
        Message.objects.filter(
            case=case, audience=Audience.OTHER_PARTY, state=MessageState.SUBMITTED
        )
        .prefetch_related("keys")
        .order_by("created_at")
    )


def revisable_messages(case: Case, sender: User) -> QuerySet[Message]:
    """The sender's returned messages in ``case`` that have no new version yet: the only
    messages a new version may name (``derived_from``). One new version per returned
    message; if that one is returned too, it can be revised in turn."""
    return Message.objects.filter(case=case, sender=sender, state=MessageState.RETURNED).exclude(
        Exists(Message.objects.filter(derived_from=OuterRef("pk"), sender=sender))
    )


def revisable_message_ids(case: Case, sender: User) -> list[Any]:
    """The ids of ``revisable_messages``, for the case summary's ``may_revise``."""
    return list(revisable_messages(case, sender).values_list("pk", flat=True))


def retractable_message_ids(case: Case, sender: User) -> list[Any]:
    """The ids of the sender's messages in ``case`` that ``retract_message`` accepts: to the
    other party and still waiting for a decision (the only state the transitions table lets
    become ``retracted``), for the case summary's ``may_retract``."""
    return list(
        Message.objects.filter(
            case=case, sender=sender, audience=Audience.OTHER_PARTY, state=MessageState.SUBMITTED
        ).values_list("pk", flat=True)
    )


def message_for_recipient(viewer: User, message_id: Any) -> Message | None:
    """A message the viewer holds a wrapped key for, or None."""
    return (
        Message.objects.filter(pk=message_id, keys__recipient_key__user=viewer)
        .prefetch_related("keys")
        .distinct()
        .first()
    )


def messages_sealed_to(viewer: User, case_id: Any) -> list[Message]:
    """Every message of the case holding a wrapped key for one of ``viewer``'s keys, oldest
    first: for a supporter, exactly their participant's side, as the recipient rule lets it
    be sealed to them while consent lasted."""
    return list(
        Message.objects.filter(case_id=case_id, keys__recipient_key__user=viewer)
        .prefetch_related("keys")
        .distinct()
        .order_by("created_at", "pk")
    )


def held_target(case: Case | uuid.UUID, message: Message) -> Participation | None:
    """The held participation a message was sent to (a forward to them, or a facilitator's
    note, return note or rejection reason for them), or None. ``case`` or its id."""
    if message.audience != Audience.PARTICIPANT or message.derived_from_id is None:
        return None
    original = message.derived_from  # often loaded with the message (select_related)
    if original is None:
        return None
    # Both participations at once, with whether each is held.
    case_id = case if isinstance(case, uuid.UUID) else case.pk
    participations = {
        p.user_id: p for p in with_held(Participation.objects.filter(case_id=case_id))
    }
    author = participations.get(original.sender_id)
    if author is None:
        return None
    target: Participation | None = author
    if message.kind not in ("return_note", "rejection_reason"):
        other = Side(author.side).other
        target = next((p for p in participations.values() if p.side == other), None)
    return target if target is not None and is_held(target) else None


def _to_held(message: Message) -> str | None:
    # Only a message to a participant can be to a held one: ask nothing of the others.
    if message.audience != Audience.PARTICIPANT or message.derived_from_id is None:
        return None
    target = held_target(message.case_id, message)
    return target.side if target is not None else None
