"""Attachments: encrypted file blobs (``relay-file-v1``) uploaded in pieces, each carried by
one message whose sealed payload holds the file key, name, type and size (docs/attachments.md).
The server holds only the blob and its padded length."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Attachment(models.Model):
    """One uploaded blob. ``message_id`` is the client-generated id of the message that
    carries it (that message may be sent before or after the upload completes)."""

    id = models.UUIDField(primary_key=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="attachments")
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    message_id = models.UUIDField()
    size = models.PositiveBigIntegerField()
    received = models.PositiveBigIntegerField(default=0)
    # Where its pieces are stored (``<case id>/<attachment id>``), set by the first piece.
    blob = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["message_id"])]

    def __str__(self) -> str:
        return f"attachment {self.received}/{self.size}"
