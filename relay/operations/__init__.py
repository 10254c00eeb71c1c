"""The operations a client can ask for, shared by the HTTP API and the WebSocket consumer.

Each operation validates its input with a pydantic model, makes one ``access_*`` check or
one action call, and returns a JSON-ready dict. HTTP views and consumer frames are thin
adapters over this table, so both surfaces obey exactly the same rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from relay.accounts.models import Role, User
from relay.cases import access as case_access
from relay.cases.models import Participation, ParticipationState, Side
from relay.cases.selectors import (
    current_facilitators,
    current_keys_by_user,
    is_communicating,
    is_safety_paused,
    key_wire,
)
from relay.cases.states import (
    may_be_written_to,
    may_pause_participation,
    may_resume_participation,
    may_safety_pause,
    may_withdraw_participation,
    may_write_to_facilitators,
    may_write_to_other_party,
)
from relay.delivery.selectors import events_after, latest_seq
from relay.envelopes import FOR_OTHER_PARTY, Kind, parse_envelope
from relay.errors import InvalidRequest
from relay.moderation import actions as moderation
from relay.moderation.access import access_message
from relay.moderation.selectors import message_wire, moderation_queue, revisable_messages


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class CaseRef(Input):
    case_id: uuid.UUID


class MessageRef(Input):
    message_id: uuid.UUID


class EnvelopeIn(Input):
    envelope: dict[str, Any]


class Decision(Input):
    message_id: uuid.UUID
    envelope: dict[str, Any]


class After(Input):
    after: int = Field(default=0, ge=0)
    limit: int = Field(default=200, ge=1, le=500)


def _envelope(raw: dict[str, Any]):
    return parse_envelope(raw, max_ciphertext=settings.RELAY_MAX_CIPHERTEXT_BYTES)


# --- operations --------------------------------------------------------------------------


def send(user: User, data: EnvelopeIn) -> dict[str, Any]:
    """Participants: submit. Facilitators: a note to one participant."""
    envelope = _envelope(data.envelope)
    if user.role == Role.FACILITATOR:
        message = moderation.send_facilitator_note(actor=user, envelope=envelope)
        return {"message_id": str(message.pk), "state": message.state, "duplicate": False}
    result = moderation.submit_message(actor=user, envelope=envelope)
    return {
        "message_id": str(result.message.pk),
        "state": result.message.state,
        "duplicate": not result.created,
    }


def forward(user: User, data: Decision) -> dict[str, Any]:
    message = moderation.forward_message(
        actor=user, message_id=data.message_id, envelope=_envelope(data.envelope)
    )
    return {
        "message_id": str(data.message_id),
        "state": "approved",
        "forwarded_id": str(message.pk),
    }


def return_to_sender(user: User, data: Decision) -> dict[str, Any]:
    note = moderation.return_message(
        actor=user, message_id=data.message_id, note=_envelope(data.envelope)
    )
    return {"message_id": str(data.message_id), "state": "returned", "note_id": str(note.pk)}


def reject(user: User, data: Decision) -> dict[str, Any]:
    note = moderation.reject_message(
        actor=user, message_id=data.message_id, reason=_envelope(data.envelope)
    )
    return {"message_id": str(data.message_id), "state": "rejected", "note_id": str(note.pk)}


def retract(user: User, data: MessageRef) -> dict[str, Any]:
    message = moderation.retract_message(actor=user, message_id=data.message_id)
    return {"message_id": str(message.pk), "state": message.state}


def pause(user: User, data: CaseRef) -> dict[str, Any]:
    case = moderation.pause(actor=user, case_id=data.case_id)
    return case_summary(user, case.pk)


def resume(user: User, data: CaseRef) -> dict[str, Any]:
    case = moderation.resume(actor=user, case_id=data.case_id)
    return case_summary(user, case.pk)


def withdraw(user: User, data: CaseRef) -> dict[str, Any]:
    participation = moderation.withdraw(actor=user, case_id=data.case_id)
    return {"case_id": str(participation.case_id), "state": participation.state}


def queue(user: User, data: CaseRef) -> dict[str, Any]:
    case = case_access.access_case_as_facilitator(user, data.case_id)
    return {
        "case_id": str(case.pk),
        "messages": [message_wire(m, viewer=user) for m in moderation_queue(case)],
    }


def get_message(user: User, data: MessageRef) -> dict[str, Any]:
    case_access.require_usable(user)
    return message_wire(access_message(user, data.message_id), viewer=user)


def events(user: User, data: After) -> dict[str, Any]:
    case_access.require_usable(user)
    return {"events": events_after(user, data.after, limit=data.limit), "latest": latest_seq(user)}


def case_summary(user: User, case_id: Any) -> dict[str, Any]:
    """What a member of the case may know about it. Participants never see the other
    person's account: only that there is one, whether it is communicating, and the keys to
    encrypt to (the facilitators' and their own).

    The ``may_*`` fields say what this viewer may do now, each from the same predicate the
    action checks, so a client shows only what the server will accept and decides no rule
    itself. ``latest_seq`` is the viewer's last event when the summary was read: events up
    to it are already reflected here."""
    # Read first: every event up to it committed with its change, so the rest of the
    # summary, read after, is at least as new as those events.
    seen_up_to = latest_seq(user)
    case = case_access.access_case_as_member(user, case_id)
    facilitators = current_facilitators(case.pk)
    participations = list(Participation.objects.filter(case=case).select_related("user"))
    keys = current_keys_by_user(
        [f.pk for f in facilitators] + [p.user_id for p in participations], case=case
    )
    summary: dict[str, Any] = {
        "case_id": str(case.pk),
        "state": case.state,
        "communicating": is_communicating(case, participations=participations),
        "latest_seq": seen_up_to,
        "facilitators": [
            {
                "user_id": str(f.pk),
                "display_name": f.display_name or "Facilitator",
                "key": key_wire(keys.get(f.pk), case=case),
            }
            for f in facilitators
        ],
    }
    if user.role == Role.FACILITATOR:
        summary["reference"] = case.reference
        summary["safety_paused"] = is_safety_paused(case)
        summary["may_forward"] = summary["communicating"]
        summary["may_safety_pause"] = may_safety_pause(case.state, summary["safety_paused"])
        summary["may_resume_safety_pause"] = summary["safety_paused"]
        summary["may_send_note_to"] = sorted(
            p.side for p in participations if may_be_written_to(p.state)
        )
        summary["participants"] = [
            {
                "side": p.side,
                "state": p.state,
                "user_id": str(p.user_id),
                "display_name": p.user.display_name,
                "consented_modes": p.consented_modes,
                # Who a forward of this participant's message goes to: the forward action's
                # own rule (the other side).
                "forward_to": Side(p.side).other.value,
                "key": key_wire(keys.get(p.user_id), case=case),
            }
            for p in participations
        ]
    else:
        mine = next(p for p in participations if p.user_id == user.pk)
        other = next((p for p in participations if p.user_id != user.pk), None)
        summary["side"] = mine.side
        summary["participation"] = mine.state
        summary["paused_by_you"] = mine.state == ParticipationState.PAUSED
        summary["other_party"] = {
            "label": "the person responsible" if mine.side == "harmed" else "the person harmed",
            "withdrawn": other is not None and other.state == ParticipationState.WITHDRAWN,
        }
        to_other_party = may_write_to_other_party(
            case.state, mine.state, other.state if other is not None else None
        )
        summary["may_pause"] = may_pause_participation(
            case.state, mine.state, other.state if other is not None else None
        )
        summary["may_resume"] = may_resume_participation(mine.state)
        summary["may_withdraw"] = may_withdraw_participation(mine.state)
        summary["may_write_to_other_party"] = to_other_party
        summary["may_write_to_facilitators"] = may_write_to_facilitators(case.state, mine.state)
        summary["may_revise"] = (
            [str(pk) for pk in revisable_messages(case, user).values_list("pk", flat=True)]
            if to_other_party
            else []
        )
        # Which kinds go to the other party (through moderation) and which to the
        # facilitators only: the server's list, so no client keeps its own copy.
        summary["kinds"] = {
            "other_party": [kind.value for kind in sorted(FOR_OTHER_PARTY)],
            "facilitators": [Kind.NOTE_TO_FACILITATOR.value],
        }
    return summary


def get_case(user: User, data: CaseRef) -> dict[str, Any]:
    return case_summary(user, data.case_id)


def list_cases(user: User, data: Input) -> dict[str, Any]:
    case_access.require_usable(user)
    ids: list[Any] = []
    if user.role == Role.FACILITATOR:
        ids = list(
            user.assignments.filter(ended_at__isnull=True).values_list("case_id", flat=True)
        )
    elif user.role == Role.PARTICIPANT:
        ids = list(Participation.objects.filter(user=user).values_list("case_id", flat=True))
    return {"cases": [case_summary(user, cid) for cid in ids]}


@dataclass(frozen=True)
class Operation:
    handler: Callable[[User, Any], dict[str, Any]]
    schema: type[Input]
    # True for operations that change state (the HTTP API needs POST for them).
    writes: bool


OPERATIONS: dict[str, Operation] = {
    "send": Operation(send, EnvelopeIn, True),
    "forward": Operation(forward, Decision, True),
    "return": Operation(return_to_sender, Decision, True),
    "reject": Operation(reject, Decision, True),
    "retract": Operation(retract, MessageRef, True),
    "pause": Operation(pause, CaseRef, True),
    "resume": Operation(resume, CaseRef, True),
    "withdraw": Operation(withdraw, CaseRef, True),
    "queue": Operation(queue, CaseRef, False),
    "message": Operation(get_message, MessageRef, False),
    "events": Operation(events, After, False),
    "case": Operation(get_case, CaseRef, False),
    "cases": Operation(list_cases, Input, False),
}


def run(name: str, user: User, payload: Any) -> dict[str, Any]:
    """Validate ``payload`` for operation ``name`` and run it for ``user``."""
    operation = OPERATIONS.get(name)
    if operation is None:
        raise InvalidRequest(f"Unknown operation {name!r}.")
    if not isinstance(payload, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    try:
        data = operation.schema.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise InvalidRequest(f"Invalid {where}: {first.get('msg', 'invalid value')}.") from None
    return operation.handler(user, data)
