"""Uploading, reading and erasing attachments (docs/attachments.md).

A blob is uploaded in pieces, each appended at the offset the server reports, so an
interrupted upload resumes where the server stopped; nothing ever holds the whole blob in
memory. The server never sees the file key, name, type or real size: they travel inside the
sealed payload of the message that carries the blob.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import IO

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext

from relay.accounts.models import Role, User
from relay.attachments.models import Attachment
from relay.attachments.storage import blob_prefix, delete_blob, open_blob, write_piece
from relay.audit.chain import record
from relay.audit.models import AuditEventType
from relay.cases.access import (
    access_case_as_facilitator,
    access_case_as_member,
    access_case_as_participant,
    is_current_facilitator,
)
from relay.cases.actions import lock_case
from relay.cases.models import Case
from relay.cases.states import CLOSED_TO_MESSAGES, may_write_to_facilitators
from relay.errors import AccessDenied, IllegalTransition, InvalidRequest, RelayError
from relay.moderation.models import Message, MessageState

logger = logging.getLogger(__name__)

# The largest piece one request may carry (before base64): well under RELAY_MAX_BODY_BYTES.
MAX_PIECE_BYTES = 128 * 1024


class TooLarge(RelayError):
    """A file or a case's attachments would pass their size limit; nothing was stored."""

    status = 413


class WrongOffset(IllegalTransition):
    """A piece sent at an offset other than the received length."""

    code = "wrong_offset"


def _case_for_uploader(actor: User, case_id: uuid.UUID) -> Case:
    """The case, locked, if the actor may add a file to it now: as they may write a message
    (a participant until they withdraw, anyone until the case is closed to messages)."""
    if actor.role == Role.FACILITATOR:
        case = lock_case(access_case_as_facilitator(actor, case_id).pk)
        open_to_messages = case.state not in CLOSED_TO_MESSAGES
    else:
        participation = access_case_as_participant(actor, case_id)
        case = lock_case(participation.case_id)
        open_to_messages = may_write_to_facilitators(case.state, participation.state)
    if not open_to_messages:
        raise IllegalTransition(gettext("This case is no longer open for messages, so for files."))
    return case


@transaction.atomic
def start_upload(
    *, actor: User, case_id: uuid.UUID, message_id: uuid.UUID, size: int
) -> Attachment:
    """Open an upload of ``size`` encrypted bytes for the message ``message_id``.

    Who: a participant of the case or one of its current facilitators, while they may write
    in it (else 409 ``conflict``). Refuses a size of
    zero, one over ``RELAY_ATTACHMENT_MAX_BYTES`` or one that would take the case's
    attachments over ``RELAY_ATTACHMENTS_MAX_CASE_BYTES`` (413). Audits: ATTACHMENT_STARTED.
    """
    case = _case_for_uploader(actor, case_id)
    if size <= 0:
        raise InvalidRequest(gettext("An attachment must have at least one byte."))
    if size > settings.RELAY_ATTACHMENT_MAX_BYTES:
        raise TooLarge(
            gettext(
                "This file is larger than the %(limit)s bytes"
                " one attachment may have."
            )
            % {"limit": settings.RELAY_ATTACHMENT_MAX_BYTES},
            code="file_too_large",
        )
    used = Attachment.objects.filter(case=case).aggregate(total=Sum("size"))["total"] or 0
    if used + size > settings.RELAY_ATTACHMENTS_MAX_CASE_BYTES:
        raise TooLarge(
            gettext("This case has no room left for a file this large."), code="case_storage_full"
        )
    attachment = Attachment.objects.create(
        id=uuid.uuid4(), case=case, uploader=actor, message_id=message_id, size=size
    )
    record(
        AuditEventType.ATTACHMENT_STARTED,
        actor=actor,
        case=case,
        attachment=str(attachment.pk),
        message=str(message_id),
        size=size,
    )
    return attachment


def own_upload(actor: User, attachment_id: uuid.UUID) -> Attachment:
    """An upload the actor opened, in a case they still belong to."""
    attachment = Attachment.objects.filter(pk=attachment_id, uploader=actor).first()
    if attachment is None:
        raise AccessDenied()
    access_case_as_member(actor, attachment.case_id)
    return attachment


@transaction.atomic
def append_piece(*, actor: User, attachment_id: uuid.UUID, offset: int, data: bytes) -> Attachment:
    """Append ``data`` at ``offset``, which must be the length received so far.

    Who: the uploader. Refuses a piece at any other offset (409 ``wrong_offset``; ask the
    upload for its ``received``), an empty or oversized piece, one past the declared size,
    and a completed upload. Audits: nothing (the completed upload is audited).
    """
    own_upload(actor, attachment_id)
    attachment = Attachment.objects.select_for_update().get(pk=attachment_id)
    if attachment.completed_at is not None:
        raise IllegalTransition(gettext("This upload is already complete."))
    if offset != attachment.received:
        raise WrongOffset(
            gettext("The server has %(received)s bytes of this upload: send from there.")
            % {"received": attachment.received}
        )
    if not data or len(data) > MAX_PIECE_BYTES:
        raise InvalidRequest(
            gettext("A piece must have between 1 and %(max_piece_bytes)s bytes.")
            % {"max_piece_bytes": MAX_PIECE_BYTES}
        )
    if attachment.received + len(data) > attachment.size:
        raise InvalidRequest(gettext("This piece goes past the size the upload declared."))
    if not attachment.blob:
        attachment.blob = blob_prefix(attachment.case_id, attachment.pk)
    # One object per piece, named by its offset (S3 cannot append): a piece a failed request
    # left at this offset is overwritten, never kept (relay/attachments/storage.py).
    write_piece(attachment.blob, attachment.received, data)
    attachment.received += len(data)
    attachment.save(update_fields=["received", "blob"])
    return attachment


