"""Relay protocol v1 on the client side: keys, password-derived keys and envelopes.

Everything cryptographic in the Python client is here, and nothing else imports PyNaCl.
``frontend/src/crypto/`` is its browser twin; ``tests/vectors/`` proves they agree byte for
byte. The specification is docs/protocol.md.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from dataclasses import dataclass, field
from typing import Any

import nacl.bindings as sodium
import nacl.exceptions
from nacl.public import Box, PrivateKey, PublicKey, SealedBox

PROTOCOL_VERSION = 1
SALT_BYTES = 16
MASTER_BYTES = 32
# The floor a client accepts for Argon2id, whatever a server offers (docs/protocol.md §2).
KDF_FLOOR_OPSLIMIT = 3
KDF_FLOOR_MEMLIMIT = 64 * 1024 * 1024
KDF_CONTEXT = b"relaykdf"  # crypto_kdf context: exactly 8 bytes
LOGIN_KEY_ID = 1
WRAP_KEY_ID = 2
MIN_BUCKET = 256


class CryptoError(Exception):
    """Base class for every failure in this module."""


class WeakKdfParameters(CryptoError):
    """The server offered Argon2id parameters below the client's floor."""


class EnvelopeOpenError(CryptoError):
    """An envelope did not open: wrong key, tampered header or ciphertext, or not for us."""


NOT_OPENED = "The envelope did not open: it was altered or is not for you."


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# --- keys -------------------------------------------------------------------------------


def key_id_for(public_key: bytes) -> str:
    return hashlib.blake2b(public_key, digest_size=16).hexdigest()


def fingerprint_for(public_key: bytes) -> str:
    digest = hashlib.blake2b(b"relay-fingerprint-v1" + public_key, digest_size=32).digest()
    groups = [int.from_bytes(digest[i * 5 : i * 5 + 5], "big") % 100000 for i in range(6)]
    return " ".join(f"{g:05d}" for g in groups)


@dataclass(frozen=True)
class KeyPair:
    secret: bytes = field(repr=False)
    public: bytes

    @classmethod
    def generate(cls) -> KeyPair:
        sk = PrivateKey.generate()
        return cls(bytes(sk), bytes(sk.public_key))

    @classmethod
    def from_secret(cls, secret: bytes) -> KeyPair:
        sk = PrivateKey(secret)
        return cls(bytes(sk), bytes(sk.public_key))

    @property
    def key_id(self) -> str:
        return key_id_for(self.public)

    @property
    def fingerprint(self) -> str:
        return fingerprint_for(self.public)


# --- passwords: Argon2id, then crypto_kdf ------------------------------------------------


@dataclass(frozen=True)
class KdfParams:
    salt: bytes
    opslimit: int
    memlimit: int

    def check_floor(
        self, *, floor_opslimit: int = KDF_FLOOR_OPSLIMIT, floor_memlimit: int = KDF_FLOOR_MEMLIMIT
    ) -> None:
        if self.opslimit < floor_opslimit or self.memlimit < floor_memlimit:
            raise WeakKdfParameters(
                f"The server offered Argon2id with {self.opslimit} passes and "
                f"{self.memlimit // (1024 * 1024)} MiB; this client requires at least "
                f"{floor_opslimit} passes and {floor_memlimit // (1024 * 1024)} MiB."
            )
        if len(self.salt) != SALT_BYTES:
            raise CryptoError("The salt must be 16 bytes.")


def crypto_kdf_derive(key: bytes, subkey_id: int, context: bytes, length: int = 32) -> bytes:
    """libsodium ``crypto_kdf_derive_from_key`` (BLAKE2b with salt and personalisation)."""
    if len(key) != 32 or len(context) != 8:
        raise CryptoError("crypto_kdf takes a 32-byte key and an 8-byte context.")
    salt = subkey_id.to_bytes(8, "little") + bytes(8)
    person = context + bytes(8)
    return hashlib.blake2b(b"", digest_size=length, key=key, salt=salt, person=person).digest()


@dataclass(frozen=True)
class PasswordKeys:
    login_key: bytes = field(repr=False)  # sent to the server in place of the password
    wrap_key: bytes = field(repr=False)  # never leaves the client

    @property
    def login_key_b64(self) -> str:
        return b64(self.login_key)


def derive_password_keys(
    password: str,
    params: KdfParams,
    *,
    floor_opslimit: int = KDF_FLOOR_OPSLIMIT,
    floor_memlimit: int = KDF_FLOOR_MEMLIMIT,
) -> PasswordKeys:
    params.check_floor(floor_opslimit=floor_opslimit, floor_memlimit=floor_memlimit)
    master = sodium.crypto_pwhash_alg(
        MASTER_BYTES,
        password.encode("utf-8"),
        params.salt,
        params.opslimit,
        params.memlimit,
        sodium.crypto_pwhash_ALG_ARGON2ID13,
    )
    return PasswordKeys(
        login_key=crypto_kdf_derive(master, LOGIN_KEY_ID, KDF_CONTEXT),
        wrap_key=crypto_kdf_derive(master, WRAP_KEY_ID, KDF_CONTEXT),
    )


