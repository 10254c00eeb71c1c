"""The open WebSockets of this process, their close codes, and the one sweep that watches them.

An idle socket costs nothing of its own (DESIGN §6): no timer and no query per socket. Sign-out,
suspension, password, factor and withdrawal changes close sockets at once through
``stream.revoke`` on the channel layer. What no event announces — a session reaching its idle
deadline, a revocation or wake-up the channel layer lost, a group membership Redis forgot — is
found by one timer per process: every ``RELAY_SOCKET_SWEEP_SECONDS`` it reads the sessions and
users of all its open sockets in one query each, closes the sockets whose session ended or went
idle, and flushes those whose user's latest ``seq`` is ahead of what the socket sent (rejoining
their group first). The timer runs only while the process has an open socket.

The registry also enforces the caps on open sockets per session and per user
(``RELAY_MAX_SOCKETS_PER_SESSION``, ``RELAY_MAX_SOCKETS_PER_USER``), counted in this process.

Sockets use the database on the process's own pool of ``RELAY_DB_THREADS`` threads
(``on_database``), not on the one thread Channels would otherwise give every database call of
the process: a socket waiting for a case lock or a slow query holds up no other socket.
Nothing a socket runs needs a particular thread: each call is a whole transaction, and one
socket's calls follow each other because the socket awaits each before the next.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import IntEnum
from importlib import import_module
from typing import Any, Protocol

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.utils import timezone

from relay.accounts.access import require_usable
from relay.accounts.middleware import idle_deadline, record_activity
from relay.accounts.models import User
from relay.errors import AccessDenied
from relay.metrics import SOCKETS_ACCEPTED, SOCKETS_OPEN

log = logging.getLogger(__name__)

_database_threads: ThreadPoolExecutor | None = None
_database_threads_lock = threading.Lock()


def database_threads() -> ThreadPoolExecutor:
    """The process's database threads, made at first use (``RELAY_DB_THREADS``)."""
    global _database_threads
    with _database_threads_lock:
        if _database_threads is None:
            _database_threads = ThreadPoolExecutor(
                max_workers=max(1, int(settings.RELAY_DB_THREADS)),
                thread_name_prefix="relay-db",
            )
        return _database_threads


def on_database[**P, R](func: Callable[P, R]) -> Callable[P, Any]:
    """``func`` as a coroutine function run on one of the database threads, with Django's
    connection upkeep around each call (Channels' ``database_sync_to_async``)."""
    return database_sync_to_async(func, thread_sensitive=False, executor=database_threads())


class Close(IntEnum):
    """Every code the server closes a socket with (docs/api.md, "Close codes").

    Daphne sends only 1000 or 3000–4999 from an application, so all of them are 4xxx.
    ``FINAL`` ones mean reconnecting will not help until the person acts.
    """

    REVOKED = 4001  # session ended, password or factor changed, suspended, withdrew
    IDLE = 4002  # the session reached its idle deadline
    ORIGIN = 4003  # the page's origin is not in RELAY_ALLOWED_ORIGINS
    BAD_FRAMES = 4400  # more than MAX_BAD_FRAMES bad frames on one socket
    UNAUTHENTICATED = 4401  # not signed in, or suspended, at connect
    SECOND_FACTOR = 4403  # staff (or a participant who set one up) without a verified factor
    TOO_BIG = 4413  # a frame larger than RELAY_MAX_FRAME_BYTES
    BINARY = 4415  # a binary frame
    TOO_MANY = 4429  # more open sockets than the session's or user's cap


FINAL = frozenset(
    {Close.REVOKED, Close.IDLE, Close.ORIGIN, Close.UNAUTHENTICATED, Close.SECOND_FACTOR,
     Close.TOO_MANY}
)


class OpenSocket(Protocol):
    """What the registry needs of a consumer."""

    user_id: str
    session_key: str
    opened_at: int
    sent_seq: int | None

    async def close_with(self, code: Close) -> None: ...

    async def catch_up(self, latest: int) -> None: ...

    async def rejoin(self) -> None: ...


@dataclass(frozen=True)
class Verdict:
    """What the sweep decided for one socket: close it, or its user's latest ``seq``."""

    close: Close | None
    latest: int = 0


# Group memberships expire in the channel layer after a day; renew them well before.
RENEW_GROUPS_SECONDS = 3600.0


