"""Users, their roles and their registered X25519 public keys."""

from __future__ import annotations

import hashlib
import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    PARTICIPANT = "participant", "Participant"
    FACILITATOR = "facilitator", "Facilitator"
    HUB_MANAGER = "hub_manager", "Hub manager"
    ADMIN = "admin", "Administrator"
    # A professional who refers people to the hub (Victim Support, Probation, police).
    REFERRER = "referrer", "Referrer"
    # A friend, family member or professional chosen by one participant (DESIGN §1).
    SUPPORTER = "supporter", "Supporter"
    # Funds the service; sees aggregate statistics only.
    COMMISSIONER = "commissioner", "Commissioner"


class TrainingLevel(models.TextChoices):
    """A facilitator's restorative justice training, lowest first. A case needs a
    facilitator "adequately trained to the level required" for it (relay.cases.states)."""

    FOUNDATION = "foundation", "Foundation"
    # Complex cases.
    ADVANCED = "advanced", "Advanced"
    # Sensitive and complex cases: domestic abuse, sexual offences, homicide.
    SPECIALIST = "specialist", "Specialist"


TRAINING_ORDER = (TrainingLevel.FOUNDATION, TrainingLevel.ADVANCED, TrainingLevel.SPECIALIST)


# Accounts a hub manager invites, each held to a second factor (DESIGN invariant 6).
STAFF_ROLES = frozenset(
    {Role.FACILITATOR, Role.HUB_MANAGER, Role.ADMIN, Role.REFERRER, Role.COMMISSIONER}
)
# The roles that administer cases and accounts (and read no message).
MANAGER_ROLES = frozenset({Role.HUB_MANAGER, Role.ADMIN})


class User(AbstractUser):
    """An account. Participants never see each other's username, only a display name."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PARTICIPANT)
    display_name = models.CharField(max_length=80, blank=True)
    # Highest sequence number handed out in this user's event stream (DESIGN §6).
    event_seq = models.BigIntegerField(default=0)
    suspended_at = models.DateTimeField(null=True, blank=True)
    # A facilitator's training, set by a hub manager; meaningless for other roles.
    training_level = models.CharField(
        max_length=20, choices=TrainingLevel.choices, default=TrainingLevel.FOUNDATION
    )

    # Argon2id salt for the client-side key derivation (docs/protocol.md §2).
    kdf_salt = models.BinaryField(max_length=16, null=True, blank=True)

    # The user's private key, encrypted in their client under the password-derived wrap key.
    wrapped_private_key = models.BinaryField(null=True, blank=True)
    wrapped_key_nonce = models.BinaryField(null=True, blank=True)
    kdf_opslimit = models.PositiveIntegerField(null=True, blank=True)
    kdf_memlimit = models.PositiveBigIntegerField(null=True, blank=True)

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.username}"


def key_id_for(public_key: bytes) -> str:
    """Key id: BLAKE2b-128 of the raw public key, hex (libsodium ``crypto_generichash``)."""
    return hashlib.blake2b(public_key, digest_size=16).hexdigest()


def fingerprint_for(public_key: bytes) -> str:
    """Fingerprint: 30 digits in six groups of five, read aloud to compare keys.

    BLAKE2b-256 of ``b"relay-fingerprint-v1" + public_key``; each of the first six 5-byte
    chunks, as a big-endian integer modulo 100000, gives one group.
    """
    digest = hashlib.blake2b(b"relay-fingerprint-v1" + public_key, digest_size=32).digest()
    groups = [int.from_bytes(digest[i * 5 : i * 5 + 5], "big") % 100000 for i in range(6)]
    return " ".join(f"{g:05d}" for g in groups)


class PublicKey(models.Model):
    """A registered X25519 public key. The current key of a user has ``retired_at`` null."""

    key_id = models.CharField(max_length=32, primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="public_keys")
    public_key = models.BinaryField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    # The case whose enrolment code, given to its participant, registered this key. The key
    # is trusted there without a verification and nowhere else (DESIGN §4): a code of
    # another case, a reset code or a key registered later carry no trust.
    enrolled_in = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(retired_at__isnull=True),
                name="one_current_key_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"key {self.key_id[:8]}"

    @property
    def fingerprint(self) -> str:
        return fingerprint_for(bytes(self.public_key))


class KeyVerification(models.Model):
    """A facilitator of ``case`` compared this key's fingerprint with its owner, out of band.

    Trust is a (case, key) fact: a verification in one case says nothing in another
    (DESIGN §4), so a facilitator can vouch for a key only in the cases they facilitate.
    """

    key = models.ForeignKey(PublicKey, on_delete=models.CASCADE, related_name="verifications")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    verified_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField(auto_now_add=True)
    # How it was compared, e.g. "phone", "in person".
    method = models.CharField(max_length=20, default="in_person")

    def __str__(self) -> str:
        return "key verification"


class Invitation(models.Model):
    """A single-use enrolment code for one account, stored only as a hash.

    A facilitator (for a participant) or a hub manager (for staff) issues it and passes the
    code on out of band. Issuing a new code for the same account deletes the old one.
    A code for a person who has already enrolled exists only as the result of an audited
    reset (``for_reset``); enrolling with any other code is refused once they have enrolled.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    code_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    for_reset = models.BooleanField(default=False)
    # The case whose facilitator issued a participant's first code: the key enrolled with
    # it is trusted in that case. Null for staff codes and reset codes.
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return "enrolment code"


class RecoveryWrap(models.Model):
    """A staff member's private key wrapped a second time, under their printable recovery
    key (DESIGN §4: recovery without escrow). The server cannot open it."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="recovery_wrap")
    key = models.ForeignKey(PublicKey, on_delete=models.CASCADE, related_name="+")
    nonce = models.BinaryField(max_length=24)
    box = models.BinaryField(max_length=48)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "recovery wrap"


def normalise_code(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def code_hash(code: str) -> str:
    """Codes are stored only as this hash; the code itself is shown once, to its issuer."""
    return hashlib.sha256(b"relay-enrolment:" + normalise_code(code).encode()).hexdigest()
