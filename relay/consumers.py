"""The relay's WebSocket: one per device, a thin adapter over ``relay.operations``.

Frames are JSON text objects ``{"type": ..., "ref": ..., ...}`` no larger than
``RELAY_MAX_FRAME_BYTES``. Each operation frame maps to one operation; replies carry the
client's ``ref``. Events are pushed as ``{"type": "event", "event": {...}}`` in sequence
order, read from the database: the channel layer only wakes the socket (DESIGN §6).
See docs/api.md for every frame.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from channels.auth import get_user
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils.translation import gettext

from relay import operations
from relay.accounts.access import require_usable
from relay.accounts.models import User
from relay.accounts.second_factor import verify_for_socket
from relay.delivery.groups import user_group
from relay.delivery.selectors import PAGE_SIZE
from relay.errors import AccessDenied, InvalidRequest, RelayError, SecondFactorRequired
from relay.limits import loads_json, too_deep_message
from relay.metrics import count_delivery
from relay.operations.catch_up import events_after
from relay.origins import websocket_origin_allowed
from relay.sockets import Close, Registry, admission_close, mark_active, on_database, registry
from relay.surface import Caller

log = logging.getLogger(__name__)

# The close codes, by their old names; the table is ``relay.sockets.Close``.
CLOSE_REVOKED = Close.REVOKED
CLOSE_IDLE = Close.IDLE
CLOSE_ORIGIN = Close.ORIGIN
CLOSE_POLICY = Close.BAD_FRAMES
CLOSE_UNAUTHENTICATED = Close.UNAUTHENTICATED
CLOSE_SECOND_FACTOR = Close.SECOND_FACTOR
CLOSE_TOO_BIG = Close.TOO_BIG
CLOSE_UNSUPPORTED = Close.BINARY
CLOSE_TOO_MANY = Close.TOO_MANY
MAX_BAD_FRAMES = 50
REF_MAX = 64


def ref_of(text: str) -> str | None:
    """The valid ``ref`` of a frame refused for its nesting, if the frame parses at all (one
    nested too deep for the parser has none)."""
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError):
        return None
    ref = frame.get("ref") if isinstance(frame, dict) else None
    return ref if isinstance(ref, str) and len(ref) <= REF_MAX else None


class RelayConsumer(AsyncWebsocketConsumer):
    user: User
    sent_seq: int | None

    # Every frame a client may send: the socket's own, and each operation of the table
    # offered on the socket.
    OPERATION_FRAMES = frozenset(n for n, op in operations.OPERATIONS.items() if op.socket)
    FRAME_TYPES = frozenset({"hello", "ping"}) | OPERATION_FRAMES

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # Every way out — a close, a disconnect, a crash, a cancellation — forgets the socket,
        # so nothing keeps working for it.
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._forget()

    async def connect(self) -> None:
        self.sent_seq = None
        self.bad_frames = 0
        self.flush_lock = asyncio.Lock()
        self.opened_at = int(time.time())
        self.registry: Registry | None = None
        self.latest_at_connect = 0
        refusal = await self._refusal()
        if refusal is None:
            self.registry = registry()
            if not self.registry.add(self):
                self.registry = None
                refusal = Close.TOO_MANY
        if refusal is not None:
            # Accepted first: a close before accepting reaches the client as a bare HTTP 403,
            # and the client could not tell why.
            self.__dict__.pop("user", None)  # frames on a refused socket are never acted on
            await self.accept()
            await self.close(code=int(refusal))
            return
        self.group = user_group(self.user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self._send(
            {"type": "welcome", "user_id": self.user_id, "latest_seq": self.latest_at_connect}
        )

    async def _refusal(self) -> Close | None:
        """Why this handshake is refused, checked in order (docs/api.md), or None."""
        if not self._origin_allowed():
            return Close.ORIGIN
        try:
            user = await on_database(self._admit)()
        except SecondFactorRequired:
            return Close.SECOND_FACTOR
        except AccessDenied:
            return Close.UNAUTHENTICATED
        session = self.scope.get("session")
        idle = admission_close(session, now=int(time.time()))
        if idle is not None:
            return idle
        self.user = user
        self.user_id = str(user.pk)
        self.session_key = str(session.session_key)
        # Read with the user a moment ago: anything committed since is after it, and the
        # client's hello sends it.
        self.latest_at_connect = user.event_seq
        return None

    def _admit(self) -> User:
        """The whole handshake's database work, in one call: the session and its user
        (Channels' rule, as its AuthMiddleware applies it), then the same rule as HTTP
        (``require_usable``); the OTP middleware does not run for WebSockets, so the session's
        verified device is loaded first."""
        session = self.scope.get("session")
        if session is None:
            raise AccessDenied()
        user = get_user.func(self.scope)
        self.scope["user"] = user
        if user.is_authenticated:
            verify_for_socket(user, session)
        require_usable(user)
        if not session.session_key:
            raise AccessDenied()
        return user  # type: ignore[no-any-return]

    async def disconnect(self, code: int) -> None:
        self._forget()
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    def _forget(self) -> None:
        if getattr(self, "registry", None) is not None:
            self.registry.discard(self)  # type: ignore[union-attr]

    async def close_with(self, code: Close) -> None:
        """Close this socket with one of the documented codes; it stops being swept."""
        self._forget()
        await self.close(code=int(code))

    # --- frames from the client --------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not hasattr(self, "user"):
            # A frame on a connection this consumer refused: never act on it.
            return
        if text_data is None:
            await self.close_with(Close.BINARY)
            return
        if len(text_data.encode("utf-8", "surrogatepass")) > settings.RELAY_MAX_FRAME_BYTES:
            await self.close_with(Close.TOO_BIG)
            return
        try:
            frame = loads_json(text_data)
        except InvalidRequest as exc:
            if exc.message == too_deep_message():
                await self._bad_frame(ref_of(text_data), exc.message)
            else:
                await self._bad_frame(None, gettext("The frame is not valid JSON."))
            return
        if not isinstance(frame, dict):
            await self._bad_frame(None, gettext("A frame is a JSON object with a string 'type'."))
            return
        ref = frame.pop("ref", None)
        if ref is not None and (not isinstance(ref, str) or len(ref) > REF_MAX):
            await self._bad_frame(None, gettext("'ref' must be a string of at most 64 characters."))
            return
        kind = frame.pop("type", None)
        if not isinstance(kind, str):
            await self._bad_frame(ref, gettext("A frame is a JSON object with a string 'type'."))
            return
        if kind == "hello":
            await self._hello(ref, frame)
        elif kind == "ping":
            await self._send({"type": "pong", "ref": ref})
        elif kind in self.OPERATION_FRAMES:
            await self._operation(kind, ref, frame)
        else:
            await self._bad_frame(
                ref, gettext("Unknown frame type %(kind)s.") % {"kind": repr(kind[:40])}
            )

    async def _hello(self, ref: str | None, frame: dict[str, Any]) -> None:
        last_seq = frame.get("last_seq")
        if (
            set(frame) != {"last_seq"}
            or not isinstance(last_seq, int)
            or isinstance(last_seq, bool)
            or last_seq < 0
        ):
            await self._bad_frame(
                ref, gettext("hello takes one field, last_seq: a whole number >= 0.")
            )
            return
        async with self.flush_lock:
            self.sent_seq = last_seq
        await self._send({"type": "ready", "ref": ref})
        await self._flush()

    async def _operation(self, name: str, ref: str | None, frame: dict[str, Any]) -> None:
        try:
            outcome = await on_database(self._act)(name, frame)
        except RelayError as exc:
            await self._send(
                {"type": "error", "ref": ref, "op": name, "code": exc.code, "message": exc.message}
            )
            return
        if isinstance(outcome, Close):
            await self.close_with(outcome)
            return
        await self._send({"type": "reply", "ref": ref, "op": name, "result": outcome})

    def _act(self, name: str, frame: dict[str, Any]) -> Any:
        """One database call per operation frame. An operation is activity, as an HTTP
        request is (``mark_active``); on an ended or idle session it returns the close code
        instead of running."""
        ended = mark_active(self)
        if ended is not None:
            return ended
        return operations.run(name, Caller(user=self.user), frame)

    async def _bad_frame(self, ref: str | None, message: str) -> None:
        self.bad_frames += 1
        if self.bad_frames > MAX_BAD_FRAMES:
            await self.close_with(Close.BAD_FRAMES)
            return
        await self._send({"type": "error", "ref": ref, "code": "bad_frame", "message": message})

    # --- pushes from the channel layer --------------------------------------------------

    async def stream_wake(self, event: dict[str, Any]) -> None:
        await self._flush()

    async def stream_revoke(self, event: dict[str, Any]) -> None:
        await self.close_with(Close.REVOKED)

    async def _flush(self) -> None:
        """Send every event this socket has not sent yet, in order, exactly once."""
        async with self.flush_lock:
            if self.sent_seq is None:
                return
            while True:
                batch = await on_database(events_after)(self.user, self.sent_seq, limit=PAGE_SIZE)
                for event in batch:
                    await self._send({"type": "event", "event": event})
                    self.sent_seq = event["seq"]
                    count_delivery(event)
                if len(batch) < PAGE_SIZE:
                    # A short page read everything committed before it; an event committed
                    # since has its own wake (sent after its commit), which flushes again.
                    return

    async def _send(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(payload, separators=(",", ":")))

    # --- called by the process's sweep (relay.sockets) ----------------------------------

    async def catch_up(self, latest: int) -> None:
        """The user's stream is ahead of this socket: a wake was lost, perhaps with the
        group membership (Redis restarted). Rejoin, then send what is missing."""
        if self.sent_seq is not None and latest > self.sent_seq:
            await self.rejoin()
            await self._flush()

    async def rejoin(self) -> None:
        try:
            await self.channel_layer.group_add(self.group, self.channel_name)
        except Exception:  # noqa: BLE001 — the layer is down; the database still answers
            log.warning("could not renew the socket's group membership")

    def _origin_allowed(self) -> bool:
        return websocket_origin_allowed(self.scope)
