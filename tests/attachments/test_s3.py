"""Attachments in an S3-compatible bucket (docs/attachments.md, "Storage").

The bucket is moto's S3 server (``moto[server]``, a development dependency) listening on
127.0.0.1 over real HTTP: the same django-storages and boto3 calls production makes, against
an emulation of S3, not against Amazon S3 or MinIO themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from moto.server import ThreadedMotoServer

from relay.attachments import actions
from relay.attachments.models import Attachment
from relay.attachments.storage import blob_prefix, piece_name, write_piece
from relay.cases import actions as case_actions
from relay.retention import actions as retention_actions
from relay.settings import attachment_storage
from relay_client.client import PIECE_BYTES, RelayApiError
from tests.attachments.test_attachments import CONTENT, _b64, attach, downloaded, stored_blob
from tests.conftest import DaphneProcess, free_port
from tests.delivery.live import client_for
from tests.factories import make_case
from tests.moderation.helpers import http_call, http_client, submit

BUCKET = "relay-test-attachments"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[Any]:
    """A bucket on moto's S3 server, chosen by the same environment variables production
    reads, for this process (its settings) and any Daphne it starts (its environment)."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    env = {
        "RELAY_ATTACHMENT_STORAGE": "s3",
        "RELAY_ATTACHMENT_S3_BUCKET": BUCKET,
        "RELAY_ATTACHMENT_S3_ENDPOINT_URL": endpoint,
        "RELAY_ATTACHMENT_S3_REGION": "us-east-1",
        "RELAY_ATTACHMENT_S3_ACCESS_KEY_ID": "test-access-key",
        "RELAY_ATTACHMENT_S3_SECRET_ACCESS_KEY": "test-secret-key",
        "RELAY_ATTACHMENT_S3_ADDRESSING_STYLE": "path",
        "RELAY_ATTACHMENT_S3_PREFIX": "blobs",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="test-access-key", aws_secret_access_key="test-secret-key",
    )  # fmt: skip
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {**settings.STORAGES, "attachments": attachment_storage("s3", "")}
    try:
        yield client
    finally:
        # moto keeps its buckets in this process, across servers: leave nothing behind.
        for key in keys(client):
            client.delete_object(Bucket=BUCKET, Key=key)
        client.delete_bucket(Bucket=BUCKET)
        server.stop()


def keys(client: Any, prefix: str = "") -> list[str]:
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=f"blobs/{prefix}")
    return [o["Key"] for o in listed.get("Contents", [])]


def bucket_bytes(client: Any) -> bytes:
    return b"".join(client.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in keys(client))


