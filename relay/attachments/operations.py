"""The attachment operations: uploading a blob in pieces and downloading it (docs/api.md)."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from django.utils.translation import gettext
from pydantic import Field

from relay.attachments import actions
from relay.attachments.models import Attachment
from relay.errors import InvalidRequest
from relay.surface import Caller, Input, Operation, Route


class NewUpload(Input):
    case_id: uuid.UUID
    message_id: uuid.UUID
    size: int


class UploadRef(Input):
    attachment_id: uuid.UUID


class Piece(Input):
    attachment_id: uuid.UUID
    offset: int = Field(ge=0)
    data: str


def _wire(attachment: Attachment) -> dict[str, Any]:
    return {
        "attachment_id": str(attachment.pk),
        "case_id": str(attachment.case_id),
        "message_id": str(attachment.message_id),
        "size": attachment.size,
        "received": attachment.received,
        "complete": attachment.completed_at is not None,
    }


def start_upload(caller: Caller, data: NewUpload) -> dict[str, Any]:
    return _wire(
        actions.start_upload(
            actor=caller.user, case_id=data.case_id, message_id=data.message_id, size=data.size
        )
    )


def upload(caller: Caller, data: UploadRef) -> dict[str, Any]:
    """How much of the upload the server holds: a resumed upload sends from ``received``."""
    return _wire(actions.own_upload(caller.user, data.attachment_id))


def append_piece(caller: Caller, data: Piece) -> dict[str, Any]:
    try:
        raw = base64.b64decode(data.data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest(gettext("A piece's data must be base64.")) from None
    attachment = actions.append_piece(
        actor=caller.user, attachment_id=data.attachment_id, offset=data.offset, data=raw
    )
    return _wire(attachment)


def complete_upload(caller: Caller, data: UploadRef) -> dict[str, Any]:
    return _wire(actions.complete_upload(actor=caller.user, attachment_id=data.attachment_id))


def download(caller: Caller, data: UploadRef) -> dict[str, Any]:
    """The blob, streamed by the HTTP surface (``Route.download``)."""
    attachment, blob = actions.open_for_reading(actor=caller.user, attachment_id=data.attachment_id)
    return {"file": blob, "size": attachment.size}


_A = "attachments/<uuid:attachment_id>"

OPERATIONS: dict[str, Operation] = {
    "start_upload": Operation(start_upload, NewUpload, True, Route("POST", "attachments", 201)),
    "upload": Operation(upload, UploadRef, False, Route("GET", _A)),
    # A piece records no audit event of its own: the upload's start and completion do.
    "append_piece": Operation(append_piece, Piece, False, Route("POST", f"{_A}/pieces")),
    "complete_upload": Operation(
        complete_upload, UploadRef, True, Route("POST", f"{_A}/complete", body=False)
    ),
    "download": Operation(download, UploadRef, False, Route("GET", f"{_A}/blob", download=True)),
}
