"""Notification operations: a person's own choices, and a participant's contact details
for the facilitators of their case (docs/api.md, "Notifications")."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field

from relay.notifications import actions
from relay.notifications.access import access_participant_contact
from relay.notifications.selectors import preference_wire
from relay.surface import Caller, Input, Operation, Route


class NotificationsIn(Input):
    channels: list[str] = Field(default_factory=list, max_length=2)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=24)
    quiet_start: str | None = Field(default=None, max_length=5)
    quiet_end: str | None = Field(default=None, max_length=5)
    time_zone: str = Field(default="Europe/London", max_length=64)


class ContactIn(Input):
    case_id: uuid.UUID
    side: str = Field(max_length=20)


def get_notifications(caller: Caller, data: Input) -> dict[str, Any]:
    return preference_wire(caller.user)


def set_notifications(caller: Caller, data: NotificationsIn) -> dict[str, Any]:
    actions.set_notifications(actor=caller.user, **data.model_dump())
    return preference_wire(caller.user)


def participant_contact(caller: Caller, data: ContactIn) -> dict[str, Any]:
    return preference_wire(access_participant_contact(caller.user, data.case_id, data.side))


OPERATIONS: dict[str, Operation] = {
    "notifications": Operation(get_notifications, Input, False, Route("GET", "notifications")),
    "set_notifications": Operation(
        set_notifications, NotificationsIn, True, Route("POST", "notifications/settings")
    ),
    "participant_contact": Operation(
        participant_contact, ContactIn, False,
        Route("GET", "cases/<uuid:case_id>/participants/<str:side>/contact"),
    ),
}
