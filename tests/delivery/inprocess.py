"""Sockets to the relay's ASGI application inside the test process (Channels'
WebsocketCommunicator), for tests that need to tamper with the push path."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from relay.asgi import application
from relay.moderation import actions as moderation
from tests.envelopes import parsed, seal_from
from tests.factories import Person, ShuttleCase, make_case, verified_session


@sync_to_async(thread_sensitive=False)
def session_cookie(person: Person) -> str:
    client = verified_session(Client(), person)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


class Device:
    """One open socket of one person, checking that events arrive once and in order."""

    def __init__(self, cookie: str) -> None:
        self.cookie = cookie
        self.last_seq = 0
        self.events: list[dict[str, Any]] = []
        self.comm: WebsocketCommunicator | None = None

    async def connect(self) -> None:
        self.comm = WebsocketCommunicator(
            application,
            "/ws/",
            headers=[
                (b"origin", settings.RELAY_ALLOWED_ORIGINS[0].encode()),
                (b"cookie", self.cookie.encode()),
                (b"host", b"127.0.0.1"),
            ],
        )
        connected, code = await self.comm.connect(timeout=10)
        assert connected, code
        welcome = await self.comm.receive_json_from(timeout=10)
        assert welcome["type"] == "welcome"
        if self.last_seq == 0:
            self.last_seq = welcome["latest_seq"]
        await self.comm.send_json_to({"type": "hello", "ref": "h", "last_seq": self.last_seq})
        while (await self.receive())["type"] != "ready":
            pass

    async def receive(self, timeout: float = 10) -> dict[str, Any]:
        assert self.comm is not None
        frame = await self.comm.receive_json_from(timeout=timeout)
        if frame["type"] == "event":
            seq = frame["event"]["seq"]
            assert seq > self.last_seq, f"duplicate event {seq}"
            assert seq == self.last_seq + 1, f"gap before event {seq}"
            self.last_seq = seq
            self.events.append(frame["event"])
        return frame

    async def wait_for_events(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        while len(self.events) < count:
            await self.receive(timeout)
        return self.events[:count]

    async def nothing_more(self, timeout: float = 0.3) -> bool:
        assert self.comm is not None
        return await self.comm.receive_nothing(timeout)

    async def close(self) -> None:
        if self.comm is not None:
            await self.comm.disconnect()
            self.comm = None


async def connected(person: Person) -> Device:
    """A socket of ``person``, past hello and caught up."""
    device = Device(await session_cookie(person))
    await device.connect()
    return device


new_case = sync_to_async(make_case, thread_sensitive=False)


@sync_to_async(thread_sensitive=False)
def submit(shuttle: ShuttleCase, sender: Person, text: str) -> str:
    """A participant submits a message through the real action (one transaction)."""
    envelope = parsed(seal_from(sender, shuttle, "question", text))
    return str(moderation.submit_message(actor=sender.user, envelope=envelope).message.pk)
