"""The hub's operations: its public record, and changing it (docs/api.md, "Hub")."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.utils.translation import gettext

from relay.errors import InvalidRequest
from relay.hub import actions
from relay.hub.access import access_hub_settings, access_intake_key
from relay.hub.selectors import hub_wire, intake_key_wire
from relay.surface import Body, Caller, Input, Operation, Route


def hub(caller: Caller, data: Input) -> dict[str, Any]:
    """Anyone, signed in or not: what the public pages show, and the intake key."""
    return hub_wire()


def update_hub(caller: Caller, data: Body) -> dict[str, Any]:
    """An admin changes the fields the body names."""
    actor = access_hub_settings(caller.user)
    return hub_wire(actions.update_hub_settings(actor=actor, changes=data.fields()))


class NewIntakeKey(Input):
    public_key: str
    wraps: list[Any]


class SharedIntakeKey(Input):
    intake_key_id: str
    wraps: list[Any]


def intake_key(caller: Caller, data: Input) -> dict[str, Any]:
    """Hub managers and admins: the intake key, their wraps of it, and who holds it."""
    return intake_key_wire(access_intake_key(caller.user))


def create_intake_key(caller: Caller, data: NewIntakeKey) -> dict[str, Any]:
    actor = access_intake_key(caller.user)
    try:
        public_key = base64.b64decode(data.public_key, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest(gettext("Invalid public_key: base64 of 32 bytes.")) from None
    actions.create_intake_key(actor=actor, public_key=public_key, wraps=data.wraps)
    return intake_key_wire(actor)


def share_intake_key(caller: Caller, data: SharedIntakeKey) -> dict[str, Any]:
    actor = access_intake_key(caller.user)
    actions.share_intake_key(actor=actor, intake_key_id=data.intake_key_id, wraps=data.wraps)
    return intake_key_wire(actor)


OPERATIONS: dict[str, Operation] = {
    "hub": Operation(hub, Input, False, Route("GET", "hub"), auth="anonymous"),
    "update_hub": Operation(update_hub, Body, True, Route("POST", "hub")),
    "intake_key": Operation(intake_key, Input, False, Route("GET", "hub/intake-key")),
    "create_intake_key": Operation(
        create_intake_key, NewIntakeKey, True, Route("POST", "hub/intake-key", status=201)
    ),
    "share_intake_key": Operation(
        share_intake_key, SharedIntakeKey, True, Route("POST", "hub/intake-key/share")
    ),
}
