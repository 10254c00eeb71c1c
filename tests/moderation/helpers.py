"""Shared ways to reach the relay in tests: the actions, the HTTP API and the WebSocket.

Every refusal test asks the same three questions on each surface: which error code came
back, is its message plain English, and did anything get stored.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from relay.accounts.models import Role
from relay.audit.models import AuditEvent
from relay.cases import actions as case_actions
from relay.cases.models import Case, Participation, ParticipationState
from relay.delivery.models import Event
from relay.errors import RelayError
from relay.moderation import actions as moderation
from relay.moderation.models import Message, MessageKey, MessageState
from relay.operations import OPERATIONS
from tests.envelopes import parsed, seal_from
from tests.factories import Person, ShuttleCase, make_person, verified_session

ALLOWED = "allowed"
# Sockets need committed data (the consumer's database work runs in Channels' worker
# thread); the action and HTTP surfaces roll back, which is faster.
SURFACE_PARAMS = [
    pytest.param("action", marks=pytest.mark.django_db),
    pytest.param("http", marks=pytest.mark.django_db),
    pytest.param("ws", marks=pytest.mark.django_db(transaction=True)),
]


def counts() -> dict[str, int]:
    """How many rows hold anything a refused request might have left behind, and how many
    are in a state a refused request might have changed (a decision, a pause, a withdrawal)."""
    return {
        "messages": Message.objects.count(),
        "message_keys": MessageKey.objects.count(),
        "events": Event.objects.count(),
        "audit_events": AuditEvent.objects.count(),
        "undecided_messages": Message.objects.filter(state=MessageState.SUBMITTED).count(),
        "paused_participations": Participation.objects.filter(
            state=ParticipationState.PAUSED
        ).count(),
        "withdrawn_participations": Participation.objects.filter(
            state=ParticipationState.WITHDRAWN
        ).count(),
        "safety_paused_cases": Case.objects.filter(safety_paused_by__isnull=False).count(),
    }


def assert_plain_english(message: str) -> None:
    """A person can read it: a sentence, no code, no stack trace, no validator jargon."""
    assert isinstance(message, str) and 10 <= len(message) <= 300, message
    assert message.lstrip("'")[0].isalpha() and message.rstrip()[-1] in ".!?", message
    jargon = ("Traceback", "pydantic", "ValidationError", "Exception", "input_value", "errors.")
    for word in jargon:
        assert word not in message, (word, message)
    assert re.search(r"[a-z]{3,} [a-z]{2,}", message), message


def submit(
    shuttle: ShuttleCase, sender: Person, text: str = "Why my house?", kind: str = "question"
) -> Message:
    """A participant submits a well-formed message through the real action."""
    raw = seal_from(sender, shuttle, kind, text)
    return moderation.submit_message(actor=sender.user, envelope=parsed(raw)).message


def forward_envelope(
    shuttle: ShuttleCase,
    facilitator: Person,
    message: Message,
    *,
    to: list[Person] | None = None,
    derived_from: str | None | bool = True,
    kind: str | None = None,
) -> dict[str, Any]:
    """The envelope a facilitator's client produces to forward ``message`` to the other party
    (sealed by ``facilitator``, of the message's own kind unless ``kind`` says otherwise)."""
    target = shuttle.responsible if message.sender_id == shuttle.harmed.user.pk else shuttle.harmed
    if to is None:
        to = [*shuttle.facilitators(), target]
    return seal_from(
        facilitator,
        shuttle,
        kind or message.kind,
        "forwarded text",
        to=to,
        derived_from=str(message.pk) if derived_from is True else derived_from or None,
    )


def forward(shuttle: ShuttleCase, message: Message, facilitator: Person | None = None) -> Message:
    """A facilitator (the case's first unless named) forwards ``message`` through the action."""
    facilitator = facilitator or shuttle.facilitator
    envelope = parsed(forward_envelope(shuttle, facilitator, message))
    return moderation.forward_message(
        actor=facilitator.user, message_id=message.pk, envelope=envelope
    )


def case_with_participant(person: Person, *, side: str = "harmed") -> Case:
    """A second case, with its own facilitator, that ``person`` also takes part in."""
    manager = make_person(Role.HUB_MANAGER)
    facilitator = make_person(Role.FACILITATOR)
    case = case_actions.create_case(actor=manager.user, reference=f"RJ-X{uuid.uuid4().hex[:8]}")
    case_actions.assign_facilitator(
        actor=manager.user, case_id=case.pk, facilitator=facilitator.user
    )
    case_actions.add_participant(actor=manager.user, case_id=case.pk, user=person.user, side=side)
    return case


# --- HTTP ---------------------------------------------------------------------------------


def http_client(person: Person | None, *, second_factor: bool = True) -> Client:
    client = Client()
    if person is None:
        return client
    if second_factor:
        return verified_session(client, person)
    client.force_login(person.user)
    return client


def http_call(client: Client, method: str, url: str, body: Any = None) -> tuple[int, Any]:
    if method == "GET":
        response = client.get(url, body or {})
    elif method == "DELETE":
        response = client.delete(url)
    else:
        response = client.post(
            url, data=json.dumps(body if body is not None else {}), content_type="application/json"
        )
    if response.get("Content-Type") == "application/octet-stream":
        # A download: the streamed bytes. Its iterator is asynchronous, for Daphne; this
        # synchronous client reads it whole, which Django warns about.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return response.status_code, b"".join(response)
    return response.status_code, response.json()


# --- WebSocket ------------------------------------------------------------------------------


def origin() -> str:
    return settings.RELAY_ALLOWED_ORIGINS[0]


class SyncSocket:
    """A WebSocket to ``relay.asgi.application`` driven from a synchronous test.

    All sockets of a test share one event loop, run only while a call waits on it; the
    consumer's database work runs in Channels' worker thread, so tests that use sockets need
    ``transactional_db``. Any exception raised by the application surfaces here.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, headers: list[tuple[bytes, bytes]]) -> None:
        from relay.asgi import application

        self.loop = loop
        self.comm = WebsocketCommunicator(application, "/ws/", headers=headers)
        self.connected = False
        self.close_code: int | None = None
        self.welcome: dict[str, Any] | None = None
        self.events: list[dict[str, Any]] = []

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def connect(self) -> SyncSocket:
        connected, code = self.run(self.comm.connect(timeout=10))
        self.connected = bool(connected)
        if not connected:
            self.close_code = code
            return self
        # A refusal is an accepted socket closed at once with its code (docs/api.md).
        first = self.receive()
        if first["type"] == "close":
            return self
        self.welcome = first
        assert self.welcome["type"] == "welcome", self.welcome
        return self

    def send_text(self, text: str) -> None:
        # send_input, not send_to: the empty string is a frame too.
        self.run(self.comm.send_input({"type": "websocket.receive", "text": text}))

    def send_bytes(self, data: bytes) -> None:
        self.run(self.comm.send_input({"type": "websocket.receive", "bytes": data}))

    def send(self, frame: dict[str, Any]) -> None:
        self.send_text(json.dumps(frame))

    def output(self, timeout: float = 10) -> dict[str, Any]:
        """The next raw ASGI message the consumer sent: a text frame or a close."""
        return self.run(self.comm.receive_output(timeout))

    def receive(self, timeout: float = 10) -> dict[str, Any]:
        """The next frame, as JSON; a close becomes ``{"type": "close", "code": ...}``."""
        message = self.output(timeout)
        if message["type"] == "websocket.close":
            self.connected = False
            self.close_code = message.get("code", 1000)
            return {"type": "close", "code": self.close_code}
        frame = json.loads(message["text"])
        if frame.get("type") == "event":
            self.events.append(frame["event"])
        return frame

    def request(self, op: str, **fields: Any) -> dict[str, Any]:
        """Send one operation frame and return its reply or error (events are collected)."""
        ref = uuid.uuid4().hex[:12]
        self.send({"type": op, "ref": ref, **fields})
        while True:
            frame = self.receive()
            if frame["type"] == "close" or frame.get("ref") == ref:
                return frame

    def quiet(self, timeout: float = 0.2) -> bool:
        return bool(self.run(self.comm.receive_nothing(timeout)))

    def close(self) -> None:
        try:
            self.run(self.comm.disconnect())
        except (asyncio.CancelledError, RuntimeError):
            pass


class Sockets:
    """Opens sockets for people and closes them all at the end of the block."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.opened: list[SyncSocket] = []

    def open(
        self,
        person: Person | None,
        *,
        second_factor: bool = True,
        origin_header: str | None = None,
        refused: bool = False,
    ) -> SyncSocket:
        """Connect a socket as ``person``; unless ``refused``, it must be accepted."""
        headers = [(b"origin", (origin_header if origin_header is not None else origin()).encode())]
        if person is not None:
            client = http_client(person, second_factor=second_factor)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
            headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
        socket = SyncSocket(self.loop, headers)
        self.opened.append(socket)
        socket.connect()
        assert socket.connected != refused, f"connect gave close code {socket.close_code}"
        return socket

    def close(self) -> None:
        for socket in self.opened:
            socket.close()
        self.loop.run_until_complete(asyncio.sleep(0))
        self.loop.close()


@contextmanager
def sockets() -> Iterator[Sockets]:
    opened = Sockets()
    try:
        yield opened
    finally:
        opened.close()


# --- one request on any surface -------------------------------------------------------------


def outcome_of(exc: RelayError) -> tuple[str, str]:
    return exc.code, exc.message


def via_action(person: Person, op: str, **fields: Any) -> tuple[str, Any]:
    """Run ``op`` through the moderation action itself (not the operations table)."""
    user = person.user
    try:
        if op == "send":
            envelope = parsed(fields["envelope"])
            if user.role == Role.FACILITATOR:
                return ALLOWED, moderation.send_facilitator_note(actor=user, envelope=envelope)
            return ALLOWED, moderation.submit_message(actor=user, envelope=envelope)
        if op == "forward":
            return ALLOWED, moderation.forward_message(
                actor=user,
                message_id=uuid.UUID(fields["message_id"]),
                envelope=parsed(fields["envelope"]),
            )
    except RelayError as exc:
        return outcome_of(exc)
    raise AssertionError(f"no action mapping for {op}")


def _template(route: str) -> str:
    """``cases/<uuid:case_id>`` as ``/api/cases/{case_id}``."""
    return "/api/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


# Every operation offered over HTTP: (method, URL template), from the operations table.
HTTP_ROUTES: dict[str, tuple[str, str]] = {
    name: (op.http.method, _template(op.http.path))
    for name, op in OPERATIONS.items()
    if op.http is not None
}


def via_http(client: Client, op: str, **fields: Any) -> tuple[int, Any]:
    method, template = HTTP_ROUTES[op]
    names = set(re.findall(r"{(\w+)}", template))
    url = template.format(**{k: fields[k] for k in names})
    body = {k: v for k, v in fields.items() if k not in names}
    return http_call(client, method, url, body)


def attempt(
    surface: str, person: Person, op: str, *, socket: SyncSocket | None = None, **fields: Any
) -> tuple[str, Any]:
    """``(ALLOWED, result)`` or ``(error code, message)`` for one request on one surface."""
    if surface == "action":
        return via_action(person, op, **fields)
    if surface == "http":
        status, body = via_http(http_client(person), op, **fields)
        if status == 200 or status == 201:
            return ALLOWED, body
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
        return body["error"]["code"], body["error"]["message"]
    assert socket is not None
    frame = socket.request(op, **fields)
    if frame["type"] == "reply":
        return ALLOWED, frame["result"]
    assert frame["type"] == "error", frame
    assert frame["op"] == op
    return frame["code"], frame["message"]
