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
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

from relay import operations
from relay.accounts.models import User
from relay.accounts.second_factor import verify_for_socket
from relay.cases.access import require_usable
from relay.delivery.groups import user_group
from relay.delivery.selectors import events_after, latest_seq
from relay.errors import AccessDenied, RelayError, SecondFactorRequired
from relay.origins import websocket_origin_allowed

log = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_SECOND_FACTOR = 4403
CLOSE_REVOKED = 4001
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_UNSUPPORTED = 1003
MAX_BAD_FRAMES = 50
SESSION_RECHECK_SECONDS = 2.0
REF_MAX = 64


class RelayConsumer(AsyncWebsocketConsumer):
    user: User
    sent_seq: int | None
    # How often an open socket checks the database for events whose wake-up was lost, and
    # renews its group membership (lost when Redis restarts, expired after a day).
    CATCH_UP_SECONDS = SESSION_RECHECK_SECONDS

    async def connect(self) -> None:
        self.sent_seq = None
        self.bad_frames = 0
        self.flush_lock = asyncio.Lock()
        self.recheck: asyncio.Task[None] | None = None
        if not self._origin_allowed():
            await self.close(code=CLOSE_POLICY)
            return
        user = self.scope.get("user")
        try:
            await database_sync_to_async(self._admit)(user)
        except SecondFactorRequired:
            await self.close(code=CLOSE_SECOND_FACTOR)
            return
        except AccessDenied:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        latest = await database_sync_to_async(latest_seq)(user)
        await self._send({"type": "welcome", "user_id": str(user.pk), "latest_seq": latest})
        self.recheck = asyncio.ensure_future(self._recheck_session())

    def _admit(self, user: Any) -> None:
        """The same rule as HTTP (``require_usable``); the OTP middleware does not run for
        WebSockets, so the session's verified device is loaded here first."""
        if user is not None and user.is_authenticated:
            verify_for_socket(user, self.scope.get("session"))
        require_usable(user)

    async def disconnect(self, code: int) -> None:
        if self.recheck is not None:
            self.recheck.cancel()
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    # --- frames from the client --------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not hasattr(self, "user"):
            # A frame on a connection this consumer refused: never act on it.
            await self.close(code=CLOSE_POLICY)
            return
        if text_data is None:
            await self.close(code=CLOSE_UNSUPPORTED)
            return
        if len(text_data.encode("utf-8", "surrogatepass")) > settings.RELAY_MAX_FRAME_BYTES:
            await self.close(code=CLOSE_TOO_BIG)
            return
        try:
            frame = json.loads(text_data)
        except (ValueError, RecursionError):
            await self._bad_frame(None, "The frame is not valid JSON.")
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self._bad_frame(None, "A frame is a JSON object with a string 'type'.")
            return
        ref = frame.pop("ref", None)
        if ref is not None and (not isinstance(ref, str) or len(ref) > REF_MAX):
            await self._bad_frame(None, "'ref' must be a string of at most 64 characters.")
            return
        kind = frame.pop("type")
        if kind == "hello":
            await self._hello(ref, frame)
        elif kind == "ping":
            await self._send({"type": "pong", "ref": ref})
        elif kind in operations.OPERATIONS:
            await self._operation(kind, ref, frame)
        else:
            await self._bad_frame(ref, f"Unknown frame type {kind[:40]!r}.")

    async def _hello(self, ref: str | None, frame: dict[str, Any]) -> None:
        last_seq = frame.get("last_seq", 0)
        if (
            set(frame) - {"last_seq"}
            or not isinstance(last_seq, int)
            or isinstance(last_seq, bool)
            or last_seq < 0
        ):
            await self._bad_frame(ref, "hello takes one field, last_seq: a whole number >= 0.")
            return
        async with self.flush_lock:
            self.sent_seq = last_seq
        await self._send({"type": "ready", "ref": ref})
        await self._flush()

    async def _operation(self, name: str, ref: str | None, frame: dict[str, Any]) -> None:
        try:
            result = await database_sync_to_async(operations.run)(name, self.user, frame)
        except RelayError as exc:
            await self._send(
                {"type": "error", "ref": ref, "op": name, "code": exc.code, "message": exc.message}
            )
            return
        await self._send({"type": "reply", "ref": ref, "op": name, "result": result})

    async def _bad_frame(self, ref: str | None, message: str) -> None:
        self.bad_frames += 1
        if self.bad_frames > MAX_BAD_FRAMES:
            await self.close(code=CLOSE_POLICY)
            return
        await self._send({"type": "error", "ref": ref, "code": "bad_frame", "message": message})

    # --- pushes from the channel layer --------------------------------------------------

    async def stream_wake(self, event: dict[str, Any]) -> None:
        await self._flush()

    async def stream_revoke(self, event: dict[str, Any]) -> None:
        await self.close(code=CLOSE_REVOKED)

    async def _flush(self) -> None:
        """Send every event this socket has not sent yet, in order, exactly once."""
        async with self.flush_lock:
            if self.sent_seq is None:
                return
            while True:
                batch = await database_sync_to_async(events_after)(self.user, self.sent_seq)
                if not batch:
                    return
                for event in batch:
                    await self._send({"type": "event", "event": event})
                    self.sent_seq = event["seq"]

    async def _send(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(payload, separators=(",", ":")))

    # --- sockets follow the session -----------------------------------------------------

    async def _recheck_session(self) -> None:
        """Close the socket soon after its session ends or the account is suspended, even
        if the revocation push was lost; and repair lost pushes on the way."""
        try:
            while True:
                await asyncio.sleep(SESSION_RECHECK_SECONDS)
                latest = await database_sync_to_async(self._latest_seq_if_session_valid)()
                if latest is None:
                    await self.close(code=CLOSE_REVOKED)
                    return
                await self._catch_up(latest)
        except asyncio.CancelledError:
            return

    async def _catch_up(self, latest: int) -> None:
        """Rejoin the group and send any event a lost wake announced."""
        try:
            await self.channel_layer.group_add(self.group, self.channel_name)
        except Exception:  # noqa: BLE001 — the layer is down; the database still answers
            log.warning("could not renew the socket's group membership")
        if self.sent_seq is not None and latest > self.sent_seq:
            await self._flush()

    def _latest_seq_if_session_valid(self) -> int | None:
        """The user's latest event sequence number, or None once the session has ended,
        its password hash changed, or the account may no longer act (one query for both)."""
        session = self.scope.get("session")
        if session is None or not session.session_key:
            return None
        store = session.__class__(session_key=session.session_key)
        if str(store.get(SESSION_KEY, "")) != str(self.user.pk):
            return None
        user = User.objects.filter(pk=self.user.pk).first()
        if user is None or not store.get(BACKEND_SESSION_KEY):
            return None
        try:
            require_usable(user, second_factor=False)
        except AccessDenied:
            return None
        if store.get(HASH_SESSION_KEY) != user.get_session_auth_hash():
            return None
        return user.event_seq

    def _origin_allowed(self) -> bool:
        return websocket_origin_allowed(self.scope)
