"""Envelope structure (docs/protocol.md §4): what ``relay.envelopes`` accepts and refuses.

No database: these are the checks made before anything is looked up.
"""

from __future__ import annotations

import base64
import copy
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from relay.envelopes import (
    CONTENT_KEY_BOX_BYTES,
    MAX_RECIPIENTS,
    MIN_PADDED_PAYLOAD,
    NONCE_BYTES,
    Envelope,
    canonical_json,
    check_recipients,
    parse_envelope,
)
from relay.errors import EnvelopeRejected
from relay_client import crypto
from relay_client.crypto import KeyPair, Recipient
from tests.moderation.helpers import assert_plain_english

MAX_CIPHERTEXT = 1 << 20


def sealed(payload: Any = None, recipients: int = 2, **header: Any) -> dict[str, Any]:
    sender = KeyPair.generate()
    others = [KeyPair.generate() for _ in range(recipients - 1)]
    return crypto.seal(
        sender=sender,
        sender_id=str(uuid.uuid4()),
        case_id=str(uuid.uuid4()),
        kind=header.pop("kind", "question"),
        recipients=[Recipient(k.key_id, k.public) for k in [sender, *others]],
        payload=payload if payload is not None else {"body": "hello"},
        **header,
    )


def b64(n: int) -> str:
    return base64.b64encode(b"\x01" * n).decode()


def parse(raw: Any) -> Envelope:
    return parse_envelope(raw, max_ciphertext=MAX_CIPHERTEXT)


def rejected(raw: Any, *, code: str = "envelope_rejected") -> str:
    with pytest.raises(EnvelopeRejected) as exc:
        parse(raw)
    assert exc.value.code == code
    assert_plain_english(exc.value.message)
    return exc.value.message


def test_a_sealed_envelope_parses_and_keeps_its_canonical_header() -> None:
    raw = sealed()
    envelope = parse(raw)
    assert envelope.header.wire() == raw["header"]
    assert envelope.header.canonical() == canonical_json(raw["header"])
    assert envelope.header.canonical() == crypto.canonical_json(raw["header"])


@pytest.mark.parametrize("length", [0, 1, 200, 254, 255, 256, 1000, 5000, 70_000])
def test_payloads_of_every_size_land_in_a_power_of_two_bucket(length: int) -> None:
    raw = sealed({"body": "x" * length})
    envelope = parse(raw)
    size = len(envelope.ciphertext_bytes) - 16
    assert size >= MIN_PADDED_PAYLOAD and size & (size - 1) == 0


