"""Message transition table. Pure: no database access."""

from __future__ import annotations

from relay.errors import IllegalTransition
from relay.moderation.models import MessageState as M

MESSAGE_TRANSITIONS: dict[str, frozenset[str]] = {
    M.SUBMITTED: frozenset({M.APPROVED, M.RETURNED, M.REJECTED, M.RETRACTED, M.VOIDED}),
    M.APPROVED: frozenset(),
    M.RETURNED: frozenset(),
    M.REJECTED: frozenset(),
    M.RETRACTED: frozenset(),
    M.VOIDED: frozenset(),
    M.DELIVERED: frozenset(),
}

DECIDED = frozenset({M.APPROVED, M.RETURNED, M.REJECTED, M.RETRACTED, M.VOIDED})


def check_message_transition(current: str, new: str) -> None:
    if new not in MESSAGE_TRANSITIONS[current]:
        raise IllegalTransition(
            "This message has already been dealt with." if current in DECIDED
            else f"A message cannot move from {current} to {new}."
        )