def wrap_secret_key(
    secret: bytes, wrap_key: bytes, *, nonce: bytes | None = None
) -> tuple[bytes, bytes]:
    """crypto_secretbox the private key under the wrap key; returns (nonce, box)."""
    nonce = nonce if nonce is not None else os.urandom(24)
    return nonce, sodium.crypto_secretbox(secret, nonce, wrap_key)


def unwrap_secret_key(nonce: bytes, box: bytes, wrap_key: bytes) -> bytes:
    try:
        return sodium.crypto_secretbox_open(box, nonce, wrap_key)
    except nacl.exceptions.CryptoError as exc:
        raise CryptoError(
            "The private key did not unwrap: wrong password or recovery key."
        ) from exc


# --- payloads and envelopes ---------------------------------------------------------------


def bucket_size(length: int) -> int:
    """The smallest power of two >= max(256, length + 1): sodium_pad always adds a byte."""
    size = MIN_BUCKET
    while size < length + 1:
        size *= 2
    return size


def pad(payload: bytes) -> bytes:
    return sodium.sodium_pad(payload, bucket_size(len(payload)))[: bucket_size(len(payload))]


def unpad(padded: bytes) -> bytes:
    return sodium.sodium_unpad(padded, len(padded))


@dataclass(frozen=True)
class Recipient:
    key_id: str
    public_key: bytes


@dataclass(frozen=True)
class Opened:
    header: dict[str, Any]
    payload: dict[str, Any]


def seal(
    *,
    sender: KeyPair,
    sender_id: str,
    case_id: str,
    kind: str,
    recipients: list[Recipient],
    payload: dict[str, Any],
    message_id: str | None = None,
    derived_from: str | None = None,
    edited: bool = False,
    content_key: bytes | None = None,
    nonce: bytes | None = None,
    wrap_nonces: dict[str, bytes] | None = None,
) -> dict[str, Any]:
    """Encrypt ``payload`` (a JSON object) to every recipient. Returns the wire envelope.

    The optional keyword arguments that fix randomness exist for the test vectors only.
    """
    by_id = {r.key_id: r for r in recipients}
    header = {
        "v": PROTOCOL_VERSION,
        "message_id": message_id or str(uuid.uuid4()),
        "case_id": case_id,
        "sender_id": sender_id,
        "sender_key_id": sender.key_id,
        "recipient_key_ids": sorted(by_id),
        "kind": kind,
        "derived_from": derived_from,
        "edited": edited,
    }
    content_key = content_key if content_key is not None else os.urandom(32)
    nonce = nonce if nonce is not None else os.urandom(24)
    plaintext = pad(canonical_json(payload))
    ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        plaintext, canonical_json(header), nonce, content_key
    )
    keys = []
    for key_id in sorted(by_id):
        wrap_nonce = (wrap_nonces or {}).get(key_id) or os.urandom(24)
        box = Box(PrivateKey(sender.secret), PublicKey(by_id[key_id].public_key))
        keys.append(
            {
                "key_id": key_id,
                "nonce": b64(wrap_nonce),
                "box": b64(box.encrypt(content_key, wrap_nonce).ciphertext),
            }
        )
    return {"header": header, "nonce": b64(nonce), "ciphertext": b64(ciphertext), "keys": keys}


SEALED_COMMENT_KIND = "survey_comment"
# A referral sealed to the hub's intake key (docs/protocol.md, "The intake key").
REFERRAL_KIND = "referral"


def _comment_header(key_ids: list[str], kind: str = SEALED_COMMENT_KIND) -> dict[str, Any]:
    return {"v": PROTOCOL_VERSION, "kind": kind, "recipient_key_ids": key_ids}


def seal_comment(
    *, recipients: list[Recipient], payload: dict[str, Any],
    content_key: bytes | None = None, nonce: bytes | None = None,
    kind: str = SEALED_COMMENT_KIND,
) -> dict[str, Any]:
    """An anonymous sealed comment (docs/protocol.md, "Sealed comments"): ``payload``
    encrypted under a fresh content key, bound to the kind and the recipient key ids, and
    the content key sealed to each recipient with ``crypto_box_seal``, so nothing names its
    writer. A referral is one of kind ``referral``, sealed to the intake key."""
    by_id = {r.key_id: r for r in recipients}
    ids = sorted(by_id)
    content_key = content_key if content_key is not None else os.urandom(32)
    nonce = nonce if nonce is not None else os.urandom(24)
    ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        pad(canonical_json(payload)), canonical_json(_comment_header(ids, kind)), nonce,
        content_key,
    )
    keys = [
        {"key_id": key_id, "box": b64(SealedBox(PublicKey(by_id[key_id].public_key)).encrypt(
            content_key))}
        for key_id in ids
    ]
    return {"v": PROTOCOL_VERSION, "kind": kind, "nonce": b64(nonce),
            "ciphertext": b64(ciphertext), "keys": keys}


