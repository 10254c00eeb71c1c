"""Meetings: preparation meetings with one participant and joint conferences, by video,
phone or in person (docs/scheduling.md). Times are stored in UTC. What a meeting is about,
where it is and any note on it are content: they live only in the sealed ``details``
envelope, which the server cannot open."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models


class MeetingKind(models.TextChoices):
    PREPARATION = "preparation", "Preparation meeting"
    CONFERENCE = "conference", "Joint conference"


class Medium(models.TextChoices):
    VIDEO = "video", "Video call"
    PHONE = "phone", "Phone call"
    IN_PERSON = "in_person", "In person"


class MeetingState(models.TextChoices):
    PROPOSED = "proposed", "Times proposed"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"


class Answer(models.TextChoices):
    ACCEPT = "accept", "I can come"
    DECLINE = "decline", "I cannot come"
    NEED_TO_TALK = "need_to_talk", "I need to talk about it first"


def new_room() -> str:
    """An unguessable video room name (128 random bits, lower case as Jitsi keeps them)."""
    return "relay" + secrets.token_hex(16)


class Meeting(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(max_length=20, choices=MeetingKind.choices)
    medium = models.CharField(max_length=20, choices=Medium.choices)
    state = models.CharField(
        max_length=20, choices=MeetingState.choices, default=MeetingState.PROPOSED
    )
    duration_minutes = models.PositiveIntegerField()
    # The confirmed start (UTC); null while times are only proposed.
    starts_at = models.DateTimeField(null=True, blank=True)
    room = models.CharField(max_length=64, unique=True, default=new_room)
    # The calendar entry's identity (UID) and revision (SEQUENCE), kept across reschedules.
    calendar_uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    # The sealed details envelope (kind meeting_details), to the invitees and facilitators.
    details = models.JSONField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"meeting {self.pk}"


class Slot(models.Model):
    """One proposed start time (UTC)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "starts_at"], name="one_slot_per_time")
        ]

    def __str__(self) -> str:
        return f"slot {self.pk}"


class Invitee(models.Model):
    """A participant (or a supporter they consented to) invited to a meeting. Facilitators
    of the case are the hosts of every meeting and are not listed here."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitees")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The side of the participation this invitee belongs to (a supporter's is their
    # participant's).
    side = models.CharField(max_length=20)
    supporter = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="one_invitee_per_user")
        ]

    def __str__(self) -> str:
        return f"invitee {self.pk}"


class SlotAnswer(models.Model):
    """An invitee's private answer to one proposed time: the facilitators see it, the other
    party never does."""

    invitee = models.ForeignKey(Invitee, on_delete=models.CASCADE, related_name="answers")
    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="answers")
    answer = models.CharField(max_length=20, choices=Answer.choices)
    answered_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invitee", "slot"], name="one_answer_per_slot")
        ]

    def __str__(self) -> str:
        return f"answer {self.pk}"


class Reminder(models.Model):
    """A reminder due to one person (invitee or facilitator) before a confirmed meeting.
    ``sent_at`` is set in the same transaction as the event it sends, so a reminder is sent
    exactly once however often the worker runs or dies. A reschedule or cancellation
    deletes the reminders not yet sent."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="reminders")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # How long before the start, in minutes (1440: a day; 60: an hour).
    before_minutes = models.PositiveIntegerField()
    starts_at = models.DateTimeField()
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user", "before_minutes", "starts_at"],
                name="one_reminder_per_time",
            )
        ]
        indexes = [models.Index(fields=["sent_at", "due_at"], name="reminder_due")]

    def __str__(self) -> str:
        return f"reminder {self.pk}"
