"""The retention operations: when a case's content goes, and legal holds (docs/api.md)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field

from relay.cases.access import access_case_to_close
from relay.retention import actions
from relay.retention.selectors import retention_wire
from relay.surface import Caller, Input, Operation, Route


class CaseRef(Input):
    case_id: uuid.UUID


class HoldIn(Input):
    case_id: uuid.UUID
    reason: str = Field(max_length=32)
    reference: str = Field(default="", max_length=200)


def get_retention(caller: Caller, data: CaseRef) -> dict[str, Any]:
    """A current facilitator of the case, or a hub manager."""
    return retention_wire(access_case_to_close(caller.user, data.case_id))


def place_hold(caller: Caller, data: HoldIn) -> dict[str, Any]:
    hold = actions.place_hold(
        actor=caller.user, case_id=data.case_id, reason=data.reason, reference=data.reference
    )
    return retention_wire(hold.case)


def release_hold(caller: Caller, data: CaseRef) -> dict[str, Any]:
    hold = actions.release_hold(actor=caller.user, case_id=data.case_id)
    return retention_wire(hold.case)


_R = "cases/<uuid:case_id>/retention"
OPERATIONS: dict[str, Operation] = {
    "retention": Operation(get_retention, CaseRef, False, Route("GET", _R)),
    "place_hold": Operation(place_hold, HoldIn, True, Route("POST", f"{_R}/hold", status=201)),
    "release_hold": Operation(
        release_hold, CaseRef, True, Route("POST", f"{_R}/release", body=False)
    ),
}