def open_comment(
    sealed: dict[str, Any], *, me: KeyPair, kind: str = SEALED_COMMENT_KIND
) -> dict[str, Any]:
    """Open a sealed comment of ``kind`` addressed to ``me``; ``EnvelopeOpenError``
    otherwise."""
    try:
        if sealed["kind"] != kind:
            raise ValueError("not of the kind expected")
        mine = next(k for k in sealed["keys"] if k["key_id"] == me.key_id)
        content_key = SealedBox(PrivateKey(me.secret)).decrypt(unb64(mine["box"]))
        ids = [k["key_id"] for k in sealed["keys"]]
        padded = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            unb64(sealed["ciphertext"]), canonical_json(_comment_header(ids, kind)),
            unb64(sealed["nonce"]), content_key,
        )
        return dict(json.loads(unpad(padded)))
    except Exception as exc:  # noqa: BLE001 — every failure is the same refusal
        raise EnvelopeOpenError(NOT_OPENED) from exc


# --- the intake key (docs/protocol.md, "The intake key") ------------------------------------


def seal_referral(*, intake_public_key: bytes, payload: dict[str, Any]) -> dict[str, Any]:
    """A referral's content sealed to the hub's intake key: only its holders open it."""
    recipient = Recipient(key_id_for(intake_public_key), intake_public_key)
    return seal_comment(recipients=[recipient], payload=payload, kind=REFERRAL_KIND)


def open_referral(sealed: dict[str, Any], *, intake_key: KeyPair) -> dict[str, Any]:
    return open_comment(sealed, me=intake_key, kind=REFERRAL_KIND)


def seal_secret_to(secret: bytes, public_key: bytes) -> bytes:
    """The intake key's private half sealed to a holder's key (``crypto_box_seal``, 80
    bytes)."""
    return bytes(SealedBox(PublicKey(public_key)).encrypt(secret))


def open_sealed_secret(box: bytes, *, me: KeyPair) -> KeyPair:
    """The intake key pair from its private half sealed to ``me``."""
    try:
        return KeyPair.from_secret(bytes(SealedBox(PrivateKey(me.secret)).decrypt(box)))
    except Exception as exc:  # noqa: BLE001 — every failure is the same refusal
        raise EnvelopeOpenError("The intake key did not open: it is not for this key.") from exc


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte:
            return bits + 8 - byte.bit_length()
        bits += 8
    return bits


def solve_proof(challenge: str, difficulty: int) -> str:
    """The proof of work before a self-referral (docs/intake.md): the first decimal nonce
    for which SHA-256 of ``<challenge>:<nonce>`` starts with ``difficulty`` zero bits."""
    if not 0 <= difficulty <= 32:
        raise ValueError("A proof-of-work difficulty above 32 bits is not offered.")
    nonce = 0
    while leading_zero_bits(hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()) < difficulty:
        nonce += 1
    return str(nonce)


def rewrapped_by(envelope: dict[str, Any], me: KeyPair) -> str | None:
    """The key id that re-encrypted this envelope's content key for ``me`` after an account
    recovery, or None when it is boxed from the sender's key as usual."""
    wrapped = next((k for k in envelope.get("keys", []) if k.get("key_id") == me.key_id), None)
    by = wrapped.get("wrapped_by") if wrapped else None
    if by is None or by == envelope.get("header", {}).get("sender_key_id"):
        return None
    return str(by)


