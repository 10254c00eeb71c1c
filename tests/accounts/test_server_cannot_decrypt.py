"""A copy of the whole database plus every secret the server holds opens no message and
no private key. Every value in every row, and every secret setting, is tried as each kind
of key the protocol uses (and hashed into one, and as a password); all fail. Then the
same dump plus a user's password, or a facilitator's recovery key, opens them."""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

import nacl.bindings as sodium
import nacl.exceptions
import pytest
from django.apps import apps
from django.conf import settings

from relay.accounts import actions as account_actions
from relay.moderation import actions as moderation_actions
from relay_client import crypto
from tests.envelopes import open_as, parsed, seal_from
from tests.factories import TEST_PASSWORD, make_case

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:The EMAIL_.* setting is deprecated"),
]


def dump_rows() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, every concrete column, as Python values."""
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        fields = [f.attname for f in model._meta.concrete_fields]
        rows[model._meta.db_table] = list(model.objects.values(*fields))
    return rows


def as_bytes(value: Any) -> bytes | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    return str(value).encode()


def server_secrets() -> list[bytes]:
    """Every setting that looks like a secret, and the whole settings text."""
    found = [settings.SECRET_KEY.encode()]
    for name in dir(settings):
        if any(word in name for word in ("SECRET", "KEY", "PASSWORD", "SALT", "TOKEN")):
            value = as_bytes(getattr(settings, name))
            if value:
                found.append(value)
    db = settings.DATABASES["default"]
    found += [v for v in (as_bytes(db.get("PASSWORD")), as_bytes(db.get("NAME"))) if v]
    return found


def candidate_keys(values: list[bytes]) -> set[bytes]:
    """32-byte keys an attacker would try from these values: the value itself, every
    32-byte window of short binary values, and the common hashes of each."""
    keys: set[bytes] = set()
    for value in values:
        if len(value) <= 160:
            keys.update(
                value[i : i + 32]
                for i in range(max(1, len(value) - 31))
                if len(value[i : i + 32]) == 32
            )
        keys.add(hashlib.sha256(value).digest())
        keys.add(hashlib.blake2b(value, digest_size=32).digest())
        if len(value) == 32:
            for subkey in (1, 2):
                keys.add(crypto.crypto_kdf_derive(value, subkey, crypto.KDF_CONTEXT))
    return keys


def opens_secretbox(key: bytes, nonce: bytes, box: bytes) -> bool:
    try:
        sodium.crypto_secretbox_open(box, nonce, key)
        return True
    except nacl.exceptions.CryptoError:
        return False


def opens_aead(key: bytes, message: dict[str, Any]) -> bool:
    try:
        sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            bytes(message["ciphertext"]),
            crypto.canonical_json(message["header"]),
            bytes(message["nonce"]),
            key,
        )
        return True
    except nacl.exceptions.CryptoError:
        return False


def opens_box(secret: bytes, public: bytes, nonce: bytes, box: bytes) -> bool:
    try:
        sodium.crypto_box_open(box, nonce, public, secret)
        return True
    except (nacl.exceptions.CryptoError, ValueError, TypeError):
        return False


def seed() -> Any:
    sc = make_case()
    raw = seal_from(sc.harmed, sc, "question", "Where were you on the night?")
    result = moderation_actions.submit_message(actor=sc.harmed.user, envelope=parsed(raw))
    body = open_as(sc.facilitator, raw, sc.harmed)
    forwarded = seal_from(
        sc.facilitator,
        sc,
        "question",
        body,
        to=[sc.facilitator, sc.responsible],
        derived_from=raw["header"]["message_id"],
    )
    moderation_actions.forward_message(
        actor=sc.facilitator.user, message_id=result.message.pk, envelope=parsed(forwarded)
    )
    note = seal_from(sc.responsible, sc, "note_to_facilitator", "I want to say sorry properly.")
    moderation_actions.submit_message(actor=sc.responsible.user, envelope=parsed(note))
    # The facilitator's recovery wrap is in the dump too.
    recovery_key = crypto.new_recovery_key()
    nonce, box = crypto.wrap_secret_key(
        sc.facilitator.keypair.secret, crypto.recovery_wrap_key(recovery_key)
    )
    account_actions.store_recovery_wrap(actor=sc.facilitator.user, nonce=nonce, box=box)
    return sc, recovery_key


def test_a_dump_and_every_server_secret_open_nothing():
    sc, recovery_key = seed()
    rows = dump_rows()
    users = rows["accounts_user"]
    messages = rows["moderation_message"]
    message_keys = rows["moderation_messagekey"]
    public_keys = {r["key_id"]: bytes(r["public_key"]) for r in rows["accounts_publickey"]}
    wraps = [
        (bytes(u["wrapped_key_nonce"]), bytes(u["wrapped_private_key"]))
        for u in users
        if u["wrapped_private_key"]
    ]
    wraps += [(bytes(r["nonce"]), bytes(r["box"])) for r in rows["accounts_recoverywrap"]]
    assert len(messages) == 3 and len(message_keys) == 6 and len(wraps) == 5

    values = server_secrets()
    for table in rows.values():
        for row in table:
            values.extend(v for v in map(as_bytes, row.values()) if v)
    keys = candidate_keys(values)
    assert len(keys) > 2000

    for key in keys:
        assert not any(opens_secretbox(key, n, b) for n, b in wraps)
        assert not any(opens_aead(key, m) for m in messages)
    # Every candidate as an X25519 private key, against every sender key of every wrap.
    for key in keys:
        for mk in message_keys:
            message = next(m for m in messages if m["id"] == mk["message_id"])
            sender = public_keys[message["header"]["sender_key_id"]]
            assert not opens_box(key, sender, bytes(mk["nonce"]), bytes(mk["box"]))

    # Every short text value in the dump tried as the password of every user.
    guesses = {v for v in values if len(v) < 120}
    for user in users:
        if not user["wrapped_private_key"]:
            continue
        params = crypto.KdfParams(
            bytes(user["kdf_salt"]), user["kdf_opslimit"], user["kdf_memlimit"]
        )
        for guess in itertools.islice(sorted(guesses), 150):
            wrap_key = crypto.derive_password_keys(
                guess.decode("utf-8", "replace"),
                params,
                floor_opslimit=params.opslimit,
                floor_memlimit=params.memlimit,
            ).wrap_key
            assert not opens_secretbox(
                wrap_key, bytes(user["wrapped_key_nonce"]), bytes(user["wrapped_private_key"])
            )

    # With the password, the same dump opens: the responsible person's private key, then
    # the message forwarded to them.
    responsible = next(u for u in users if u["id"] == sc.responsible.user.pk)
    params = crypto.KdfParams(
        bytes(responsible["kdf_salt"]), responsible["kdf_opslimit"], responsible["kdf_memlimit"]
    )
    wrap_key = crypto.derive_password_keys(
        TEST_PASSWORD, params, floor_opslimit=params.opslimit, floor_memlimit=params.memlimit
    ).wrap_key
    secret = crypto.unwrap_secret_key(
        bytes(responsible["wrapped_key_nonce"]), bytes(responsible["wrapped_private_key"]), wrap_key
    )
    me = crypto.KeyPair.from_secret(secret)
    mk = next(k for k in message_keys if k["recipient_key_id"] == me.key_id)
    message = next(m for m in messages if m["id"] == mk["message_id"])
    envelope = {
        "header": message["header"],
        "nonce": crypto.b64(bytes(message["nonce"])),
        "ciphertext": crypto.b64(bytes(message["ciphertext"])),
        "keys": [
            {
                "key_id": me.key_id,
                "nonce": crypto.b64(bytes(mk["nonce"])),
                "box": crypto.b64(bytes(mk["box"])),
            }
        ],
    }
    sender = public_keys[message["header"]["sender_key_id"]]
    assert crypto.open_envelope(envelope, me=me, sender_public_key=sender).payload == {
        "body": "Where were you on the night?"
    }

    # And the facilitator's recovery key opens their recovery wrap from the dump.
    wrap = rows["accounts_recoverywrap"][0]
    recovered = crypto.unwrap_secret_key(
        bytes(wrap["nonce"]), bytes(wrap["box"]), crypto.recovery_wrap_key(recovery_key)
    )
    assert crypto.KeyPair.from_secret(recovered).key_id == sc.facilitator.keypair.key_id
