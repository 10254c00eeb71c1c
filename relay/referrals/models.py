"""Referrals to the hub: a person's own, or a professional's with their consent
(docs/intake.md). What they wrote is sealed in the browser to the hub's intake key; the
server holds only the sealed form and the few facts below, kept in clear because the hub
and its statistics need them and they identify no one."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReferralSource(models.TextChoices):
    """Who referred: the person themselves, or the kind of professional."""

    SELF = "self", _("Self-referral")
    VICTIM_SERVICES = "victim_services", _("Victim services")
    PROBATION = "probation", _("Probation")
    POLICE = "police", _("Police")
    PRISON = "prison", _("Prison")
    OTHER_PROFESSIONAL = "other_professional", _("Another professional")


class ReferralState(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class DeclineReason(models.TextChoices):
    """Why the hub cannot take a referral on, in a fixed list so that nothing personal is
    held in clear; the person reads each in plain words (``relay.referrals.states``)."""

    NOT_REPORTED = "not_reported", _("The crime was not reported to the police")
    NO_IDENTIFIED_PERSON = "no_identified_person", _("No one has been identified as responsible")
    OUTSIDE_AREA = "outside_area", _("Outside the hub's area")
    NOT_SAFE = "not_safe", _("Not safe or helpful at the moment")
    NO_CONTACT = "no_contact", _("We could not reach the person")
    OTHER_SERVICE = "other_service", _("Another service fits better")


class ConsentMethod(models.TextChoices):
    """How the person referred by a professional gave their consent."""

    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("On the phone")
    VIDEO = "video", _("On a video call")
    WRITING = "writing", _("In writing")


class ConsentGivenBy(models.TextChoices):
    """Who gave the consent to be referred."""

    PERSON = "person", _("The person referred")
    PARENT_OR_GUARDIAN = "parent_or_guardian", _("Their parent or guardian")
    ADVOCATE = "advocate", _("Someone legally entitled to act for them")


class Referral(models.Model):
    """One referral. ``sealed`` is a sealed comment of kind ``referral`` (docs/protocol.md)
    to the intake key ``intake_key_id``; the server cannot open it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Short, to quote on the phone; the check code proves it is theirs (only its hash kept).
    reference = models.CharField(max_length=12, unique=True)
    check_hash = models.CharField(max_length=64)
    source = models.CharField(max_length=20, choices=ReferralSource.choices)
    # Which side of a case the person referred would take.
    side = models.CharField(max_length=12)
    sealed = models.JSONField()
    intake_key_id = models.CharField(max_length=32)
    received_at = models.DateTimeField()
    state = models.CharField(
        max_length=10, choices=ReferralState.choices, default=ReferralState.WAITING
    )
    decided_at = models.DateTimeField(null=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    case = models.OneToOneField(
        "cases.Case", null=True, on_delete=models.SET_NULL, related_name="referral"
    )
    decline_reason = models.CharField(max_length=24, choices=DeclineReason.choices, blank=True)
    # The services chosen for the person when declining, as they were then (public text).
    signposting = models.JSONField(default=list)
    # A professional's referral: who referred, and the consent they recorded.
    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    consent_given_by = models.CharField(max_length=20, choices=ConsentGivenBy.choices, blank=True)
    consent_method = models.CharField(max_length=12, choices=ConsentMethod.choices, blank=True)
    consent_given_on = models.DateField(null=True)

    class Meta:
        ordering = ["received_at"]
        indexes = [models.Index(fields=["state", "received_at"])]

    def __str__(self) -> str:
        return self.reference
