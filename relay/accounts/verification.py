"""Key verification: whether a participant's current key may be forwarded to.

A facilitator compares a participant's fingerprint with them out of band and records it.
Until a participant's *changed* key is verified again, nothing is forwarded to it (DESIGN §4).
A participant's first key is trusted on enrolment with the single-use code the facilitator
gave them; re-verification is required only after a change.
"""

from __future__ import annotations

from typing import Any

from relay.accounts.models import PublicKey


def forward_block_reason(*, case: Any, participant: Any) -> str | None:
    """A plain reason why forwarding to ``participant`` must wait, or None."""
    keys = list(PublicKey.objects.filter(user=participant).order_by("created_at"))
    current = [k for k in keys if k.retired_at is None]
    if not current:
        return "The other person has not set up their account yet."
    key = current[0]
    changed = len(keys) > 1
    if changed and not key.verifications.exists():  # type: ignore[attr-defined]
        return (
            "The other person's key has changed. A facilitator must check the new "
            "fingerprint with them before anything can be forwarded."
        )
    return None
