"""Every operation a client can ask for, on HTTP and the WebSocket alike (docs/api.md).

Each app declares its operations in its own ``operations.py`` (``relay.surface`` has the
types); this package merges them into ``OPERATIONS``, the one table both surfaces read:
``relay.api.urls`` builds every ``api/`` route from it and ``relay.consumers`` takes its
frame types from it. Each operation validates its input with a pydantic model, makes one
``access_*`` check or one action call, and returns a JSON-ready dict, so both surfaces obey
exactly the same rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext
from pydantic import Field, ValidationError

from relay.accounts import operations as accounts
from relay.accounts.access import require_usable
from relay.attachments import operations as attachments
from relay.cases import operations as cases
from relay.delivery.selectors import latest_seq
from relay.errors import InvalidRequest
from relay.hub import operations as hub
from relay.moderation import operations as moderation
from relay.notifications import operations as notifications
from relay.operations.catch_up import events_after
from relay.recovery import operations as recovery
from relay.referrals import operations as referrals
from relay.retention import operations as retention
from relay.scheduling import operations as scheduling
from relay.statistics import operations as statistics
from relay.surface import Caller, Input, Operation, Route


class After(Input):
    after: int = Field(default=0, ge=0)
    limit: int = Field(default=200, ge=1, le=500)


def events(caller: Caller, data: After) -> dict[str, Any]:
    user = caller.user
    return {"events": events_after(user, data.after, limit=data.limit), "latest": latest_seq(user)}


OWN: dict[str, Operation] = {
    "events": Operation(events, After, False, Route("GET", "events"), socket=True),
}


def merged(*tables: Mapping[str, Operation]) -> dict[str, Operation]:
    """One table from several; a name declared twice is an error, not a silent override."""
    table: dict[str, Operation] = {}
    for part in tables:
        for name, operation in part.items():
            if name in table:
                raise ValueError(f"Operation {name!r} is declared twice.")
            table[name] = operation
    return table


OPERATIONS: dict[str, Operation] = merged(
    moderation.OPERATIONS,
    cases.OPERATIONS,
    accounts.OPERATIONS,
    recovery.OPERATIONS,
    statistics.OPERATIONS,
    retention.OPERATIONS,
    notifications.OPERATIONS,
    hub.OPERATIONS,
    referrals.OPERATIONS,
    scheduling.OPERATIONS,
    attachments.OPERATIONS,
    OWN,
)


def authorize(operation: Operation, user: Any) -> None:
    """Refuse a caller the operation's ``auth`` does not admit (before its input is read)."""
    if operation.auth == "usable":
        require_usable(user)
    elif operation.auth == "any_factor":
        require_usable(user, second_factor=False)


def run(name: str, caller: Caller, payload: Any) -> dict[str, Any]:
    """Validate ``payload`` for operation ``name`` and run it for ``caller``."""
    operation = OPERATIONS.get(name)
    if operation is None:
        raise InvalidRequest(gettext("Unknown operation %(name)s.") % {"name": repr(name)})
    if operation.session and caller.session is None:
        raise InvalidRequest(gettext("%(name)s is offered over HTTP only.") % {"name": repr(name)})
    authorize(operation, caller.user)
    if not isinstance(payload, dict):
        raise InvalidRequest(gettext("The request body must be a JSON object."))
    try:
        data = operation.schema.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise InvalidRequest(
            gettext("Invalid %(where)s: %(problem)s.")
            % {"where": where, "problem": first.get("msg", "invalid value")}
        ) from None
    return operation.handler(caller, data)
