"""Helpers that seal real envelopes for tests, with the Python client's crypto module."""

from __future__ import annotations

import uuid
from typing import Any

from relay.envelopes import Envelope, parse_envelope
from relay_client import crypto
from relay_client.crypto import Recipient
from tests.factories import Person, ShuttleCase


def recipient(person: Person) -> Recipient:
    assert person.keypair is not None
    return Recipient(person.keypair.key_id, person.keypair.public)


def seal_from(
    sender: Person,
    case: ShuttleCase,
    kind: str,
    text: str,
    *,
    to: list[Person] | None = None,
    derived_from: str | None = None,
    edited: bool = False,
    message_id: str | None = None,
) -> dict[str, Any]:
    """Seal ``text`` from ``sender``. By default a participant writes to the facilitators
    and themself, as a correct client does."""
    assert sender.keypair is not None
    if to is None:
        to = [*case.facilitators(), sender]
    return crypto.seal(
        sender=sender.keypair,
        sender_id=sender.id,
        case_id=case.id,
        kind=kind,
        recipients=[recipient(p) for p in to],
        payload={"body": text},
        message_id=message_id or str(uuid.uuid4()),
        derived_from=derived_from,
        edited=edited,
    )


def parsed(raw: dict[str, Any]) -> Envelope:
    return parse_envelope(raw, max_ciphertext=1 << 20)


def open_as(person: Person, raw: dict[str, Any], sender: Person) -> str:
    assert person.keypair is not None and sender.keypair is not None
    opened = crypto.open_envelope(raw, me=person.keypair, sender_public_key=sender.keypair.public)
    return opened.payload["body"]
