"""What each event says: one frozen dataclass per event type and shape, each with one wire
form (docs/api.md, "Events").

An action builds these and hands them to ``relay.delivery.streams.append_events``; the
payload fixes the event's type, its ``data`` and the message it refers to, so no action
writes an event's ``data`` by hand. Events carry identifiers and states only, never content:
a message travels as the referenced envelope.

``EventType.QUEUE`` is a stored choice that nothing sends; it has no payload.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from relay.delivery.models import EventType


class Payload(ABC):
    """An event's type and ``data``. ``message``, where a payload has one, is the message
    row the event refers to (a ``moderation.Message``: delivery does not import it)."""

    TYPE: ClassVar[EventType]

    @abstractmethod
    def data(self) -> dict[str, Any]:
        """The event's ``data`` as the wire carries it."""


@dataclass(frozen=True)
class MessageEvent(Payload):
    """A message for you; ``side`` is who wrote it (``harmed``, ``responsible`` or
    ``facilitator``). Its wire form adds the message as the viewer sees it."""

    TYPE: ClassVar[EventType] = EventType.MESSAGE
    message: Any
    side: str
    # Sent to a participant only: the forward is the version passed on of this message of
    # theirs (``version_of`` in the wire data).
    version_of: Any = None

    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"side": self.side}
        if self.version_of is not None:
            data["version_of"] = str(self.version_of.pk)
        return data


@dataclass(frozen=True)
class MessageStateEvent(Payload):
    """A message changed state; ``note`` is the return note or rejection reason, if any;
    ``forward`` the facilitator's forward that approved it, if any."""

    TYPE: ClassVar[EventType] = EventType.MESSAGE_STATE
    message: Any
    state: str
    note: Any = None
    forward: Any = None

    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"message_id": str(self.message.pk), "state": self.state}
        if self.note is not None:
            data["note_id"] = str(self.note.pk)
        if self.forward is not None:
            data["forward_id"] = str(self.forward.pk)
            data["edited"] = bool(self.forward.edited)
        return data


@dataclass(frozen=True)
class CommunicationForParticipant(Payload):
    """Whether communication flows, as one participant may know it: never who paused,
    except that it was them."""

    TYPE: ClassVar[EventType] = EventType.COMMUNICATION
    communicating: bool
    paused_by_you: bool

    def data(self) -> dict[str, Any]:
        return {"communicating": self.communicating, "paused_by_you": self.paused_by_you}


@dataclass(frozen=True)
class CommunicationForFacilitators(Payload):
    """Whether communication flows, which sides paused, the safety pause, and whose change
    this was (a side, ``facilitator``, or None)."""

    TYPE: ClassVar[EventType] = EventType.COMMUNICATION
    communicating: bool
    paused_sides: tuple[str, ...]
    safety_paused: bool
    changed_by: str | None

    def data(self) -> dict[str, Any]:
        return {
            "communicating": self.communicating,
            "paused_sides": sorted(self.paused_sides),
            "safety_paused": self.safety_paused,
            "changed_by": self.changed_by,
        }


@dataclass(frozen=True)
class ParticipationEvent(Payload):
    TYPE: ClassVar[EventType] = EventType.PARTICIPATION
    side: str
    state: str

    def data(self) -> dict[str, Any]:
        return {"side": self.side, "state": self.state}


@dataclass(frozen=True)
class CaseStateEvent(Payload):
    TYPE: ClassVar[EventType] = EventType.CASE
    state: str

    def data(self) -> dict[str, Any]:
        return {"state": self.state}


@dataclass(frozen=True)
class CaseRecordEvent(Payload):
    """A case-work record was added (docs/casework.md): its kind and id, never its words."""

    TYPE: ClassVar[EventType] = EventType.CASE
    kind: str
    record_id: str

    def data(self) -> dict[str, Any]:
        return {"change": "record", "kind": self.kind, "record_id": self.record_id}


@dataclass(frozen=True)
class SupporterEvent(Payload):
    """A supporter of one participant was asked for, approved or ended: told to that
    participant and the facilitators only, never the other party."""

    TYPE: ClassVar[EventType] = EventType.CASE
    supporter_id: str
    state: str

    def data(self) -> dict[str, Any]:
        return {"change": "supporter", "supporter_id": self.supporter_id, "state": self.state}


@dataclass(frozen=True)
class FacilitatorsChanged(Payload):
    """The case's facilitators changed: clients refresh the keys they encrypt to."""

    TYPE: ClassVar[EventType] = EventType.CASE

    def data(self) -> dict[str, Any]:
        return {"change": "facilitators"}


@dataclass(frozen=True)
class KeyEvent(Payload):
    """A key you rely on was replaced."""

    TYPE: ClassVar[EventType] = EventType.KEY
    user_id: str
    key_id: str
    previous_key_id: str

    def data(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "key_id": self.key_id,
                "previous_key_id": self.previous_key_id}


@dataclass(frozen=True)
class KeyResetEvent(Payload):
    """A key you rely on is gone: the account was reset, the next key comes later."""

    TYPE: ClassVar[EventType] = EventType.KEY
    user_id: str
    previous_key_id: str | None

    def data(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "key_id": None,
                "previous_key_id": self.previous_key_id, "reset": True}


@dataclass(frozen=True)
class MeetingEvent(Payload):
    """A meeting you are invited to or host changed (``proposed``, ``answered``,
    ``confirmed``, ``rescheduled``, ``cancelled``, ``details``), is coming up
    (``reminder``), or — to facilitators — was shut by a pause or withdrawal while its room
    is open (``shut``). ``starts_at`` is the confirmed start (UTC, ISO 8601) or None."""

    TYPE: ClassVar[EventType] = EventType.MEETING
    meeting_id: str
    change: str
    starts_at: str | None = None

    def data(self) -> dict[str, Any]:
        return {"meeting_id": self.meeting_id, "change": self.change, "starts_at": self.starts_at}


def message_of(payload: Payload) -> Any:
    """The message an event refers to (its ``message`` column), if any."""
    return getattr(payload, "message", None)
