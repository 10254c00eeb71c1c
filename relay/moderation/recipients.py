"""The recipient rule (invariant 1): who every envelope in a case must be encrypted to.

Always the case's current facilitators; and the author's own key (a participant's
message), or the one participant it goes to (a forward, a return note or rejection reason,
a facilitator note). Consented supporters may be named as well, never required. Nobody
else, and never the other party directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from relay.accounts.selectors import current_key_ids
from relay.cases.selectors import current_facilitators
from relay.envelopes import Envelope, check_recipients

if TYPE_CHECKING:
    from relay.accounts.models import PublicKey
    from relay.cases.models import Case


@dataclass(frozen=True)
class RecipientSet:
    required: frozenset[str]
    allowed_extra: frozenset[str]

    def check(self, envelope: Envelope) -> None:
        """Refuse the envelope unless it names exactly ``required`` plus any of
        ``allowed_extra`` (``recipients_forbidden`` before ``recipients_missing``)."""
        check_recipients(envelope, required=self.required, allowed_extra=self.allowed_extra)


def facilitator_key_ids(case: Case) -> frozenset[str]:
    """The current keys of the case's current facilitators."""
    return frozenset(current_key_ids(current_facilitators(case.pk)))


def recipient_set(
    case: Case,
    *,
    sender_key: PublicKey,
    to: PublicKey | None = None,
    supporters: Iterable[str] = (),
) -> RecipientSet:
    """The keys an envelope written with ``sender_key`` in ``case`` must name: the current
    facilitators', the author's own, and ``to``'s (the participant it is for, if any).
    ``supporters`` are key ids that may be named too."""
    required = facilitator_key_ids(case) | {sender_key.key_id}
    if to is not None:
        required |= {to.key_id}
    return RecipientSet(required=frozenset(required), allowed_extra=frozenset(supporters))
