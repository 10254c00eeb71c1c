"""The audit log's keys, none of them stored in the database: the server's only audit crypto.

Both keys are derived from one secret, ``RELAY_AUDIT_KEY`` (the environment):

- the link MAC key (HMAC-SHA256), over each event's chain, place in it, ``seq``,
  ``prev_hash`` and ``hash`` (events of the legacy chain: over ``seq``, ``prev_hash`` and
  ``hash``, as they were written);
- the checkpoint signing key (Ed25519, PyNaCl), over each checkpoint and anchor line.

One secret, not two: every process that appends events writes checkpoints after commit, so
both keys must live in the same process environment and would be taken together anyway. The
signature still earns its place: checking a checkpoint needs only the public key, which an
auditor can keep elsewhere (``manage.py audit_checkpoint --public-key``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

MAC_CONTEXT = b"relay-audit-link-mac-v1"
SIGNING_CONTEXT = b"relay-audit-checkpoint-signing-v1"
CHECKPOINT_CONTEXT = "relay-audit-checkpoint-v1"
CHAIN_MAC_CONTEXT = "relay-audit-chain-link-v2"
CHAIN_CHECKPOINT_CONTEXT = "relay-audit-checkpoint-v2"
ANCHOR_CONTEXT = "relay-audit-anchor-v2"


@dataclass(frozen=True)
class AuditKeys:
    mac_key: bytes
    signing_key: SigningKey

    @classmethod
    def from_secret(cls, secret: str) -> AuditKeys:
        raw = secret.encode()
        return cls(
            mac_key=hmac.new(raw, MAC_CONTEXT, hashlib.sha256).digest(),
            signing_key=SigningKey(hmac.new(raw, SIGNING_CONTEXT, hashlib.sha256).digest()),
        )

    @property
    def verify_key(self) -> VerifyKey:
        return self.signing_key.verify_key

    def link_mac(
        self,
        *,
        seq: int,
        prev_hash: str,
        hash: str,
        chain: str | None = None,
        chain_seq: int | None = None,
    ) -> str:
        """The MAC of one link; ``hash`` already covers the event's fields. Without
        ``chain``, the legacy form (one global chain)."""
        if chain is None:
            message = f"{seq}\n{prev_hash}\n{hash}".encode()
        else:
            message = (
                f"{CHAIN_MAC_CONTEXT}\n{chain}\n{chain_seq}\n{seq}\n{prev_hash}\n{hash}".encode()
            )
        return hmac.new(self.mac_key, message, hashlib.sha256).hexdigest()

    def link_mac_holds(
        self,
        *,
        seq: int,
        prev_hash: str,
        hash: str,
        mac: str,
        chain: str | None = None,
        chain_seq: int | None = None,
    ) -> bool:
        expected = self.link_mac(
            seq=seq, prev_hash=prev_hash, hash=hash, chain=chain, chain_seq=chain_seq
        )
        return hmac.compare_digest(expected, mac)

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.signing_key.sign(message).signature).decode()

    def signature_holds(self, message: bytes, sig: str) -> bool:
        try:
            signature = base64.b64decode(sig, validate=True)
            self.verify_key.verify(message, signature)
        except (BadSignatureError, ValueError):
            return False
        return True

    def sign_checkpoint(self, *, seq: int, hash: str, at: str) -> str:
        return self.sign(checkpoint_message(seq=seq, hash=hash, at=at))

    def checkpoint_signature_holds(self, *, seq: int, hash: str, at: str, sig: str) -> bool:
        return self.signature_holds(checkpoint_message(seq=seq, hash=hash, at=at), sig)


def checkpoint_message(*, seq: int, hash: str, at: str) -> bytes:
    """What a legacy (v1) checkpoint line signs: event ``seq`` of the one global chain."""
    return f"{CHECKPOINT_CONTEXT}\n{seq}\n{hash}\n{at}".encode()


def chain_checkpoint_message(*, chain: str, chain_seq: int, seq: int, hash: str, at: str) -> bytes:
    """What a v2 checkpoint line signs: link ``chain_seq`` of ``chain`` is event ``seq``."""
    return f"{CHAIN_CHECKPOINT_CONTEXT}\n{chain}\n{chain_seq}\n{seq}\n{hash}\n{at}".encode()


def anchor_message(*, heads: str, at: str) -> bytes:
    """What an anchor line signs: ``heads`` is the canonical JSON of its sorted heads."""
    return f"{ANCHOR_CONTEXT}\n{heads}\n{at}".encode()


def audit_keys() -> AuditKeys:
    """The keys for the configured ``RELAY_AUDIT_KEY`` (read each call: tests override it)."""
    return _keys_for(settings.RELAY_AUDIT_KEY)


@lru_cache(maxsize=4)
def _keys_for(secret: str) -> AuditKeys:
    return AuditKeys.from_secret(secret)
