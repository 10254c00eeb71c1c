"""A canary message and a participant's details, put through the real request path, for
the logs and metrics tests to look for afterwards."""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass

from django.test import Client

from tests.envelopes import seal_from
from tests.factories import ShuttleCase, make_case, verified_session

PARTICIPANT_ADDRESS = "203.0.113.77"
PARTICIPANT_EMAIL_DOMAIN = "example.org"


@dataclass
class Canary:
    shuttle: ShuttleCase
    text: str
    username: str
    email: str
    address: str
    message_id: str
    ciphertext: str

    def needles(self) -> dict[str, str]:
        return {
            "message text": self.text,
            "username": self.username,
            "email": self.email,
            "address": self.address,
        }


def send_canary() -> Canary:
    """The person harmed sends a message holding a canary over the API, from a known
    address; a sign-in is tried under their username, from the same address, with a wrong
    key; a path holding their e-mail address is asked for; and code logs a line naming them
    as carelessly as it could."""
    shuttle = make_case()
    text = f"CANARY-{secrets.token_hex(8)}"
    email = f"harmed-{secrets.token_hex(4)}@{PARTICIPANT_EMAIL_DOMAIN}"
    harmed = shuttle.harmed
    client = verified_session(Client(REMOTE_ADDR=PARTICIPANT_ADDRESS), harmed)
    envelope = seal_from(harmed, shuttle, "question", text)
    sent = client.post(
        "/api/messages", json.dumps({"envelope": envelope}), content_type="application/json"
    )
    assert sent.status_code in (200, 201), sent.content
    anonymous = Client(REMOTE_ADDR=PARTICIPANT_ADDRESS)
    anonymous.post(
        "/api/session",
        json.dumps({"username": harmed.user.username, "login_key": "A" * 43 + "="}),
        content_type="application/json",
    )
    anonymous.get(f"/no-such-page/{email}?username={harmed.user.username}")
    # The server holds only ciphertext: the worst a careless line could log is that.
    logging.getLogger("relay.careless").warning(
        "user %s <%s> from %s sent %s",
        harmed.user.username,
        email,
        PARTICIPANT_ADDRESS,
        envelope["ciphertext"],
        extra={"username": harmed.user.username, "client": PARTICIPANT_ADDRESS},
    )
    return Canary(
        shuttle,
        text,
        harmed.user.username,
        email,
        PARTICIPANT_ADDRESS,
        envelope["header"]["message_id"],
        envelope["ciphertext"],
    )
