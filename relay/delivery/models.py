"""Each user's event stream: what they should see, in order (DESIGN §6)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class EventType(models.TextChoices):
    MESSAGE = "message", "A message for you"
    MESSAGE_STATE = "message_state", "A message you sent changed state"
    QUEUE = "queue", "The moderation queue changed"
    COMMUNICATION = "communication", "Communication paused or resumed"
    PARTICIPATION = "participation", "A participation changed state"
    CASE = "case", "The case changed state"
    KEY = "key", "A key you rely on changed"
    MEETING = "meeting", "A meeting changed, or is coming up"


class Event(models.Model):
    """One entry in one user's stream. ``seq`` increases by one per user, with no gaps."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seq = models.BigIntegerField()
    event_type = models.CharField(max_length=20, choices=EventType.choices)
    case = models.ForeignKey("cases.Case", null=True, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(
        "moderation.Message", null=True, on_delete=models.CASCADE, related_name="+"
    )
    # Identifiers and states only; message content travels as the referenced envelope.
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "seq"], name="one_event_per_seq")]
        ordering = ["user", "seq"]

    def __str__(self) -> str:
        return f"event {self.seq}"