@pytest.mark.live
def test_a_file_resumed_after_a_break_round_trips_through_the_bucket_and_is_shredded(
    transactional_db, s3
):
    server = DaphneProcess().start()  # inherits the bucket's environment variables
    try:
        sc = make_case()
        harmed, facilitator = client_for(server, sc.harmed), client_for(server, sc.facilitator)
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
        with pytest.raises(RelayApiError) as stale:
            harmed.post(f"{path}/pieces", {"offset": 0, "data": _b64(first)})
        assert stale.value.code == "wrong_offset"
        assert harmed.resume_upload(upload["attachment_id"], spool)["complete"]
        harmed.send(sc.id, "letter", "My letter.", message_id=message_id,
                    extra={"attachments": [entry]})  # fmt: skip

        prefix = f"{sc.id}/{upload['attachment_id']}"
        stored = keys(s3, prefix)
        # One object per piece, named by its offset; nothing at all on the file system path.
        assert len(stored) == -(-size // PIECE_BYTES)
        assert stored[0] == f"blobs/{piece_name(prefix, 0)}"
        assert b"CANARY" not in bucket_bytes(s3) and entry["key"].encode() not in bucket_bytes(s3)

        (message,) = facilitator.queue(sc.id)
        (seen,) = facilitator.open(message)["attachments"]
        assert downloaded(facilitator, seen) == CONTENT
    finally:
        server.stop()

    case_actions.close_case(
        actor=sc.facilitator.user, case_id=sc.case.pk, reason="withdrew",
        withdrawn_side="responsible",
    )  # fmt: skip
    sc.case.refresh_from_db()
    # Outside a test transaction: the blobs go when the shredding really commits.
    report = retention_actions.shred_case(
        case_id=sc.case.pk, now=sc.case.ended_at + timedelta(days=366)
    )
    assert report.erased == {"attachments": 1}
    assert keys(s3, f"{sc.id}/") == []


@pytest.mark.django_db
def test_a_piece_left_by_a_failed_request_is_replaced_and_bad_pieces_change_nothing(s3):
    sc = make_case()
    client = http_client(sc.harmed)
    upload = actions.start_upload(
        actor=sc.harmed.user, case_id=sc.case.pk, message_id=uuid.uuid4(), size=10
    )
    path = f"/api/attachments/{upload.pk}/pieces"
    assert http_call(client, "POST", path, {"offset": 0, "data": _b64(b"01234")})[0] == 200
    prefix = blob_prefix(sc.case.pk, upload.pk)
    # A request that stored its piece but failed before recording it leaves an object at
    # the received offset; it is not part of the blob, and the next piece replaces it.
    write_piece(prefix, 5, b"XXXXXXXXXXXX")
    for offset, data in [(0, _b64(b"01234")), (5, _b64(b"567890")), (5, "not base64!")]:
        status, body = http_call(client, "POST", path, {"offset": offset, "data": data})
        assert status in (400, 409), body
        upload.refresh_from_db()
        assert upload.received == 5
    assert http_call(client, "POST", path, {"offset": 5, "data": _b64(b"56789")})[0] == 200
    actions.complete_upload(actor=sc.harmed.user, attachment_id=upload.pk)
    upload.refresh_from_db()
    assert stored_blob(upload) == b"0123456789"
    assert keys(s3, prefix) == [f"blobs/{piece_name(prefix, 0)}", f"blobs/{piece_name(prefix, 5)}"]


@pytest.mark.django_db
def test_an_orphan_upload_leaves_the_bucket(s3, django_capture_on_commit_callbacks):
    sc = make_case()
    carried_by = submit(sc, sc.harmed)
    kept = actions.start_upload(
        actor=sc.harmed.user, case_id=sc.case.pk, message_id=carried_by.pk, size=3
    )
    orphan = actions.start_upload(
        actor=sc.harmed.user, case_id=sc.case.pk, message_id=uuid.uuid4(), size=3
    )
    for upload in (kept, orphan):
        actions.append_piece(actor=sc.harmed.user, attachment_id=upload.pk, offset=0, data=b"abc")
        actions.complete_upload(actor=sc.harmed.user, attachment_id=upload.pk)
    later = timezone.now() + timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.discard_orphan_uploads(now=later) == 1
    assert list(Attachment.objects.all()) == [kept]
    assert keys(s3, blob_prefix(sc.case.pk, orphan.pk)) == []
    assert len(keys(s3, blob_prefix(sc.case.pk, kept.pk))) == 1


def test_the_storage_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert attachment_storage("filesystem", "/srv/blobs")["OPTIONS"] == {
        "location": "/srv/blobs", "allow_overwrite": True,
    }  # fmt: skip
    with pytest.raises(ImproperlyConfigured, match="'filesystem' or 's3'"):
        attachment_storage("ftp", "/srv/blobs")
    monkeypatch.delenv("RELAY_ATTACHMENT_S3_BUCKET", raising=False)
    with pytest.raises(ImproperlyConfigured, match="RELAY_ATTACHMENT_S3_BUCKET"):
        attachment_storage("s3", "")
    monkeypatch.setenv("RELAY_ATTACHMENT_S3_BUCKET", "files")
    monkeypatch.setenv("RELAY_ATTACHMENT_S3_ENDPOINT_URL", "https://s3.example.org")
    for name in ("REGION", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "ADDRESSING_STYLE", "PREFIX"):
        monkeypatch.delenv(f"RELAY_ATTACHMENT_S3_{name}", raising=False)
    chosen = attachment_storage("s3", "")
    assert chosen["BACKEND"] == "storages.backends.s3.S3Storage"
    assert chosen["OPTIONS"] == {
        "bucket_name": "files", "file_overwrite": True, "default_acl": None, "location": "",
        "endpoint_url": "https://s3.example.org",
    }  # fmt: skip
