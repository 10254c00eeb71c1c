"""Cases, the two participations in each, and facilitator assignments (DESIGN §5)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class CaseState(models.TextChoices):
    REFERRED = "referred", "Referred"
    ASSESSING = "assessing", "Being assessed"
    UNSUITABLE = "unsuitable", "Unsuitable"
    PREPARING = "preparing", "Preparing"
    ACTIVE = "active", "Active"
    CONCLUDED = "concluded", "Concluded"
    CLOSED = "closed", "Closed"


class Side(models.TextChoices):
    HARMED = "harmed", "The person harmed"
    RESPONSIBLE = "responsible", "The person responsible"

    @property
    def other(self) -> Side:
        return Side.RESPONSIBLE if self is Side.HARMED else Side.HARMED


class ParticipationState(models.TextChoices):
    INVITED = "invited", "Invited"
    ENROLLED = "enrolled", "Enrolled"
    CONSENTED = "consented", "Consented"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    WITHDRAWN = "withdrawn", "Withdrawn"


class CommunicationMode(models.TextChoices):
    """The ways a participant may consent to take part, each consented to on its own
    (DESIGN §7); the server refuses what lacks the participant's current consent."""

    MESSAGES = "messages", "Messages and letters"
    RECORDED_MEDIA = "recorded_media", "Recorded audio or video"
    CONFERENCE = "conference", "Phone or video conference"
    IN_PERSON = "in_person", "Meeting in person"


class OffenceCategory(models.TextChoices):
    """What happened, in the broad categories RJ services use to decide who may facilitate."""

    ACQUISITIVE = "acquisitive", "Theft, burglary, robbery or fraud"
    CRIMINAL_DAMAGE = "criminal_damage", "Criminal damage or arson"
    VIOLENCE = "violence", "Assault or threats"
    SERIOUS_VIOLENCE = "serious_violence", "Serious violence"
    HARASSMENT = "harassment", "Harassment or stalking"
    HATE_CRIME = "hate_crime", "Hate crime"
    DOMESTIC_ABUSE = "domestic_abuse", "Domestic abuse"
    SEXUAL_OFFENCE = "sexual_offence", "Sexual offence"
    HOMICIDE = "homicide", "Homicide or a death caused by a crime"
    OTHER = "other", "Something else"


class Complexity(models.TextChoices):
    """How complex the case is, from the assessment: it can raise, never lower, the training
    its offence category needs."""

    STANDARD = "standard", "Standard"
    COMPLEX = "complex", "Complex"
    SENSITIVE = "sensitive", "Sensitive and complex"


class Case(models.Model):
    """A restorative justice case. Its row is the lock that serializes pause and forward."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=32, unique=True)
    state = models.CharField(max_length=20, choices=CaseState.choices, default=CaseState.REFERRED)
    offence_category = models.CharField(
        max_length=20, choices=OffenceCategory.choices, default=OffenceCategory.OTHER
    )
    complexity = models.CharField(
        max_length=20, choices=Complexity.choices, default=Complexity.STANDARD
    )
    # A facilitator's safety pause: held until a facilitator resumes.
    safety_paused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Case {self.reference}"


class Participation(models.Model):
    """One participant in one case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="participations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="participations"
    )
    side = models.CharField(max_length=20, choices=Side.choices)
    state = models.CharField(
        max_length=20, choices=ParticipationState.choices, default=ParticipationState.INVITED
    )
    # The CommunicationMode values this participant currently consents to (sorted).
    consented_modes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "side"], name="one_participation_per_side"),
            models.UniqueConstraint(fields=["case", "user"], name="one_participation_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.get_side_display()} in {self.case}"


class FacilitatorAssignment(models.Model):
    """A facilitator assigned to a case. ``ended_at`` set means no longer assigned."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "facilitator"],
                condition=models.Q(ended_at__isnull=True),
                name="one_current_assignment",
            )
        ]

    def __str__(self) -> str:
        return f"facilitator on {self.case}"
