"""Protocol v1 test vectors, made with the Python client's crypto module.

Everything random is fixed, so the same inputs always give the same bytes: the committed
``vectors.json`` must equal what this module builds, and the browser's crypto module must
open, derive and re-seal every vector to the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from relay_client import crypto
from relay_client.crypto import KdfParams, KeyPair, Recipient

HERE = Path(__file__).resolve().parent
VECTORS_FILE = HERE / "vectors.json"
# Cheap Argon2id settings so the vectors derive quickly; the floor is lowered to match.
OPSLIMIT = 1
MEMLIMIT = 8 * 1024 * 1024


def fixed(label: str, size: int) -> bytes:
    """Deterministic bytes for a label: stands in for randomness in the vectors only."""
    return hashlib.blake2b(label.encode(), digest_size=size).digest()


def _keypair(label: str) -> KeyPair:
    return KeyPair.from_secret(fixed(f"secret:{label}", 32))


def _key(kp: KeyPair) -> dict[str, str]:
    return {
        "secret": crypto.b64(kp.secret),
        "public": crypto.b64(kp.public),
        "key_id": kp.key_id,
        "fingerprint": kp.fingerprint,
    }


PASSWORDS = ["correct horse battery staple", "pässwörd — ünïcode ✓ 🔑", "x"]
PAYLOADS: list[dict[str, Any]] = [
    {"body": "Why did you choose our house?"},
    {"body": "Ich möchte wissen, warum. «Ça va?» 日本語 😊", "lang": "mixed"},
    {"body": "", "z": 1, "a": [True, False, None], "m": {"b": "2", "a": "1"}},
    {"body": 'tab\tnew line\nquote" backslash\\ control\u0001 del\u007f'},
    {"body": "x" * 244},  # 255 bytes: with the pad byte, exactly the first bucket
    {"body": "y" * 245},  # one byte more: the 512-byte bucket
]


def build() -> dict[str, Any]:
    harmed = _keypair("harmed")
    facilitator = _keypair("facilitator")
    responsible = _keypair("responsible")
    ids = {
        "harmed": "7d0f7c5e-31b4-4b5a-9a52-0c2f1c6f8a11",
        "facilitator": "0b6d2c8a-5e2f-4a8e-8f57-3c5d1f0e9b22",
        "responsible": "4a1e9f33-2c7d-4e61-b0a8-6d2e5f7c1d33",
    }
    case_id = "c4e5a6b7-8d9e-4f01-a2b3-c4d5e6f7a8b9"

    passwords = []
    for i, password in enumerate(PASSWORDS):
        params = KdfParams(fixed(f"salt:{i}", 16), OPSLIMIT, MEMLIMIT)
        keys = crypto.derive_password_keys(
            password, params, floor_opslimit=OPSLIMIT, floor_memlimit=MEMLIMIT
        )
        wrap_nonce = fixed(f"wrap-nonce:{i}", 24)
        nonce, box = crypto.wrap_secret_key(harmed.secret, keys.wrap_key, nonce=wrap_nonce)
        passwords.append(
            {
                "password": password,
                "salt": crypto.b64(params.salt),
                "opslimit": OPSLIMIT,
                "memlimit": MEMLIMIT,
                "login_key": crypto.b64(keys.login_key),
                "wrap_key": crypto.b64(keys.wrap_key),
                "wrapped_private_key": crypto.b64(box),
                "wrapped_key_nonce": crypto.b64(nonce),
                "private_key": crypto.b64(harmed.secret),
            }
        )

    envelopes = []
    for i, payload in enumerate(PAYLOADS):
        forwarded = i % 2 == 1
        sender, sender_name = (facilitator, "facilitator") if forwarded else (harmed, "harmed")
        to = [responsible, facilitator] if forwarded else [facilitator, harmed]
        recipients = [Recipient(k.key_id, k.public) for k in to]
        wrap_nonces = {r.key_id: fixed(f"box-nonce:{i}:{r.key_id}", 24) for r in recipients}
        envelope = crypto.seal(
            sender=sender,
            sender_id=ids[sender_name],
            case_id=case_id,
            kind="question" if forwarded else "statement",
            recipients=recipients,
            payload=payload,
            message_id=f"00000000-0000-4000-8000-{i:012d}",
            derived_from="11111111-1111-4111-8111-111111111111" if forwarded else None,
            edited=forwarded,
            content_key=fixed(f"content-key:{i}", 32),
            nonce=fixed(f"nonce:{i}", 24),
            wrap_nonces=wrap_nonces,
        )
        envelopes.append(
            {
                "sender": sender_name,
                "readers": (
                    ["responsible", "facilitator"] if forwarded else ["facilitator", "harmed"]
                ),
                "payload": payload,
                "padded_size": crypto.bucket_size(len(crypto.canonical_json(payload))),
                "content_key": crypto.b64(fixed(f"content-key:{i}", 32)),
                "nonce": crypto.b64(fixed(f"nonce:{i}", 24)),
                "wrap_nonces": {k: crypto.b64(v) for k, v in wrap_nonces.items()},
                "envelope": envelope,
            }
        )

    return {
        "protocol": crypto.PROTOCOL_VERSION,
        "case_id": case_id,
        "user_ids": ids,
        "keys": {
            "harmed": _key(harmed),
            "facilitator": _key(facilitator),
            "responsible": _key(responsible),
        },
        "canonical_json": [
            {"value": p, "canonical": crypto.canonical_json(p).decode()} for p in PAYLOADS
        ],
        "passwords": passwords,
        "envelopes": envelopes,
    }


def dump(vectors: dict[str, Any]) -> str:
    return json.dumps(vectors, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    VECTORS_FILE.write_text(dump(build()), encoding="utf-8")