@transaction.atomic
def complete_upload(*, actor: User, attachment_id: uuid.UUID) -> Attachment:
    """Mark an upload whose every byte has arrived complete; only then may it be read.

    Who: the uploader. Refuses an upload still missing bytes (409). Audits:
    ATTACHMENT_COMPLETED.
    """
    own_upload(actor, attachment_id)
    attachment = Attachment.objects.select_for_update().get(pk=attachment_id)
    if attachment.completed_at is not None:
        return attachment
    if attachment.received != attachment.size:
        raise IllegalTransition(
            gettext("The server has %(received)s of %(size)s bytes: send the rest.")
            % {"received": attachment.received, "size": attachment.size}
        )
    attachment.completed_at = timezone.now()
    attachment.save(update_fields=["completed_at"])
    record(
        AuditEventType.ATTACHMENT_COMPLETED,
        actor=actor,
        case=attachment.case,
        attachment=str(attachment.pk),
    )
    return attachment


def _carried_to(user: User, attachment: Attachment) -> bool:
    """The user holds a wrapped key for the message carrying the blob (a facilitator's note
    to them) or for its forward to them. A message not sent by the uploader carries nothing."""
    carrier = Message.objects.filter(
        pk=attachment.message_id, case_id=attachment.case_id, sender_id=attachment.uploader_id
    ).first()
    if carrier is None:
        return False
    sealed = Message.objects.filter(keys__recipient_key__user=user)
    if sealed.filter(pk=carrier.pk).exists():
        return True
    # The forward keeps the original's kind; a return note or rejection reason does not.
    return (
        carrier.state == MessageState.APPROVED
        and sealed.filter(derived_from=carrier, kind=carrier.kind).exists()
    )


def open_for_reading(*, actor: User, attachment_id: uuid.UUID) -> tuple[Attachment, IO[bytes]]:
    """A completed blob and an open file to stream it from.

    Who: the uploader, the case's current facilitators, and whoever the carrying message
    (or its forward) was sealed to, while they belong to the case. The other party gets 404
    until the facilitator forwards the message. Audits: nothing (a read).
    """
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        raise AccessDenied()
    access_case_as_member(actor, attachment.case_id)
    allowed = (
        attachment.uploader_id == actor.pk
        or is_current_facilitator(actor, attachment.case_id)
        or _carried_to(actor, attachment)
    )
    if not allowed or attachment.completed_at is None:
        raise AccessDenied()
    return attachment, open_blob(attachment.blob, attachment.received)


def erase_attachments(case: Case) -> int:
    """Delete every attachment of the case (the shredding eraser, inside its transaction):
    the rows now, the blobs once the shredding commits; how many."""
    # By the upload's own prefix, not its ``blob`` field: a first piece whose request failed
    # may have left an object while the field stayed empty.
    ids = Attachment.objects.filter(case=case).values_list("pk", flat=True)
    blobs = [blob_prefix(case.pk, pk) for pk in ids]
    erased, _ = Attachment.objects.filter(case=case).delete()

    def delete_blobs() -> None:
        for blob in blobs:
            delete_blob(blob)

    transaction.on_commit(delete_blobs)
    return erased


def orphan_uploads(now: datetime) -> QuerySet[Attachment]:
    """Uploads opened more than ``RELAY_ATTACHMENT_ORPHAN_HOURS`` before ``now`` that are
    still not complete, or are complete but carried by no message (none with their
    ``message_id``, in their case, sent by their uploader)."""
    cutoff = now - timedelta(hours=settings.RELAY_ATTACHMENT_ORPHAN_HOURS)
    carrier = Message.objects.filter(
        pk=OuterRef("message_id"), case_id=OuterRef("case_id"), sender_id=OuterRef("uploader_id")
    )
    return Attachment.objects.filter(created_at__lt=cutoff).filter(
        Q(completed_at__isnull=True) | ~Exists(carrier)
    )


@transaction.atomic
def _discard(attachment_id: uuid.UUID, case_id: uuid.UUID, now: datetime) -> bool:
    # The case is locked first, as sending a message locks it: a message that carries the
    # upload either committed before (and the upload is no orphan) or waits until after.
    case = lock_case(case_id)
    attachment = orphan_uploads(now).select_for_update().filter(pk=attachment_id).first()
    if attachment is None:
        return False
    blob = blob_prefix(case.pk, attachment_id)
    complete = attachment.completed_at is not None
    attachment.delete()
    record(
        AuditEventType.ATTACHMENT_DISCARDED,
        actor=None,
        case=case,
        attachment=str(attachment_id),
        message=str(attachment.message_id),
        size=attachment.size,
        received=attachment.received,
        complete=complete,
    )
    transaction.on_commit(lambda: delete_blob(blob))
    return True


def discard_orphan_uploads(*, now: datetime | None = None) -> int:
    """Delete every orphan upload (``orphan_uploads``): its record now and its blob once that
    commits, each in its own transaction, so one failure does not stop the rest; how many.

    Who: the worker's periodic job ``attachments.discard_orphans``. Audits:
    ATTACHMENT_DISCARDED for each, in its case's chain. Emits: nothing.
    """
    now = now or timezone.now()
    discarded = 0
    for attachment_id, case_id in orphan_uploads(now).values_list("pk", "case_id"):
        try:
            discarded += _discard(attachment_id, case_id, now)
        except Exception:
            logger.exception(
                "discarding an orphan upload failed", extra={"event": "attachment_discard_failed"}
            )
    if discarded:
        logger.info(
            "orphan uploads discarded", extra={"event": "attachments_discarded", "count": discarded}
        )
    return discarded
