"""The cost a browser pays before a self-referral: a hashcash-style proof of work.

The server issues a challenge, signed so that it needs no storage: ``v1.<difficulty>.
<random>.<issued>`` with a signature. The client finds a ``nonce`` (decimal digits) such
that SHA-256 of ``<challenge>:<nonce>`` starts with ``difficulty`` zero bits and sends both
with the referral. The server checks the signature, the age (``RELAY_REFERRAL_PROOF_AGE``
seconds), the zero bits, and that the challenge was not used before (the cache remembers
it until it expires). One proof is good for one referral.

Difficulty ``RELAY_REFERRAL_PROOF_BITS`` (18 by default): on average 2**18 ≈ 262,000
SHA-256 computations, a second or two in a browser (libsodium's SHA-256 in WebAssembly)
and in the Python client, and the same for every referral a script would flood with
(docs/intake.md has the figures measured).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext

from relay.errors import RelayError

PROOF_VERSION = "v1"
NONCE_PATTERN = re.compile(r"^[0-9]{1,20}$")


class ProofRefused(RelayError):
    code = "proof_of_work"
    status = 400


def _bits() -> int:
    return int(getattr(settings, "RELAY_REFERRAL_PROOF_BITS", 18))


def _max_age() -> int:
    return int(getattr(settings, "RELAY_REFERRAL_PROOF_AGE", 15 * 60))


def _sign(body: str) -> str:
    key = hashlib.sha256(b"relay.referrals.proof:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:32]


def issue_challenge() -> dict[str, Any]:
    """A fresh challenge and its difficulty."""
    body = f"{PROOF_VERSION}.{_bits()}.{secrets.token_hex(16)}.{int(time.time())}"
    return {"challenge": f"{body}.{_sign(body)}", "difficulty": _bits(), "expires_in": _max_age()}


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def spend(proof: Any) -> None:
    """Check ``{"challenge", "nonce"}`` and use it up; ``ProofRefused`` otherwise."""
    refused = ProofRefused(
        gettext("The check your browser makes before sending did not finish or has expired. "
        "Please send the form again.")
    )
    if not isinstance(proof, dict) or set(proof) != {"challenge", "nonce"}:
        raise refused
    challenge, nonce = proof["challenge"], proof["nonce"]
    if not isinstance(challenge, str) or not isinstance(nonce, str) or len(challenge) > 200:
        raise refused
    parts = challenge.split(".")
    if len(parts) != 5 or parts[0] != PROOF_VERSION or not NONCE_PATTERN.match(nonce):
        raise refused
    body, signature = ".".join(parts[:4]), parts[4]
    if not hmac.compare_digest(_sign(body), signature):
        raise refused
    try:
        difficulty, issued = int(parts[1]), int(parts[3])
    except ValueError:
        raise refused from None
    age = time.time() - issued
    if difficulty < _bits() or not -60 <= age <= _max_age():
        raise refused
    digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
    if leading_zero_bits(digest) < difficulty:
        raise refused
    # Used once: the first to add the key wins, every later try is refused.
    if not cache.add("pow:" + _sign(challenge), 1, timeout=_max_age() + 60):
        raise refused
