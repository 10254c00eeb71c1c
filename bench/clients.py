"""The load generator's clients: seeded, signed-in Relay accounts, asyncio sockets that speak
Relay's protocol, and plain sockets for the baselines.

Seeding goes through the server's own actions (``tests.factories``: accounts, keys, second
factors and communicating cases), in this process, on the database the Relay Daphne
serves. Signing in, sealing and opening use the Python client (``relay_client``): every
envelope sent is a real one, sealed to the case's keys.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from bench.procs import Server

SOURCE_ADDRESSES = [f"127.0.0.{n}" for n in range(1, 17)]
_source = itertools.count()


def source_address() -> tuple[str, int]:
    """Spread client sockets over 16 loopback addresses: 28,000 ephemeral ports each."""
    return SOURCE_ADDRESSES[next(_source) % len(SOURCE_ADDRESSES)], 0


@dataclass
class Account:
    """One signed-in device of a seeded person: the Python client (keys, case keys) and the
    session cookie its sockets carry."""

    client: Any  # relay_client.client.RelayClient
    role: str
    case_id: str | None = None
    keys: Any = None  # relay_client.client.CaseKeys, fetched once after seeding

    @property
    def cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.client.http.cookies.items())

    @property
    def user_id(self) -> str:
        return str(self.client.me["user_id"])


@dataclass
class Team:
    """One communicating case: the person harmed, the facilitator, the person responsible."""

    case_id: str
    harmed: Account
    facilitator: Account
    responsible: Account


def seed_teams(server: Server, count: int) -> list[Team]:
    """``count`` communicating cases through the real actions, each member signed in over
    HTTP (staff pass their second factor) with the case's keys fetched."""
    from tests.delivery.live import client_for
    from tests.factories import make_case

    where = SimpleNamespace(url=server.url)
    teams = []
    for _ in range(count):
        sc = make_case()
        members = {}
        for role in ("harmed", "facilitator", "responsible"):
            account = Account(client_for(where, getattr(sc, role)), role, sc.id)
            account.keys = account.client.case_keys(sc.id, refresh=True)
            members[role] = account
        teams.append(Team(sc.id, members["harmed"], members["facilitator"],
                          members["responsible"]))
    return teams


# Relay caps open sockets per session and per user (RELAY_MAX_SOCKETS_PER_SESSION = 10,
# RELAY_MAX_SOCKETS_PER_USER = 30 by default): the generator stays below both, with room for
# sockets still closing when the next ones open.
SOCKETS_PER_SESSION = 8
SOCKETS_PER_USER = 24