class Registry:
    """The open sockets on one event loop (Daphne runs one per process) and its sweep."""

    def __init__(self) -> None:
        self.sockets: set[OpenSocket] = set()
        self.per_session: Counter[str] = Counter()
        self.per_user: Counter[str] = Counter()
        self.task: asyncio.Task[None] | None = None
        self.groups_renewed = time.monotonic()
        # Each open session's stored data as last read, and its decoding: a session is
        # rewritten at most once per activity step, so most sweeps decode none.
        self.decoded: dict[str, tuple[str, dict[str, Any]]] = {}

    def add(self, socket: OpenSocket) -> bool:
        """Register an accepted socket; False (and nothing registered) beyond a cap. Runs
        without awaiting, so two connects on this loop cannot both take the last slot."""
        if (
            self.per_session[socket.session_key] >= settings.RELAY_MAX_SOCKETS_PER_SESSION
            or self.per_user[socket.user_id] >= settings.RELAY_MAX_SOCKETS_PER_USER
        ):
            return False
        self.sockets.add(socket)
        SOCKETS_OPEN.inc()
        SOCKETS_ACCEPTED.inc()
        self.per_session[socket.session_key] += 1
        self.per_user[socket.user_id] += 1
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())
        return True

    def discard(self, socket: OpenSocket) -> None:
        """Forget a socket on every way out (close, disconnect, crash); idempotent."""
        if socket not in self.sockets:
            return
        self.sockets.discard(socket)
        SOCKETS_OPEN.dec()
        self.per_session[socket.session_key] -= 1
        if self.per_session[socket.session_key] <= 0:
            del self.per_session[socket.session_key]
        self.per_user[socket.user_id] -= 1
        if self.per_user[socket.user_id] <= 0:
            del self.per_user[socket.user_id]
        if socket.session_key not in self.per_session:
            self.decoded.pop(socket.session_key, None)
        if not self.sockets and self.task is not None:
            self.task.cancel()
            self.task = None

    async def _run(self) -> None:
        while self.sockets:
            await asyncio.sleep(settings.RELAY_SOCKET_SWEEP_SECONDS)
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is away; the next sweep tries again
                log.exception("socket sweep failed")

    async def sweep(self) -> None:
        sockets = list(self.sockets)
        if not sockets:
            return
        verdicts = await on_database(verdicts_for)(sockets, self.decoded)
        renew = time.monotonic() - self.groups_renewed > RENEW_GROUPS_SECONDS
        if renew:
            self.groups_renewed = time.monotonic()
        for socket, verdict in zip(sockets, verdicts, strict=True):
            if socket not in self.sockets:
                continue  # closed while the sweep read the database
            if verdict.close is not None:
                await socket.close_with(verdict.close)
                continue
            if renew:
                await socket.rejoin()
            await socket.catch_up(verdict.latest)


_registries: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Registry] = (
    weakref.WeakKeyDictionary()
)


def registry() -> Registry:
    """This event loop's registry (one per Daphne process; one per test's loop in tests)."""
    loop = asyncio.get_running_loop()
    found = _registries.get(loop)
    if found is None:
        found = _registries[loop] = Registry()
    return found


# --- the rules, read from the database ------------------------------------------------------


def _session_store_class() -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_verdict(
    session: dict[str, Any] | None, user: User | None, *, user_id: str, opened_at: int, now: int
) -> Verdict:
    """The one rule a socket's session must keep to stay open: it exists and is this user's,
    the password has not changed since it began, the account may act, and it is not idle."""
    if session is None or user is None:
        return Verdict(Close.REVOKED)
    if str(session.get(SESSION_KEY, "")) != user_id or not session.get(BACKEND_SESSION_KEY):
        return Verdict(Close.REVOKED)
    try:
        require_usable(user, second_factor=False)
    except AccessDenied:
        return Verdict(Close.REVOKED)
    if session.get(HASH_SESSION_KEY) != user.get_session_auth_hash():
        return Verdict(Close.REVOKED)
    if now > idle_deadline(session, default_last_seen=opened_at):
        return Verdict(Close.IDLE)
    return Verdict(None, user.event_seq)


# What the sweep reads of a user: what ``session_verdict`` looks at, and nothing else.
SWEEP_USER_FIELDS = ("id", "event_seq", "password", "is_active", "suspended_at")


def verdicts_for(
    sockets: list[OpenSocket], decoded: dict[str, tuple[str, dict[str, Any]]] | None = None
) -> list[Verdict]:
    """One verdict per socket, from one query for their sessions and one for their users.

    ``decoded`` keeps each session's stored data and its decoding between sweeps; a
    session is decoded again only when its stored data has changed."""
    store_class = _session_store_class()
    model = store_class.get_model_class()
    keys = {s.session_key for s in sockets}
    rows = model.objects.filter(session_key__in=keys, expire_date__gt=timezone.now())
    decoder = store_class()
    known = {} if decoded is None else decoded
    sessions: dict[str, dict[str, Any]] = {}
    for key, data in rows.values_list("session_key", "session_data").iterator():
        seen = known.get(key)
        if seen is None or seen[0] != data:
            seen = known[key] = (data, decoder.decode(data))
        sessions[key] = seen[1]
    for gone in keys - sessions.keys():
        known.pop(gone, None)
    users = {
        str(u.pk): u
        for u in User.objects.filter(pk__in={s.user_id for s in sockets}).only(
            *SWEEP_USER_FIELDS
        )
    }
    now = int(time.time())
    return [
        session_verdict(
            sessions.get(s.session_key), users.get(s.user_id),
            user_id=s.user_id, opened_at=s.opened_at, now=now,
        )
        for s in sockets
    ]


def admission_close(session: Any, *, now: int) -> Close | None:
    """At connect, after the account checks: a session already past its idle deadline."""
    if session is not None and now > idle_deadline(session, default_last_seen=now):
        return Close.IDLE
    return None


def mark_active(socket: OpenSocket) -> Close | None:
    """An operation frame is activity, as any HTTP request is: move the session's idle
    deadline on — unless the session has already ended or gone idle, then the close code.
    Reads the session afresh, so nothing a request changed since connect is written back."""
    store = _session_store_class()(session_key=socket.session_key)
    session = dict(store.items()) or None  # empty once the session has ended
    user = User.objects.filter(pk=socket.user_id).first()
    now = int(time.time())
    verdict = session_verdict(
        session, user, user_id=socket.user_id, opened_at=socket.opened_at, now=now
    )
    if verdict.close is not None:
        return verdict.close
    if record_activity(store, now):
        store.save()
    return None
