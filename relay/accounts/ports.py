"""What accounts needs from the layers above it, plugged in at startup.

A key change must be announced loudly to everyone who relies on the key (DESIGN §4), and who
that is depends on cases: the facilitators of a participant's cases, everyone in a
facilitator's cases. Accounts cannot import cases (it sits below), and its key actions are
reached from account endpoints (``POST /api/keys``, a hub manager's staff reset) that cannot
either, so ``relay.cases`` plugs its rule, ``relay.cases.audience.key_change_audience``, in
here from ``CasesConfig.ready``. Left empty it raises: a silent empty audience would hide a
key change.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from relay.accounts.models import User

KeyAudience = Callable[["User"], Collection[uuid.UUID]]

_key_audience: KeyAudience | None = None


def set_key_audience(rule: KeyAudience) -> None:
    """Install the rule for who relies on a user's key (called once, at startup)."""
    global _key_audience
    _key_audience = rule


def key_audience(user: User) -> Collection[uuid.UUID]:
    """Everyone who relies on ``user``'s key, by the installed rule."""
    if _key_audience is None:
        raise ImproperlyConfigured(
            "No key-change audience is installed: relay.cases must be in INSTALLED_APPS."
        )
    return _key_audience(user)
