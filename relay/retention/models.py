"""Legal holds and the record of each shredded case (docs/operations.md, "Retention")."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class HoldReason(models.TextChoices):
    """Why a hub manager keeps a case's content past its retention period."""

    LEGAL_PROCEEDINGS = "legal_proceedings", "Legal proceedings or a court order"
    COMPLAINT = "complaint", "A complaint being investigated"
    SAFEGUARDING = "safeguarding", "A safeguarding review"
    SUBJECT_REQUEST = "subject_request", "A data subject request being answered"
    OTHER = "other", "Another documented reason"


class LegalHold(models.Model):
    """A hold on one case: while it is in place (``released_at`` null) nothing of the case
    is shredded. ``reference`` names the document behind it (a court order's number, a
    complaint's file): a reference, never an account of what happened."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=32, choices=HoldReason.choices)
    reference = models.CharField(max_length=64, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField()
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(released_at__isnull=True),
                name="one_current_hold_per_case",
            )
        ]

    def __str__(self) -> str:
        return f"legal hold ({self.reason})"


class Shredding(models.Model):
    """That a case's content was destroyed, when, and how much: counts only."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="+")
    shredded_at = models.DateTimeField()
    messages = models.PositiveIntegerField()
    wrapped_keys = models.PositiveIntegerField()
    notes = models.PositiveIntegerField()

    def __str__(self) -> str:
        return "case shredded"
