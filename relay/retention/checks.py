"""System checks for the retention settings (relay.E060–E062)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register

# Below this, a case's content could go before a complaint about it could be raised.
MIN_CASE_DAYS = 30
SETTINGS = (
    "RELAY_RETENTION_CASE_DAYS",
    "RELAY_RETENTION_UNSUITABLE_DAYS",
    "RELAY_RETENTION_REFERRAL_DAYS",
)


@register()
def retention_settings(app_configs: Any, **kwargs: Any) -> list[Error | Warning]:
    problems: list[Error | Warning] = []
    for name in SETTINGS:
        value = getattr(settings, name, None)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            problems.append(
                Error(f"{name} must be a whole number of days, at least 1.", id="relay.E060")
            )
    if problems:
        return problems
    if settings.RELAY_RETENTION_CASE_DAYS < MIN_CASE_DAYS:
        problems.append(
            Error(
                f"RELAY_RETENTION_CASE_DAYS is under {MIN_CASE_DAYS} days: a concluded case's "
                "content would go before a complaint about it could be looked into.",
                id="relay.E061",
            )
        )
    if settings.RELAY_RETENTION_UNSUITABLE_DAYS > settings.RELAY_RETENTION_CASE_DAYS:
        problems.append(
            Warning(
                "RELAY_RETENTION_UNSUITABLE_DAYS is longer than RELAY_RETENTION_CASE_DAYS: "
                "cases that never started would be kept longer than those that did.",
                id="relay.E062",
            )
        )
    return problems
