"""Key verification: whether a participant's current key may be forwarded to, in one case.

A facilitator compares a participant's fingerprint with them out of band and records it for
their case. Trust is a (case, key) fact: a verification recorded in another case counts for
nothing here (DESIGN §4). Until a participant's *changed* key is verified again in this case,
nothing is forwarded to it. A participant's first key is trusted on enrolment with the
single-use code a facilitator gave them; re-verification is required only after a change.
"""

from __future__ import annotations

from typing import Any

from relay.accounts.models import KeyVerification, PublicKey


def is_verified_in_case(*, case: Any, key: PublicKey) -> bool:
    """The one rule for "this key was verified": by a facilitator of this case, for it."""
    return KeyVerification.objects.filter(key=key, case=case).exists()


def forward_block_reason(*, case: Any, participant: Any) -> str | None:
    """A plain reason why forwarding to ``participant`` in ``case`` must wait, or None."""
    keys = list(PublicKey.objects.filter(user=participant).order_by("created_at"))
    current = [k for k in keys if k.retired_at is None]
    if not current:
        return "The other person has not set up their account yet."
    key = current[0]
    changed = len(keys) > 1
    if changed and not is_verified_in_case(case=case, key=key):
        return (
            "The other person's key has changed. A facilitator of this case must check the "
            "new fingerprint with them before anything can be forwarded."
        )
    return None