def mutate(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(raw: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = raw
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is DELETE:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value

    return apply


DELETE = object()

MALFORMED: dict[str, Callable[[dict[str, Any]], None]] = {
    "version 2": mutate("header.v", 2),
    "version as text": mutate("header.v", "1"),
    "version as true": mutate("header.v", True),
    "version as a float": mutate("header.v", 1.0),
    "version missing": mutate("header.v", DELETE),
    "message id not a uuid": mutate("header.message_id", "not-a-uuid"),
    "message id in capitals": mutate("header.message_id", str(uuid.uuid4()).upper()),
    "message id without hyphens": mutate("header.message_id", uuid.uuid4().hex),
    "case id as a number": mutate("header.case_id", 12),
    "sender key id too short": mutate("header.sender_key_id", "ab" * 15),
    "sender key id in capitals": mutate("header.sender_key_id", "AB" * 16),
    "unknown kind": mutate("header.kind", "threat"),
    "kind as a list": mutate("header.kind", ["question"]),
    "edited as text": mutate("header.edited", "false"),
    "edited as 0": mutate("header.edited", 0),
    "edited as 1": mutate("header.edited", 1),
    "edited as null": mutate("header.edited", None),
    "message id as a number": mutate("header.message_id", 7),
    "sender id as true": mutate("header.sender_id", True),
    "sender key id as a number": mutate("header.sender_key_id", 10**31),
    "recipient key id as a number": mutate("header.recipient_key_ids.0", 1),
    "recipients as one string": mutate("header.recipient_key_ids", "ab" * 16),
    "kind as a number": mutate("header.kind", 1),
    "derived_from as a number": mutate("header.derived_from", 0),
    "derived_from as false": mutate("header.derived_from", False),
    "nonce as a number": mutate("nonce", 24),
    "wrapped key id as a number": mutate("keys.0.key_id", 0),
    "wrapped key box as null": mutate("keys.0.box", None),
    "keys as an object": mutate("keys", {"0": {}}),
    "derived_from not a uuid": mutate("header.derived_from", "x"),
    "extra header field": mutate("header.sender_name", "Jo"),
    "extra top-level field": mutate("plaintext", "hello"),
    "extra wrapped key field": mutate("keys.0.fingerprint", "1"),
    "no recipients": mutate("header.recipient_key_ids", []),
    "recipients not sorted": lambda raw: raw["header"]["recipient_key_ids"].reverse(),
    "recipients duplicated": lambda raw: raw["header"]["recipient_key_ids"].insert(
        0, raw["header"]["recipient_key_ids"][0]
    ),
    "a wrapped key for someone not named": mutate("keys.0.key_id", "0" * 32),
    "a named recipient without a wrapped key": lambda raw: raw["keys"].pop(),
    "nonce too short": mutate("nonce", b64(NONCE_BYTES - 1)),
    "nonce too long": mutate("nonce", b64(NONCE_BYTES + 1)),
    "nonce not base64": mutate("nonce", "!" * 32),
    "url-safe base64": mutate("nonce", base64.urlsafe_b64encode(b"\xfb\xff" * 12).decode()),
    "base64 without padding": mutate("ciphertext", b64(272)[:-1]),
    "wrapped key nonce wrong size": mutate("keys.0.nonce", b64(12)),
    "wrapped key box wrong size": mutate("keys.0.box", b64(CONTENT_KEY_BOX_BYTES + 1)),
    "ciphertext not padded": mutate("ciphertext", b64(300 + 16)),
    "ciphertext below the smallest bucket": mutate("ciphertext", b64(128 + 16)),
    "ciphertext without the tag": mutate("ciphertext", b64(256)),
    "ciphertext as bytes list": mutate("ciphertext", [1, 2, 3]),
    "header missing": mutate("header", DELETE),
    "keys missing": mutate("keys", DELETE),
}


def test_wrapped_keys_may_come_in_any_order() -> None:
    raw = sealed(recipients=3)
    raw["keys"].reverse()
    assert [k.key_id for k in parse(raw).keys] != parse(raw).header.recipient_key_ids


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_envelope_is_refused_plainly(name: str) -> None:
    raw = sealed(recipients=3)
    parse(copy.deepcopy(raw))  # the unmutated envelope is fine
    MALFORMED[name](raw)
    rejected(raw)


@pytest.mark.parametrize("value", [None, [], "envelope", 1, True])
def test_an_envelope_must_be_an_object(value: Any) -> None:
    rejected(value)


def test_too_many_recipients_are_refused() -> None:
    raw = sealed(recipients=MAX_RECIPIENTS + 1)
    rejected(raw)
    parse(sealed(recipients=MAX_RECIPIENTS))


def test_too_large_is_refused_before_decoding() -> None:
    raw = sealed({"body": "x" * 5000})
    with pytest.raises(EnvelopeRejected) as exc:
        parse_envelope(raw, max_ciphertext=4096)
    assert exc.value.code == "too_large"
    parse_envelope(raw, max_ciphertext=8192 + 16)


def test_error_names_where_the_envelope_is_wrong() -> None:
    raw = sealed()
    raw["header"]["kind"] = "threat"
    assert "header.kind" in rejected(raw)


# --- the recipient rule on its own -------------------------------------------------------------


def ids(n: int) -> list[str]:
    return sorted(f"{i:032x}" for i in range(1, n + 1))


def envelope_naming(named: list[str]) -> Envelope:
    raw = sealed(recipients=1)
    raw["header"]["recipient_key_ids"] = sorted(named)
    raw["keys"] = [{**raw["keys"][0], "key_id": k} for k in sorted(named)]
    return parse(raw)


def test_exactly_the_required_recipients_pass() -> None:
    a, b, c = ids(3)
    check_recipients(envelope_naming([a, b]), required=[a, b])
    check_recipients(envelope_naming([a, b, c]), required=[a, b], allowed_extra=[c])
    check_recipients(envelope_naming([a, b]), required=[a, b], allowed_extra=[c])


@pytest.mark.parametrize(
    ("named", "required", "extra", "code"),
    [
        ([0], [0, 1], [], "recipients_missing"),
        ([0, 1, 2], [0, 1], [], "recipients_forbidden"),
        ([0, 2], [0, 1], [2], "recipients_missing"),
        # A forward to the wrong participant: the required one missing, another one named.
        ([0, 2], [0, 1], [], "recipients_forbidden"),
        ([0, 1, 3], [0, 1], [2], "recipients_forbidden"),
    ],
)
def test_missing_or_extra_recipients_are_refused(
    named: list[int], required: list[int], extra: list[int], code: str
) -> None:
    keys = ids(4)
    with pytest.raises(EnvelopeRejected) as exc:
        check_recipients(
            envelope_naming([keys[i] for i in named]),
            required=[keys[i] for i in required],
            allowed_extra=[keys[i] for i in extra],
        )
    assert exc.value.code == code
    assert_plain_english(exc.value.message)
