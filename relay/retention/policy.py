"""How long a case's content is kept once it has ended: pure rules over states and settings.

- A case that was found unsuitable, or closed before it reached ``preparing`` or with the
  reason ``unsuitable``, never became a conversation: ``RELAY_RETENTION_UNSUITABLE_DAYS``.
- Any other ended case (concluded, or closed later on): ``RELAY_RETENTION_CASE_DAYS``.
- A referral that never became a case: ``RELAY_RETENTION_REFERRAL_DAYS`` (the intake app's
  referrals, shredded by the eraser it registers).

The period runs from ``Case.ended_at``: the last time the case ended.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from relay.cases.models import CaseState
from relay.cases.states import ENDED_STATES

NEVER_STARTED = frozenset({CaseState.REFERRED, CaseState.ASSESSING, CaseState.UNSUITABLE})


def retention_days(state: str, *, close_reason: str | None, close_stage: str | None) -> int | None:
    """The days a case in ``state`` keeps its content after it ended; None while open."""
    if state not in ENDED_STATES:
        return None
    if (
        state == CaseState.UNSUITABLE
        or close_reason == "unsuitable"
        or (state == CaseState.CLOSED and close_stage in NEVER_STARTED)
    ):
        return int(settings.RELAY_RETENTION_UNSUITABLE_DAYS)
    return int(settings.RELAY_RETENTION_CASE_DAYS)


def shred_after(ended_at: datetime | None, days: int | None) -> datetime | None:
    """When the content goes: ``days`` after the case ended."""
    if ended_at is None or days is None:
        return None
    return ended_at + timedelta(days=days)


def is_due(ended_at: datetime | None, days: int | None, now: datetime) -> bool:
    after = shred_after(ended_at, days)
    return after is not None and after <= now
