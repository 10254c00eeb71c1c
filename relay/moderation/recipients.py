"""The recipient rule (invariant 1): who every envelope in a case must be encrypted to.

Always the case's current facilitators; and the author's own key (a participant's
message), or the one participant it goes to (a forward, a return note or rejection reason,
a facilitator note). Consented supporters may be named as well, never required; a forward
may also name the current key of the participant who wrote the message it forwards (their
own words, as the facilitator passed them on), never required. Nobody else, and never the
other party directly.

A held participation (``relay.cases.held``: a person with no device, for whom the
facilitators act) has no key: what a facilitator enters for them, and everything sent to
them, is sealed to exactly the case's current facilitators (``held_recipient_set``); the only
extra key ever allowed is a forward's writer's own, as above.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from relay.accounts.selectors import current_key_ids
from relay.cases.selectors import current_facilitators
from relay.cases.supporters import consented_supporter_keys
from relay.envelopes import Envelope, check_recipients

if TYPE_CHECKING:
    from relay.accounts.models import PublicKey
    from relay.cases.members import CaseMembers
    from relay.cases.models import Case, Participation


@dataclass(frozen=True)
class RecipientSet:
    required: frozenset[str]
    allowed_extra: frozenset[str]

    def check(self, envelope: Envelope) -> None:
        """Refuse the envelope unless it names exactly ``required`` plus any of
        ``allowed_extra`` (``recipients_forbidden`` before ``recipients_missing``)."""
        check_recipients(envelope, required=self.required, allowed_extra=self.allowed_extra)


def facilitator_key_ids(case: Case, *, members: CaseMembers | None = None) -> frozenset[str]:
    """The current keys of the case's current facilitators; from ``members`` when the
    action has read them under the case lock (``relay.cases.members``)."""
    if members is not None:
        return members.facilitator_key_ids()
    return frozenset(current_key_ids(current_facilitators(case.pk)))


def supporter_key_ids(participation: Participation) -> frozenset[str]:
    """The current keys of the participant's consented supporters: the only extra keys an
    envelope from or to that participant may name (``relay.cases.supporters``)."""
    return frozenset(k.key_id for k in consented_supporter_keys(participation))


def recipient_set(
    case: Case,
    *,
    sender_key: PublicKey,
    to: PublicKey | None = None,
    supporters: Iterable[str] = (),
    original_sender: PublicKey | None = None,
    members: CaseMembers | None = None,
) -> RecipientSet:
    """The keys an envelope written with ``sender_key`` in ``case`` must name: the current
    facilitators', the author's own, and ``to``'s (the participant it is for, if any).
    ``supporters`` are key ids that may be named too. ``original_sender`` is given only for
    a forward: the current key of the participant whose message it forwards, which may be
    named too, so they can read the version the other person received; the other party's
    content never reaches them this way, because a forward is only ever of their own
    message. ``members``: the case's members as the action read them under the lock."""
    required = facilitator_key_ids(case, members=members) | {sender_key.key_id}
    if to is not None:
        required |= {to.key_id}
    extra = set(supporters)
    if original_sender is not None:
        extra.add(original_sender.key_id)
    return RecipientSet(required=frozenset(required), allowed_extra=frozenset(extra))


def held_recipient_set(
    case: Case,
    *,
    sender_key: PublicKey,
    original_sender: PublicKey | None = None,
    members: CaseMembers | None = None,
) -> RecipientSet:
    """The keys an envelope for or from a held participant must name: exactly the case's
    current facilitators (``sender_key`` is one of theirs: only a facilitator writes it).
    ``original_sender``, as in ``recipient_set``, is given only for a forward to a held
    person: the writer's own current key, which may be named so they can read what was
    passed on of their words."""
    extra = {original_sender.key_id} if original_sender is not None else set()
    return RecipientSet(
        required=facilitator_key_ids(case, members=members) | {sender_key.key_id},
        allowed_extra=frozenset(extra),
    )
