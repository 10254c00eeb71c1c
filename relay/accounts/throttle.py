"""Brute-force defence: failed sign-in, enrolment-code and second-factor attempts, counted per
account and per address in Django's cache (Redis in production, so every Daphne process
shares the counts).

Cache keys are opaque HMACs: no username or address is readable in the cache (DESIGN §9).
Only failures count; a success clears the account's count. Limits come from settings:
``RELAY_THROTTLE_LIMITS[scope] = (per_account, per_address)`` within
``RELAY_THROTTLE_WINDOW`` seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import ngettext

from relay.errors import RelayError


class Throttled(RelayError):
    """Too many failed attempts; the message says how long to wait."""

    code = "throttled"
    status = 429

    def __init__(self, wait_seconds: int) -> None:
        minutes = max(1, math.ceil(wait_seconds / 60))
        super().__init__(
            ngettext(
                "Too many attempts. Wait %(minutes)s minute and try again.",
                "Too many attempts. Wait %(minutes)s minutes and try again.",
                minutes,
            )
            % {"minutes": minutes}
        )
        self.wait_seconds = wait_seconds


def client_address(request: HttpRequest) -> str:
    """The address the attempt came from. Behind the TLS proxy Daphne is started with
    ``--proxy-headers``, so REMOTE_ADDR is already the client's address."""
    return str(request.META.get("REMOTE_ADDR", ""))


def _window() -> int:
    return int(settings.RELAY_THROTTLE_WINDOW)


def _limits(scope: str) -> tuple[int, int]:
    per_account, per_address = settings.RELAY_THROTTLE_LIMITS[scope]
    return int(per_account), int(per_address)


def _key(scope: str, kind: str, ident: str) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{scope}:{kind}:{ident.lower()}".encode(), hashlib.sha256
    )
    return "t:" + digest.hexdigest()[:40]


def _idents(scope: str, account: str | None, address: str) -> list[tuple[str, int]]:
    per_account, per_address = _limits(scope)
    keys = [(_key(scope, "addr", address), per_address)]
    if account:
        keys.append((_key(scope, "acct", account), per_account))
    return keys


def check(scope: str, *, account: str | None, address: str) -> None:
    """Raise ``Throttled`` if the account or the address has used up its failures."""
    for key, limit in _idents(scope, account, address):
        state = cache.get(key)
        if state and state[0] >= limit:
            raise Throttled(max(1, int(state[1] - time.time())))


def fail(scope: str, *, account: str | None, address: str) -> None:
    """Count one failed attempt against the account and the address."""
    window = _window()
    for key, _limit in _idents(scope, account, address):
        state = cache.get(key)
        if not state or state[1] <= time.time():
            state = (0, time.time() + window)
        cache.set(key, (state[0] + 1, state[1]), timeout=max(1, int(state[1] - time.time())))


def succeed(scope: str, *, account: str | None) -> None:
    """A success clears the account's count (not the address's: one address may try many
    accounts)."""
    if account:
        cache.delete(_key(scope, "acct", account))
