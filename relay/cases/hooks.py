"""What the case lifecycle needs from the apps above it, plugged in at start-up.

The cases app sits below moderation, so it never imports it. Where a case action or read
needs messages — voiding a withdrawing participant's pending messages, listing the
messages a participant may revise — moderation registers the function in its ``ready()``.
A hook left unset raises: a withdrawal that silently voided nothing would deliver messages
of someone who has left.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from relay.accounts.models import User
    from relay.cases.models import Case

# (case, sender) -> the sender's messages it voided (their rows locked: step 2 of the lock
# order, after the case and participation rows, before the case's audit chain head).
Withdrawal = Callable[["Case", "User"], list[Any]]
# (case, sender) -> the ids of the sender's messages that may get a new version.
Revisable = Callable[["Case", "User"], list[uuid.UUID]]

_hooks: dict[str, Callable[..., Any]] = {}


def set_on_withdrawal(fn: Withdrawal) -> None:
    _hooks["on_withdrawal"] = fn


def set_revisable(fn: Revisable) -> None:
    _hooks["revisable"] = fn


def _get(name: str) -> Callable[..., Any]:
    try:
        return _hooks[name]
    except KeyError:
        raise ImproperlyConfigured(
            f"The cases hook {name!r} is not set: relay.moderation must be installed."
        ) from None


def on_withdrawal(case: Case, sender: User) -> list[Any]:
    """Void the withdrawing ``sender``'s pending messages; returns the voided messages."""
    result: list[Any] = _get("on_withdrawal")(case, sender)
    return result


def revisable(case: Case, sender: User) -> list[uuid.UUID]:
    """The ids of ``sender``'s returned messages in ``case`` that may get a new version."""
    result: list[uuid.UUID] = _get("revisable")(case, sender)
    return result