def users_for(sockets: int) -> int:
    return max(1, -(-sockets // SOCKETS_PER_USER))


def sessions_for(sockets: int) -> int:
    return max(1, -(-sockets // SOCKETS_PER_SESSION))


def seed_participants(server: Server, count: int) -> list[Account]:
    """``count`` participant accounts with keys, in no case, signed in over HTTP."""
    from relay.accounts.models import Role
    from tests.delivery.live import client_for
    from tests.factories import make_person

    where = SimpleNamespace(url=server.url)
    return [Account(client_for(where, make_person(Role.PARTICIPANT)), "participant")
            for _ in range(count)]


async def more_sessions(server: Server, accounts: list[Account], total: int) -> list[str]:
    """``total`` session cookies over the accounts: each extra one a real sign-in
    (``POST /api/session`` with the account's login key), as another device would."""
    cookies = [a.cookie for a in accounts]
    from tests.factories import TEST_PASSWORD

    login_keys = [a.client.password_keys(a.client.me["username"], TEST_PASSWORD)
                  for a in accounts]
    semaphore = asyncio.Semaphore(8)

    async def sign_in(i: int) -> str:
        account = accounts[i % len(accounts)]
        async with semaphore, httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            token = (await http.get("/api/csrf")).json()["csrf_token"]
            reply = await http.post(
                "/api/session",
                json={"username": account.client.me["username"],
                      "login_key": login_keys[i % len(accounts)].login_key_b64},
                headers={"X-CSRFToken": token, "Origin": server.url,
                         "Referer": server.url + "/"},
            )
            reply.raise_for_status()
            return "; ".join(f"{k}={v}" for k, v in http.cookies.items())

    extra = await asyncio.gather(*(sign_in(i) for i in range(max(0, total - len(cookies)))))
    return (cookies + list(extra))[:total]


class RelaySock:
    """One Relay WebSocket: ``welcome``, ``hello{last_seq}``, ``ready``, then frames. With
    ``read=True`` a reader task routes replies to their requests and events to
    ``on_event``."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self.latest = 0
        self.last_seq = 0
        self.replayed_from = 0
        self.replies: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.on_event: Callable[[dict[str, Any]], None] | None = None
        self.reader: asyncio.Task[None] | None = None
        self.caught_up = asyncio.get_running_loop().create_future()

    @classmethod
    async def open(
        cls, server: Server, cookie: str, *, behind: int = 0, read: bool = False,
        on_event: Callable[[dict[str, Any]], None] | None = None,
    ) -> RelaySock:
        """Connect, say ``hello`` with ``last_seq`` = latest − ``behind``, and wait for
        ``ready`` (and, if ``behind``, for the replayed events)."""
        conn = await connect(
            server.ws_url + "/ws/", origin=Origin(server.url),
            additional_headers={"Cookie": cookie}, compression=None, max_size=2**21,
            open_timeout=30, ping_interval=None, local_addr=source_address(),
        )
        sock = cls(conn)
        sock.on_event = on_event
        try:
            welcome = json.loads(await asyncio.wait_for(conn.recv(), 30))
            if welcome.get("type") != "welcome":
                raise RuntimeError(f"expected welcome, got {welcome.get('type')}")
            sock.latest = int(welcome["latest_seq"])
            sock.last_seq = sock.replayed_from = max(0, sock.latest - behind)
            await conn.send(json.dumps({"type": "hello", "last_seq": sock.last_seq}))
            while True:
                frame = json.loads(await asyncio.wait_for(conn.recv(), 30))
                if frame.get("type") == "event":
                    sock._event(frame["event"])
                elif frame.get("type") == "ready":
                    break
            while sock.last_seq < sock.latest:
                sock._event(json.loads(await asyncio.wait_for(conn.recv(), 30))["event"])
        except BaseException:
            await conn.close()
            raise
        if read:
            sock.reader = asyncio.create_task(sock._read())
        return sock

    def _event(self, event: dict[str, Any]) -> None:
        if event["seq"] != self.last_seq + 1:
            raise RuntimeError(f"event {event['seq']} after {self.last_seq}: a gap or a repeat")
        self.last_seq = event["seq"]
        if self.on_event is not None:
            self.on_event(event)

    async def _read(self) -> None:
        try:
            await self._read_frames()
        except ConnectionClosed:
            return  # whoever waits on a reply or an event times out and counts it

    async def _read_frames(self) -> None:
        async for text in self.conn:
            frame = json.loads(text)
            kind = frame.get("type")
            if kind == "event":
                self._event(frame["event"])
            elif kind in ("reply", "error"):
                future = self.replies.pop(frame.get("ref") or "", None)
                if future is not None and not future.done():
                    if kind == "error":
                        future.set_exception(RuntimeError(f"{frame['code']}: {frame['message']}"))
                    else:
                        future.set_result(frame["result"])

    async def request(self, op: str, timeout: float = 30, **payload: Any) -> dict[str, Any]:
        ref = uuid.uuid4().hex
        future = asyncio.get_running_loop().create_future()
        self.replies[ref] = future
        await self.conn.send(json.dumps({"type": op, "ref": ref, **payload}))
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self.replies.pop(ref, None)

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        await self.conn.close()


@dataclass
class PlainSock:
    """A socket on a baseline server, registered under ``name``."""

    conn: ClientConnection
    name: str
    on_frame: Callable[[dict[str, Any]], None] | None = None
    reader: asyncio.Task[None] | None = field(default=None)

    @classmethod
    async def open(cls, server: Server, name: str, *, read: bool = False) -> PlainSock:
        conn = await connect(
            f"{server.ws_url}/ws/{name}/", compression=None, max_size=2**21, open_timeout=30,
            ping_interval=None, local_addr=source_address(),
        )
        sock = cls(conn, name)
        if read:
            sock.reader = asyncio.create_task(sock._read())
        return sock

    async def _read(self) -> None:
        try:
            async for text in self.conn:
                if self.on_frame is not None:
                    self.on_frame(json.loads(text))
        except ConnectionClosed:
            return

    async def send(self, frame: dict[str, Any]) -> None:
        await self.conn.send(json.dumps(frame))

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        await self.conn.close()


@dataclass
class Opened:
    socks: list[Any]
    errors: int = 0
    first_error: str = ""
    skipped: int = 0  # not tried: the time limit had passed


async def open_many(make: Callable[[int], Any], count: int, *, concurrency: int = 100,
                    seconds: float = 300) -> Opened:
    """Up to ``count`` sockets, at most ``concurrency`` handshakes at once, none started
    after ``seconds``. Failures are counted, not raised."""
    semaphore = asyncio.Semaphore(concurrency)
    deadline = asyncio.get_running_loop().time() + seconds
    opened = Opened([])

    async def one(i: int) -> None:
        async with semaphore:
            if asyncio.get_running_loop().time() > deadline:
                opened.skipped += 1
                return
            try:
                opened.socks.append(await make(i))
            except Exception as exc:  # noqa: BLE001 — counted and reported
                opened.errors += 1
                opened.first_error = opened.first_error or f"{type(exc).__name__}: {exc}"[:200]

    await asyncio.gather(*(one(i) for i in range(count)))
    return opened


async def close_all(socks: list[Any]) -> None:
    for start in range(0, len(socks), 500):
        await asyncio.gather(*(s.close() for s in socks[start:start + 500]),
                             return_exceptions=True)
