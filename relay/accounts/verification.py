"""Key verification: whether a participant's current key may be forwarded to, in one case.

A facilitator compares a participant's fingerprint with them out of band and records it for
their case. Trust is a (case, key) fact: a verification recorded in another case counts for
nothing here (DESIGN §4). A participant's first key is trusted without a verification only in
the case whose facilitator gave them the code they enrolled with (``PublicKey.enrolled_in``):
a facilitator of another case could have issued a code and enrolled as them. Anywhere else,
and for every changed key, nothing is forwarded to it until a facilitator of this case has
verified it.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from relay.accounts.models import KeyVerification, PublicKey


def is_verified_in_case(*, case: Any, key: PublicKey) -> bool:
    """The one rule for "this key was verified": by a facilitator of this case, for it.
    A key read with ``has_verification`` annotated for this case
    (``relay.accounts.selectors.current_keys_by_user``) answers without a query."""
    case_id = getattr(case, "pk", case)
    annotated = getattr(key, "has_verification", None)
    if annotated is not None and getattr(key, "verification_case_id", None) == case_id:
        return bool(annotated)
    return KeyVerification.objects.filter(key=key, case_id=case_id).exists()


def is_trusted_in_case(*, case: Any, key: PublicKey) -> bool:
    """The one rule for "this case may encrypt to this key": enrolled with a code of this
    case, or verified by a facilitator of this case."""
    case_id = getattr(case, "pk", case)
    return key.enrolled_in_id == case_id or is_verified_in_case(case=case_id, key=key)


_READ_IT = object()


def forward_block_reason(
    *, case: Any, participant: Any, current: PublicKey | None | object = _READ_IT
) -> str | None:
    """A plain reason why forwarding to ``participant`` in ``case`` must wait, or None.
    ``current`` is the participant's current key (None: they have none) when the caller
    has read it in this transaction, with ``has_verification`` annotated for ``case``;
    their older keys are read only to word a refusal."""
    if current is _READ_IT:
        current = PublicKey.objects.filter(user=participant, retired_at__isnull=True).first()
    if not isinstance(current, PublicKey):
        return gettext("The other person has not set up their account yet.")
    if is_trusted_in_case(case=case, key=current):
        return None
    if PublicKey.objects.filter(user=participant).exclude(pk=current.pk).exists():
        return gettext(
            "The other person's key has changed. A facilitator of this case must check the "
            "new fingerprint with them before anything can be forwarded."
        )
    return gettext(
        "The other person's key was set up through another case. A facilitator of this case "
        "must check its fingerprint with them before anything can be forwarded."
    )
