"""Messages: stored envelopes, their wrapped keys, and their moderation state (DESIGN §5)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class MessageState(models.TextChoices):
    SUBMITTED = "submitted", "Waiting for a facilitator"
    APPROVED = "approved", "Forwarded"
    RETURNED = "returned", "Returned to you to rephrase"
    REJECTED = "rejected", "Not forwarded"
    RETRACTED = "retracted", "Taken back by you"
    VOIDED = "voided", "Not forwarded: withdrawn"
    DELIVERED = "delivered", "Delivered"


class Audience(models.TextChoices):
    OTHER_PARTY = "other_party", "For the other party, through moderation"
    FACILITATORS = "facilitators", "For the facilitators only"
    PARTICIPANT = "participant", "From the facilitators to one participant"


class Message(models.Model):
    """One envelope. The primary key is the client-generated message id (idempotency key)."""

    id = models.UUIDField(primary_key=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sender_key = models.ForeignKey("accounts.PublicKey", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32)
    audience = models.CharField(max_length=20, choices=Audience.choices)
    state = models.CharField(max_length=20, choices=MessageState.choices)
    # For a forwarded envelope, a return note or a rejection reason: the message it concerns.
    derived_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="derivatives"
    )
    edited = models.BooleanField(default=False)
    header = models.JSONField()
    nonce = models.BinaryField()
    ciphertext = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A held participant's message (relay.cases.held): the facilitator who entered it on
    # their behalf. ``sender`` is the held participant; the envelope is the facilitator's.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A message to a held participant: when a facilitator read it to them, and who.
    read_out_at = models.DateTimeField(null=True, blank=True)
    read_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["case", "state"])]

    def __str__(self) -> str:
        # Never the ciphertext or header: ids and state only.
        return f"message {self.state}"


class MessageKey(models.Model):
    """The content key of one message, wrapped for one recipient key."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="keys")
    recipient_key = models.ForeignKey(
        "accounts.PublicKey", on_delete=models.PROTECT, related_name="+"
    )
    nonce = models.BinaryField()
    box = models.BinaryField()
    # Set when a facilitator re-encrypted the content key to a recovered account's new key:
    # then the box is from this key, not the sender's (docs/accounts.md, recovery).
    wrapped_by = models.ForeignKey(
        "accounts.PublicKey", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "recipient_key"], name="one_wrap_per_key")
        ]

    def __str__(self) -> str:
        return "wrapped key"


class NoteReading(models.Model):
    """A facilitator marked a participant's note to the facilitators as read.

    One row per note and facilitator account: each facilitator works through their own
    "Waiting for your decision" queue, so one facilitator's reading does not clear the note
    for a colleague (docs/api.md, "message": `read_by_me`). Ids and a time only.
    """

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="readings")
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["message", "facilitator"], name="one_reading_per_facilitator"
            )
        ]

    def __str__(self) -> str:
        return "note read"
