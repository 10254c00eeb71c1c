"""The hub's own record: who it is, how to reach it, where it signposts people, and the public
half of its intake key (docs/intake.md). One row; ``relay.hub.selectors.hub`` reads it."""

from __future__ import annotations

from django.conf import settings
from django.db import models

# The one row's primary key: the hub is a single record.
HUB_ID = 1


class HubSettings(models.Model):
    """The hub's name, contact details, hours, a short text about it, the ordered list of
    services it signposts people to (a list of ``{"key", "name", "helps_with", "phone",
    "website"}``), and the intake key's public half."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=HUB_ID)
    name = models.CharField(max_length=120)
    phone = models.CharField(max_length=40, blank=True)
    email = models.CharField(max_length=254, blank=True)
    postal_address = models.TextField(max_length=400, blank=True)
    opening_hours = models.CharField(max_length=200, blank=True)
    about = models.TextField(max_length=2000, blank=True)
    signposting = models.JSONField(default=list)
    # The intake key (X25519): referrals are sealed to its public half. Its private half
    # exists only wrapped to hub managers' and admins' own keys (IntakeKeyWrap).
    intake_public_key = models.BinaryField(max_length=32, null=True)
    intake_key_created_at = models.DateTimeField(null=True)
    updated_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=HUB_ID), name="hub_settings_single_row")
        ]

    def __str__(self) -> str:
        return self.name


class IntakeKeyWrap(models.Model):
    """The intake key's private half sealed (``crypto_box_seal``) to one hub manager's or
    admin's current key. The server cannot open it."""

    intake_key_id = models.CharField(max_length=32)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="intake_key_wraps"
    )
    key_id = models.CharField(max_length=32)
    sealed_secret = models.BinaryField(max_length=80)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["intake_key_id", "key_id"], name="intake_key_wrap_once_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"intake key {self.intake_key_id} for {self.key_id}"
