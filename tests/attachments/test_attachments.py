"""Attachments (docs/attachments.md): a file encrypted on the device, uploaded in pieces,
read by the facilitators and by the other party only once its message is forwarded."""

from __future__ import annotations

import base64
import io
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from relay.attachments import actions
from relay.attachments.models import Attachment
from relay.attachments.storage import blob_prefix, blob_storage, open_blob
from relay.audit.models import AuditEvent
from relay.cases import actions as case_actions
from relay.retention import actions as retention_actions
from relay_client.client import PIECE_BYTES, RelayApiError, RelayClient
from tests.delivery.live import client_for
from tests.factories import make_case
from tests.moderation.helpers import http_call, http_client, submit

# A file of several pieces and several encryption chunks, with a canary in its content.
CONTENT = (b"CANARY-attachment-content " * 16000)[:350_000]


def stored_bytes() -> bytes:
    root = Path(settings.RELAY_ATTACHMENT_DIR)
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


def blob_objects(upload: Attachment) -> list[str]:
    """The names of every object stored under the upload's prefix."""
    try:
        return blob_storage().listdir(blob_prefix(upload.case_id, upload.pk))[1]
    except FileNotFoundError:
        return []


def stored_blob(upload: Attachment) -> bytes:
    with open_blob(blob_prefix(upload.case_id, upload.pk), upload.received) as blob:
        return blob.read()


def attach(client: RelayClient) -> tuple[dict[str, Any], Any]:
    spool = tempfile.TemporaryFile()
    entry = client.encrypt_file(
        io.BytesIO(CONTENT), len(CONTENT), spool, name="letter.txt", media_type="text/plain"
    )
    return entry, spool


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def downloaded(client: RelayClient, entry: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    client.download_file(entry, out)
    return out.getvalue()


@pytest.mark.live
def test_a_file_resumed_after_a_break_reaches_the_other_party_only_after_forward(daphne):
    sc = make_case()
    harmed, responsible = client_for(daphne, sc.harmed), client_for(daphne, sc.responsible)
    facilitator = client_for(daphne, sc.facilitator)
    message_id = str(uuid.uuid4())
    entry, spool = attach(harmed)
    size = spool.seek(0, 2)
    upload = harmed.post(
        "/api/attachments", {"case_id": sc.id, "message_id": message_id, "size": size}
    )
    entry["attachment_id"] = upload["attachment_id"]
    path = f"/api/attachments/{upload['attachment_id']}"
    spool.seek(0)
    first = spool.read(PIECE_BYTES)
    harmed.post(f"{path}/pieces", {"offset": 0, "data": _b64(first)})
    # The connection dropped here; a piece sent again at an old offset changes nothing,
    # and the upload cannot be completed short.
    with pytest.raises(RelayApiError) as stale:
        harmed.post(f"{path}/pieces", {"offset": 0, "data": _b64(first)})
    assert (stale.value.status, stale.value.code) == (409, "wrong_offset")
    with pytest.raises(RelayApiError) as early:
        harmed.post(f"{path}/complete")
    assert early.value.status == 409
    assert harmed.get(path)["received"] == len(first)
    done = harmed.resume_upload(upload["attachment_id"], spool)
    assert done["complete"] and done["received"] == size

    harmed.send(sc.id, "letter", "My letter.", message_id=message_id,
                extra={"attachments": [entry]})  # fmt: skip
    # Only the padded ciphertext is stored: no canary, and the server never saw the key.
    assert b"CANARY" not in stored_bytes() and entry["key"].encode() not in stored_bytes()

    with pytest.raises(RelayApiError) as refused:
        downloaded(responsible, entry)
    assert refused.value.status == 404

    (message,) = facilitator.queue(sc.id)
    (seen,) = facilitator.open(message)["attachments"]
    assert downloaded(facilitator, seen) == CONTENT
    forwarded = facilitator.forward(message)

    reading = responsible.get(f"/api/messages/{forwarded['forwarded_id']}")
    (received,) = responsible.open(reading)["attachments"]
    assert received["name"] == "letter.txt" and received["size"] == len(CONTENT)
    assert downloaded(responsible, received) == CONTENT
    assert downloaded(harmed, entry) == CONTENT


@pytest.mark.django_db
@override_settings(RELAY_ATTACHMENT_MAX_BYTES=1000, RELAY_ATTACHMENTS_MAX_CASE_BYTES=1500)
def test_limits_refuse_and_store_nothing():
    sc = make_case()
    client = http_client(sc.harmed)

    def start(size: Any) -> tuple[int, Any]:
        body = {"case_id": sc.id, "message_id": str(uuid.uuid4()), "size": size}
        return http_call(client, "POST", "/api/attachments", body)

    assert start(800)[0] == 201
    before = (Attachment.objects.count(), AuditEvent.objects.count(), stored_bytes())
    for size, status, code in [
        (1001, 413, "file_too_large"),
        (800, 413, "case_storage_full"),
        (0, 400, "invalid"),
        ("many", 400, "invalid"),
    ]:
        answer, body = start(size)
        assert (answer, body["error"]["code"]) == (status, code), body
        assert (Attachment.objects.count(), AuditEvent.objects.count(), stored_bytes()) == before
    assert start(700)[0] == 201
    # Once a participant has withdrawn they add no file either.
    case_actions.withdraw(actor=sc.harmed.user, case_id=sc.case.pk)
    before = (Attachment.objects.count(), AuditEvent.objects.count(), stored_bytes())
    answer, body = start(10)
    assert (answer, body["error"]["code"]) == (409, "conflict"), body
    assert (Attachment.objects.count(), AuditEvent.objects.count(), stored_bytes()) == before


@pytest.mark.django_db
def test_bad_pieces_change_nothing_and_shredding_deletes_the_blobs(
    django_capture_on_commit_callbacks,
):
    sc = make_case()
    client = http_client(sc.harmed)
    pending = submit(sc, sc.harmed)
    upload = actions.start_upload(
        actor=sc.harmed.user, case_id=sc.case.pk, message_id=pending.pk, size=10
    )
    path = f"/api/attachments/{upload.pk}/pieces"
    for offset, data in [(0, "not base64!"), (0, _b64(b"x" * 11)), (3, _b64(b"abc")), (0, "")]:
        status, body = http_call(client, "POST", path, {"offset": offset, "data": data})
        assert status in (400, 409), body
        upload.refresh_from_db()
        assert upload.received == 0 and upload.blob == ""
    assert http_call(client, "POST", path, {"offset": 0, "data": _b64(b"0123456789")})[0] == 200
    actions.complete_upload(actor=sc.harmed.user, attachment_id=upload.pk)
    upload.refresh_from_db()
    assert stored_blob(upload) == b"0123456789"

    case_actions.close_case(
        actor=sc.facilitator.user, case_id=sc.case.pk, reason="withdrew",
        withdrawn_side="responsible",
    )  # fmt: skip
    sc.case.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        report = retention_actions.shred_case(
            case_id=sc.case.pk, now=sc.case.ended_at + timedelta(days=366)
        )
    assert report.erased == {"attachments": 1}
    assert not Attachment.objects.filter(case=sc.case).exists()
    assert blob_objects(upload) == []
