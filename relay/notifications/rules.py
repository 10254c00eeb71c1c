"""Pure rules: quiet hours and when a batch is ready to send."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def in_quiet_hours(now: datetime, start: time | None, end: time | None, zone: str) -> bool:
    """Whether ``now`` falls in the quiet hours [start, end) in the person's time zone; a
    span that passes midnight (22:00–07:00) wraps."""
    if start is None or end is None or start == end:
        return False
    local = now.astimezone(ZoneInfo(zone)).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end


def batch_ready(
    *, now: datetime, first_pending: datetime, last_sent: datetime | None,
    batch: timedelta, min_interval: timedelta,
) -> bool:
    """A batch goes once its first update has waited ``batch`` (so a burst becomes one
    notification) and at least ``min_interval`` after the previous notification."""
    if now - first_pending < batch:
        return False
    return last_sent is None or now - last_sent >= min_interval
