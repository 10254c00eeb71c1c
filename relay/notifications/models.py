"""Each person's notification choices: opt-in, content-free (DESIGN §9)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


def new_unsubscribe_token() -> str:
    return secrets.token_urlsafe(32)


class NotificationPreference(models.Model):
    """Whether and how a person is told there is something new. ``channels`` empty means
    no notifications (the default: opt-in). The contact details are seen only by the
    person and the current facilitators of their cases (relay.notifications.access).

    ``notified_seq`` is the person's event sequence number up to which they have been
    notified; events after it are pending and are batched into the next notification."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    channels = models.JSONField(default=list, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=16, blank=True)
    # Local times (in ``time_zone``) between which nothing is sent; both null: no quiet hours.
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="Europe/London")
    notified_seq = models.BigIntegerField(default=0)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    unsubscribe_token = models.CharField(
        max_length=64, unique=True, default=new_unsubscribe_token
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        # Never the contact details.
        return "notification preference"
