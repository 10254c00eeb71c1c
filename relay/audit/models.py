"""The append-only, hash-chained audit log (DESIGN invariant 5)."""

from __future__ import annotations

from django.db import models


class AuditEventType(models.IntegerChoices):
    """Stable numbers: never renumber, only add."""

    CASE_CREATED = 1
    FACILITATOR_ASSIGNED = 2
    FACILITATOR_UNASSIGNED = 3
    PARTICIPANT_ADDED = 4
    CASE_STATE_CHANGED = 5
    PARTICIPATION_STATE_CHANGED = 6
    KEY_REGISTERED = 10
    KEY_VERIFIED = 11
    KEY_WRAP_REPLACED = 12
    MESSAGE_SUBMITTED = 20
    MESSAGE_FORWARDED = 21
    MESSAGE_RETURNED = 22
    MESSAGE_REJECTED = 23
    MESSAGE_RETRACTED = 24
    MESSAGES_VOIDED = 25
    FACILITATOR_NOTE_SENT = 26
    CASE_PAUSED = 30
    CASE_RESUMED = 31
    PARTICIPATION_WITHDRAWN = 32
    ACCOUNT_CREATED = 40
    ACCOUNT_ENROLLED = 41
    PASSWORD_CHANGED = 42
    ACCOUNT_SUSPENDED = 43
    ACCOUNT_REINSTATED = 44
    SECOND_FACTOR_CHANGED = 45
    INVITATION_CREATED = 46
    ACCOUNT_RESET = 47
    HISTORY_REENCRYPTED = 48
    SECOND_FACTOR_SETUP_STARTED = 49
    # The hub and its intake (docs/intake.md).
    HUB_SETTINGS_CHANGED = 50
    INTAKE_KEY_CREATED = 51
    INTAKE_KEY_SHARED = 52
    REFERRAL_RECEIVED = 53
    REFERRAL_ACCEPTED = 54
    REFERRAL_DECLINED = 55
    # Case work: consent per mode, assessment records, supporters, unsuitable cases.
    CONSENT_CHANGED = 60
    CASE_RECORD_ADDED = 61
    SUPPORTER_REQUESTED = 62
    SUPPORTER_APPROVED = 63
    SUPPORTER_ENROLLED = 64
    SUPPORTER_ENDED = 65
    PARTICIPATION_HELD = 66
    # A facilitator read a held participant what was passed on to them (relay.cases.held).
    HELD_MESSAGE_READ_OUT = 67
    # A facilitator marked a participant's note to the facilitators as read (their own
    # queue: relay.moderation.actions.mark_note_read).
    NOTE_READ = 68
    # Scheduling meetings (relay.scheduling).
    MEETING_PROPOSED = 70
    MEETING_ANSWERED = 71
    MEETING_CONFIRMED = 72
    MEETING_RESCHEDULED = 73
    MEETING_CANCELLED = 74
    MEETING_DETAILS_SET = 75
    MEETING_JOINED = 76
    # Attachments (relay.attachments): an upload opened and completed, and one deleted by
    # the worker because it was never completed or never carried by a message.
    ATTACHMENT_STARTED = 80
    ATTACHMENT_COMPLETED = 81
    ATTACHMENT_DISCARDED = 82
    # Ending a case well (concluding and closing record CASE_STATE_CHANGED with the outcome
    # or reason): follow-ups and the survey.
    FOLLOW_UP_RECORDED = 90
    SURVEY_ANSWERED = 91
    SURVEY_DECLINED = 92
    SURVEY_OFFERED = 93
    # Operations: retention and crypto-shredding, legal holds, notification choices.
    CASE_SHREDDED = 100
    RETENTION_RUN = 101
    LEGAL_HOLD_PLACED = 102
    LEGAL_HOLD_RELEASED = 103
    NOTIFICATIONS_CHANGED = 104
    NOTIFICATIONS_UNSUBSCRIBED = 105


LEGACY_CHAIN = "legacy"
ACCOUNT_CHAIN = "account"


def chain_for(case_id: object | None) -> str:
    """The chain an event belongs to: its case's, or the account chain for events of no case."""
    return f"case:{case_id}" if case_id is not None else ACCOUNT_CHAIN


class AuditEvent(models.Model):
    """One decision. Identifiers and states only, never content.

    ``seq`` is global, unique and increasing, taken from a database sequence (no lock);
    ``chain``/``chain_seq`` place the event in its chain (one per case, one for account
    events, and the legacy chain of events written before chains existed), and
    ``prev_hash``/``hash``/``mac`` link it to the previous event of that chain.
    """

    seq = models.BigAutoField(primary_key=True)
    chain = models.CharField(max_length=48)
    chain_seq = models.BigIntegerField()
    created_at = models.DateTimeField()
    event_type = models.PositiveSmallIntegerField(choices=AuditEventType.choices)
    actor_id = models.UUIDField(null=True)
    case_id = models.UUIDField(null=True)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # HMAC-SHA256 over the link under RELAY_AUDIT_KEY, which is not in the database.
    mac = models.CharField(max_length=64, default="")

    class Meta:
        ordering = ["seq"]
        # Not unique: the chain heads keep places unique, and the verifier checks them.
        indexes = [models.Index(fields=["chain", "chain_seq"], name="audit_event_chain_seq")]

    def __str__(self) -> str:
        return f"audit #{self.seq} ({self.chain} #{self.chain_seq}) {self.get_event_type_display()}"


class AuditChain(models.Model):
    """The head of one chain: its last ``chain_seq`` and hash. Locking it serializes the
    appends to that chain only (relay.audit.chain.record)."""

    chain = models.CharField(max_length=48, primary_key=True)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit chain {self.chain} at #{self.seq}"
