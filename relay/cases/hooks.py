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
# (case, sender) -> the ids of the sender's messages they may still take back.
Retractable = Callable[["Case", "User"], list[uuid.UUID]]

_hooks: dict[str, Callable[..., Any]] = {}


def set_on_withdrawal(fn: Withdrawal) -> None:
    _hooks["on_withdrawal"] = fn


def set_revisable(fn: Revisable) -> None:
    _hooks["revisable"] = fn


def set_retractable(fn: Retractable) -> None:
    _hooks["retractable"] = fn


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


def retractable(case: Case, sender: User) -> list[uuid.UUID]:
    """The ids of ``sender``'s messages in ``case`` still waiting for a decision."""
    result: list[uuid.UUID] = _get("retractable")(case, sender)
    return result


# Listeners of a case's changes, for apps above cases that must react inside the same
# transaction (scheduling cancels the meetings of a case that ended, and of a participant
# who withdrew, and tells facilitators when a pause shuts a live meeting). Called with
# (case, change, actor, participation): ``change`` is the case's new state, ``paused``,
# ``safety_paused``, ``withdrawn``, ``consent_withdrawn`` or ``supporter_ended`` (consent to
# one of the participant's supporters ended); ``participation`` the one that changed, or None.
# Optional: with none registered, nothing else happens.
CaseListener = Callable[["Case", str, "User", Any], None]
_listeners: list[CaseListener] = []


def add_case_listener(fn: CaseListener) -> None:
    if fn not in _listeners:
        _listeners.append(fn)


def case_changed(case: Case, change: str, *, actor: User, participation: Any = None) -> None:
    for listener in list(_listeners):
        listener(case, change, actor, participation)
