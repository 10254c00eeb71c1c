"""How a case ended, its agreement and follow-ups, and the participants' satisfaction survey.

The countable facts (what was achieved, agreement item kinds, whether a follow-up was met,
how it was delivered, why a case closed, the survey's fixed choices) are held in clear: the
statistics count them. They say nothing about who anyone is. Anything written in words is
content and arrives sealed: an outcome or closing note to the case's facilitators (an
envelope of kind ``outcome_note``), a survey comment to the hub managers (a sealed comment,
docs/protocol.md). The case and participation rows are the cases app's; they are named by
string so this app imports nothing above it.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryMode(models.TextChoices):
    """How the communication between the parties happened."""

    SHUTTLE_MESSAGES = "shuttle_messages", _("Messages passed on by the facilitator")
    LETTERS = "letters", _("Letters")
    RECORDED_STATEMENTS = "recorded_statements", _("Recorded statements")
    CONFERENCE = "conference", _("A meeting or conference")


class AgreementItemKind(models.TextChoices):
    APOLOGY = "apology", _("An apology")
    REPARATION = "reparation", _("Reparation (putting something right)")
    BEHAVIOUR = "behaviour", _("A change of behaviour")
    OTHER = "other", _("Something else")


class CloseReason(models.TextChoices):
    COMPLETED = "completed", _("Completed")
    WITHDREW = "withdrew", _("A participant withdrew")
    UNSUITABLE = "unsuitable", _("Unsuitable")
    NO_CONTACT = "no_contact", _("No contact")


class Outcome(models.Model):
    """What a concluded case achieved. One per case, written when it concludes."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="outcome")
    questions_answered = models.BooleanField(default=False)
    explanation_given = models.BooleanField(default=False)
    apology_offered = models.BooleanField(default=False)
    # Null unless an apology was offered: then whether it was accepted (null: not known).
    apology_accepted = models.BooleanField(null=True, blank=True)
    # DeliveryMode values, sorted.
    delivery_modes = models.JSONField(default=list)
    # An envelope of kind outcome_note sealed to the case's facilitators, or null.
    note = models.JSONField(null=True, blank=True)
    concluded_at = models.DateTimeField()

    def __str__(self) -> str:
        return "case outcome"


class AgreementItem(models.Model):
    """One thing the parties agreed, with an optional follow-up date and whether it was met."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=20, choices=AgreementItemKind.choices)
    follow_up_on = models.DateField(null=True, blank=True)
    # Null until a facilitator records whether it was met.
    met = models.BooleanField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["follow_up_on"], name="agreement_follow_up")]

    def __str__(self) -> str:
        return f"agreement item ({self.kind})"


class Closure(models.Model):
    """Why a case closed. One per case, written when it closes."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="closure")
    reason = models.CharField(max_length=20, choices=CloseReason.choices)
    # For a withdrawal: which side, and the stage (case state) the case had reached.
    withdrawn_side = models.CharField(max_length=20, blank=True)
    stage = models.CharField(max_length=20)
    # An envelope of kind outcome_note sealed to the case's facilitators, or null: why, in
    # words, only if the person chose to say.
    note = models.JSONField(null=True, blank=True)
    closed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"case closure ({self.reason})"


class SurveyState(models.TextChoices):
    OFFERED = "offered", "Offered"
    ANSWERED = "answered", "Answered"
    DECLINED = "declined", "Declined"


class SurveyOffer(models.Model):
    """That a participant was offered the survey, and whether they answered or declined.

    Only this marker is tied to the participation, so the survey is offered once; the
    answers are in ``SurveyResponse``, which names no one.
    """

    participation = models.OneToOneField(
        "cases.Participation", on_delete=models.CASCADE, related_name="survey_offer"
    )
    state = models.CharField(max_length=20, choices=SurveyState.choices)

    def __str__(self) -> str:
        return f"survey offer ({self.state})"


class Satisfaction(models.TextChoices):
    VERY_SATISFIED = "very_satisfied", "Very satisfied"
    SATISFIED = "satisfied", "Satisfied"
    NEITHER = "neither", "Neither satisfied nor dissatisfied"
    DISSATISFIED = "dissatisfied", "Dissatisfied"
    VERY_DISSATISFIED = "very_dissatisfied", "Very dissatisfied"


class SurveyResponse(models.Model):
    """One participant's answers, counted, never attributed: no case, participation, user or
    time finer than the month. Its id is random, so row order says nothing either. ``side``
    lets the service report the person harmed's satisfaction apart."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    month = models.DateField()  # the first day of the month it was answered in
    side = models.CharField(max_length=20)
    # Each question's chosen answer (relay.outcomes.survey.QUESTIONS), "" if skipped.
    felt_safe = models.CharField(max_length=20, blank=True)
    felt_heard = models.CharField(max_length=20, blank=True)
    got_what_they_came_for = models.CharField(max_length=20, blank=True)
    would_recommend = models.CharField(max_length=20, blank=True)
    overall = models.CharField(max_length=20, blank=True)
    # A sealed comment to the hub managers, or null.
    comment = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["month"], name="survey_month")]

    def __str__(self) -> str:
        return "survey response"
