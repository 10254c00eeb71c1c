"""Cases, the two participations in each, and facilitator assignments (DESIGN §5)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class CaseState(models.TextChoices):
    REFERRED = "referred", _("Referred")
    ASSESSING = "assessing", _("Being assessed")
    UNSUITABLE = "unsuitable", _("Unsuitable")
    PREPARING = "preparing", _("Preparing")
    ACTIVE = "active", _("Active")
    CONCLUDED = "concluded", _("Concluded")
    CLOSED = "closed", _("Closed")


class Side(models.TextChoices):
    HARMED = "harmed", _("The person harmed")
    RESPONSIBLE = "responsible", _("The person responsible")

    @property
    def other(self) -> Side:
        return Side.RESPONSIBLE if self is Side.HARMED else Side.HARMED


class ParticipationState(models.TextChoices):
    INVITED = "invited", _("Invited")
    ENROLLED = "enrolled", _("Enrolled")
    CONSENTED = "consented", _("Consented")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class CommunicationMode(models.TextChoices):
    """The ways a participant may consent to take part, each consented to on its own
    (DESIGN §7); the server refuses what lacks the participant's current consent.

    The labels are marked for the catalogue but kept as plain English here
    (``gettext_noop``): they travel in the consent reply, over the socket too, as plain
    text. A page that shows them translates them where it draws them (the statistics)."""

    MESSAGES = "messages", gettext_noop("Messages and letters")
    RECORDED_MEDIA = "recorded_media", gettext_noop("Recorded audio or video")
    CONFERENCE = "conference", gettext_noop("Phone or video conference")
    IN_PERSON = "in_person", gettext_noop("Meeting in person")


class OffenceCategory(models.TextChoices):
    """What happened, in the broad categories RJ services use to decide who may facilitate."""

    ACQUISITIVE = "acquisitive", _("Theft, burglary, robbery or fraud")
    CRIMINAL_DAMAGE = "criminal_damage", _("Criminal damage or arson")
    VIOLENCE = "violence", _("Assault or threats")
    SERIOUS_VIOLENCE = "serious_violence", _("Serious violence")
    HARASSMENT = "harassment", _("Harassment or stalking")
    HATE_CRIME = "hate_crime", _("Hate crime")
    DOMESTIC_ABUSE = "domestic_abuse", _("Domestic abuse")
    SEXUAL_OFFENCE = "sexual_offence", _("Sexual offence")
    HOMICIDE = "homicide", _("Homicide or a death caused by a crime")
    OTHER = "other", _("Something else")


class Complexity(models.TextChoices):
    """How complex the case is, from the assessment: it can raise, never lower, the training
    its offence category needs."""

    STANDARD = "standard", _("Standard")
    COMPLEX = "complex", _("Complex")
    SENSITIVE = "sensitive", _("Sensitive and complex")


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
    # When the case last ended (concluded, closed or found unsuitable): the retention period
    # runs from here (relay.retention). Null while it is open.
    ended_at = models.DateTimeField(null=True, blank=True)

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


class ConsentHow(models.TextChoices):
    """How a consent was given or withdrawn: by the participant on their own page, or
    recorded by a facilitator afterwards, saying how they heard it."""

    SELF = "self", _("Given by the participant on their own page")
    PHONE = "phone", _("Recorded by the facilitator after a phone call")
    IN_PERSON = "in_person", _("Recorded by the facilitator after meeting in person")
    LETTER = "letter", _("Recorded by the facilitator from a letter")


class Hold(models.Model):
    """A participation the case's facilitators hold on behalf of a person with no device
    (in prison, or without a phone or computer), with that person's consent: how they gave
    it and when. The person has no key: what is for them is sealed to the facilitators, who
    read it to them; what they say is entered by a facilitator and marked so
    (docs/casework.md, "Taking part without a device"). A hold lasts as long as the
    participation."""

    participation = models.OneToOneField(
        Participation, on_delete=models.CASCADE, related_name="hold"
    )
    # How the person agreed to their participation being held: phone, in_person or letter
    # (ConsentHow, never "self": they have no page), and when they agreed.
    consent_how = models.CharField(max_length=20)
    consent_given_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return "held participation"


class ConsentChange(models.Model):
    """One change to a participant's consent for one communication mode: the history behind
    ``Participation.consented_modes`` (which holds the current set)."""

    participation = models.ForeignKey(
        Participation, on_delete=models.CASCADE, related_name="consent_changes"
    )
    mode = models.CharField(max_length=20, choices=CommunicationMode.choices)
    given = models.BooleanField()
    how = models.CharField(max_length=20, choices=ConsentHow.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"consent {'given' if self.given else 'withdrawn'}: {self.mode}"


class RecordKind(models.TextChoices):
    """A facilitator's case-work record (docs/casework.md). Its words are sealed to the
    case's facilitators; only the countable facts the gates need are held in clear."""

    SUITABILITY = "suitability", _("Suitability criteria")
    RISK_ASSESSMENT = "risk_assessment", _("Risk assessment and safety plan")
    CONTACT_ATTEMPT = "contact_attempt", _("Contact attempt")
    CASE_NOTE = "case_note", _("Case note")
    APPROACH = "approach", _("Approach to the person responsible")
    UNSUITABLE_REASON = "unsuitable_reason", _("Why the case is unsuitable")
    UNSUITABLE_NOTICE = "unsuitable_notice", _("Notice to a participant that the case ends")


class CaseRecord(models.Model):
    """One case-work record: its clear facts (criteria met, risk level, the approach's
    response, a contact attempt's method and result, the services signposted) and its
    sealed envelope (to the facilitators; a notice also to the one participant it is for)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="records")
    kind = models.CharField(max_length=24, choices=RecordKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    facts = models.JSONField(default=dict, blank=True)
    envelope = models.JSONField(null=True, blank=True)
    # A notice: the side it is for.
    to_side = models.CharField(max_length=20, choices=Side.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["case", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} record"


class SupporterState(models.TextChoices):
    REQUESTED = "requested", _("Asked for by the participant")
    APPROVED = "approved", _("Approved by a facilitator")
    ENDED = "ended", _("No longer supporting")


class Supporter(models.Model):
    """A friend, family member or professional supporting one participant in one case, with
    that participant's consent (docs/casework.md). The other party is never told."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    participation = models.ForeignKey(
        Participation, on_delete=models.CASCADE, related_name="supporters"
    )
    # The supporter's own account, created when a facilitator approves the request.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="supporting",
    )
    state = models.CharField(
        max_length=20, choices=SupporterState.choices, default=SupporterState.REQUESTED
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    # Who ended it: the participant (they no longer consent, or took back their request) or a
    # facilitator (declined a request, or ended the support). Null while it lasts.
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"supporter ({self.state})"
