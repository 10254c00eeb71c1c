"""Message transition table. Pure: no database access."""

from __future__ import annotations

from django.utils.translation import gettext

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
        if current in DECIDED:
            raise IllegalTransition(gettext("This message has already been dealt with."))
        raise IllegalTransition(
            gettext("A message cannot move from %(current)s to %(new)s.")
            % {"current": current, "new": new}
        )