def _content_key(
    envelope: dict[str, Any],
    *,
    me: KeyPair,
    sender_public_key: bytes | None,
    wrapper_public_key: bytes | None = None,
) -> bytes:
    """Unbox the content key wrapped for ``me``.

    A key entry with ``wrapped_by`` was re-encrypted after an account recovery: it is boxed
    from that facilitator key, which the caller passes as ``wrapper_public_key`` (looked up
    from keys it trusts), not from the sender's key. Then the facilitator vouches for the
    message and the sender's (possibly retired) key is not needed.
    """
    header = envelope["header"]
    if header.get("v") != PROTOCOL_VERSION:
        raise EnvelopeOpenError("Unsupported protocol version.")
    wrapped = next((k for k in envelope["keys"] if k["key_id"] == me.key_id), None)
    if wrapped is None:
        raise EnvelopeOpenError("This envelope is not addressed to this key.")
    wrapped_by = rewrapped_by(envelope, me)
    if wrapped_by is not None:
        if wrapper_public_key is None or key_id_for(wrapper_public_key) != wrapped_by:
            raise EnvelopeOpenError("The key that re-encrypted this message is not trusted here.")
        boxed_by = wrapper_public_key
    else:
        if sender_public_key is None or key_id_for(sender_public_key) != header.get(
            "sender_key_id"
        ):
            raise EnvelopeOpenError("The sender key does not match the envelope header.")
        boxed_by = sender_public_key
    try:
        box = Box(PrivateKey(me.secret), PublicKey(boxed_by))
        return box.decrypt(unb64(wrapped["box"]), unb64(wrapped["nonce"]))
    except (nacl.exceptions.CryptoError, ValueError, KeyError) as exc:
        raise EnvelopeOpenError(NOT_OPENED) from exc


def rewrap_content_key(
    envelope: dict[str, Any],
    me: KeyPair,
    sender_public_key: bytes | None,
    new_recipient: Recipient,
    *,
    wrapper_public_key: bytes | None = None,
) -> dict[str, str]:
    """Recover an envelope's content key with ``me`` and box it to ``new_recipient`` from
    ``me``: a facilitator re-encrypting a recovered participant's history to their new key.

    The payload is opened first, so only a content key that really opens the message is
    passed on. Returns the rewrap record ``{"key_id", "nonce", "box", "wrapped_by"}``.
    """
    content_key = _content_key(
        envelope, me=me, sender_public_key=sender_public_key, wrapper_public_key=wrapper_public_key
    )
    _decrypt_payload(envelope, content_key)
    nonce = os.urandom(24)
    box = Box(PrivateKey(me.secret), PublicKey(new_recipient.public_key))
    return {
        "key_id": new_recipient.key_id,
        "nonce": b64(nonce),
        "box": b64(box.encrypt(content_key, nonce).ciphertext),
        "wrapped_by": me.key_id,
    }


def _decrypt_payload(envelope: dict[str, Any], content_key: bytes) -> dict[str, Any]:
    try:
        padded = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            unb64(envelope["ciphertext"]), canonical_json(envelope["header"]),
            unb64(envelope["nonce"]), content_key,
        )
        payload = json.loads(unpad(padded))
    except (nacl.exceptions.CryptoError, ValueError, KeyError) as exc:
        raise EnvelopeOpenError(NOT_OPENED) from exc
    if not isinstance(payload, dict):
        raise EnvelopeOpenError("The payload is not a JSON object.")
    return payload


# --- recovery keys ----------------------------------------------------------------------

RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: easy to read aloud
RECOVERY_GROUPS = 6
RECOVERY_GROUP_LEN = 5


def new_recovery_key() -> str:
    """A printable recovery key: 30 characters from a 30-letter alphabet (about 147 bits),
    in six groups of five."""
    chars: list[str] = []
    while len(chars) < RECOVERY_GROUPS * RECOVERY_GROUP_LEN:
        byte = os.urandom(1)[0]
        if byte < 240:  # 240 = 8 * 30: keeps the choice uniform
            chars.append(RECOVERY_ALPHABET[byte % 30])
    text = "".join(chars)
    step = RECOVERY_GROUP_LEN
    return "-".join(text[i : i + step] for i in range(0, len(text), step))


def recovery_wrap_key(recovery_key: str) -> bytes:
    """The secretbox key for the recovery wrap. The recovery key has enough entropy that a
    keyed hash is enough; spaces, dashes and case are ignored so a typed copy works."""
    normal = "".join(c for c in recovery_key.upper() if c.isalnum())
    if len(normal) != RECOVERY_GROUPS * RECOVERY_GROUP_LEN or set(normal) - set(RECOVERY_ALPHABET):
        raise CryptoError(
            "That is not a recovery key: it has six groups of five letters and digits."
        )
    return hashlib.blake2b(normal.encode(), digest_size=32, person=b"relay-recovery1").digest()


def open_envelope(
    envelope: dict[str, Any],
    *,
    me: KeyPair,
    sender_public_key: bytes | None,
    wrapper_public_key: bytes | None = None,
) -> Opened:
    """Open an envelope addressed to ``me``, written with ``sender_public_key``.

    The caller must look ``sender_public_key`` up by ``header.sender_key_id`` from keys it
    trusts (the case's facilitators or participants), never from the envelope; likewise
    ``wrapper_public_key`` by the key entry's ``wrapped_by`` when there is one.
    """
    header = envelope["header"]
    content_key = _content_key(
        envelope, me=me, sender_public_key=sender_public_key, wrapper_public_key=wrapper_public_key
    )
    return Opened(header=header, payload=_decrypt_payload(envelope, content_key))
