"""The audit log's keys, none of them stored in the database: the server's only audit crypto.

Both keys are derived from one secret, ``RELAY_AUDIT_KEY`` (the environment):

- the link MAC key (HMAC-SHA256), over each event's ``seq``, ``prev_hash`` and ``hash``;
- the checkpoint signing key (Ed25519, PyNaCl), over each checkpoint line.

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

    def link_mac(self, *, seq: int, prev_hash: str, hash: str) -> str:
        """The MAC of one link; ``hash`` already covers the event's fields."""
        message = f"{seq}\n{prev_hash}\n{hash}".encode()
        return hmac.new(self.mac_key, message, hashlib.sha256).hexdigest()

    def link_mac_holds(self, *, seq: int, prev_hash: str, hash: str, mac: str) -> bool:
        return hmac.compare_digest(self.link_mac(seq=seq, prev_hash=prev_hash, hash=hash), mac)

    def sign_checkpoint(self, *, seq: int, hash: str, at: str) -> str:
        message = checkpoint_message(seq=seq, hash=hash, at=at)
        return base64.b64encode(self.signing_key.sign(message).signature).decode()

    def checkpoint_signature_holds(self, *, seq: int, hash: str, at: str, sig: str) -> bool:
        try:
            signature = base64.b64decode(sig, validate=True)
            self.verify_key.verify(checkpoint_message(seq=seq, hash=hash, at=at), signature)
        except (BadSignatureError, ValueError):
            return False
        return True


def checkpoint_message(*, seq: int, hash: str, at: str) -> bytes:
    return f"{CHECKPOINT_CONTEXT}\n{seq}\n{hash}\n{at}".encode()


def audit_keys() -> AuditKeys:
    """The keys for the configured ``RELAY_AUDIT_KEY`` (read each call: tests override it)."""
    return _keys_for(settings.RELAY_AUDIT_KEY)


@lru_cache(maxsize=4)
def _keys_for(secret: str) -> AuditKeys:
    return AuditKeys.from_secret(secret)
