"""Orphan uploads (docs/attachments.md, "Orphan uploads"): an upload never completed, or
completed but carried by no message, is deleted with its blob once
RELAY_ATTACHMENT_ORPHAN_HOURS have passed since it was opened; one carried is kept."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.tasks import Task
from django.utils import timezone
from django.utils.module_loading import import_string

from relay.attachments import actions
from relay.attachments.models import Attachment
from relay.audit.models import AuditEvent, AuditEventType
from relay.worker.periodic import PERIODIC_JOBS
from tests.attachments.test_attachments import blob_objects, stored_blob
from tests.factories import make_case
from tests.moderation.helpers import submit


def uploaded(sc, message_id: uuid.UUID, data: bytes = b"0123456789", *, complete: bool = True):
    """An upload of ``data`` by the harmed participant for ``message_id``; with
    ``complete=False`` only its first half arrives."""
    actor = sc.harmed.user
    upload = actions.start_upload(
        actor=actor, case_id=sc.case.pk, message_id=message_id, size=len(data)
    )
    sent = data if complete else data[: len(data) // 2]
    actions.append_piece(actor=actor, attachment_id=upload.pk, offset=0, data=sent)
    if complete:
        actions.complete_upload(actor=actor, attachment_id=upload.pk)
    upload.refresh_from_db()
    return upload




def discarded_events():
    return AuditEvent.objects.filter(event_type=AuditEventType.ATTACHMENT_DISCARDED)


@pytest.mark.django_db
def test_orphans_are_deleted_once_their_time_has_passed_and_carried_files_are_kept(
    django_capture_on_commit_callbacks,
):
    sc = make_case()
    carried_message = submit(sc, sc.harmed)
    carried = uploaded(sc, carried_message.pk)
    never_sent = uploaded(sc, uuid.uuid4())
    half = uploaded(sc, uuid.uuid4(), complete=False)
    # Sent by someone else: that message does not carry the harmed participant's file.
    others = submit(sc, sc.responsible)
    not_theirs = uploaded(sc, others.pk)
    opened_at = timezone.now()

    # Within the period nothing goes.
    just_before = opened_at + timedelta(hours=settings.RELAY_ATTACHMENT_ORPHAN_HOURS - 0.1)
    assert actions.discard_orphan_uploads(now=just_before) == 0
    assert Attachment.objects.count() == 4 and not discarded_events().exists()

    later = opened_at + timedelta(hours=settings.RELAY_ATTACHMENT_ORPHAN_HOURS, minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.discard_orphan_uploads(now=later) == 3

    assert list(Attachment.objects.all()) == [carried]
    assert stored_blob(carried) == b"0123456789"
    for gone in (never_sent, half, not_theirs):
        assert blob_objects(gone) == []
    events = {e.data["attachment"]: e for e in discarded_events()}
    assert set(events) == {str(never_sent.pk), str(half.pk), str(not_theirs.pk)}
    assert events[str(half.pk)].data["complete"] is False
    assert events[str(half.pk)].data["received"] == 5
    assert events[str(never_sent.pk)].data["complete"] is True
    assert all(e.case_id == sc.case.pk and e.actor_id is None for e in events.values())
    # A second run finds nothing more to do.
    assert actions.discard_orphan_uploads(now=later) == 0
    assert discarded_events().count() == 3


@pytest.mark.django_db
def test_an_incomplete_upload_goes_even_if_its_message_was_sent(
    django_capture_on_commit_callbacks,
):
    sc = make_case()
    message = submit(sc, sc.harmed)
    half = uploaded(sc, message.pk, complete=False)
    later = timezone.now() + timedelta(hours=settings.RELAY_ATTACHMENT_ORPHAN_HOURS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.discard_orphan_uploads(now=later) == 1
    assert not Attachment.objects.exists() and blob_objects(half) == []


@pytest.mark.django_db
def test_the_period_is_a_setting(settings, django_capture_on_commit_callbacks):
    settings.RELAY_ATTACHMENT_ORPHAN_HOURS = 2
    sc = make_case()
    upload = uploaded(sc, uuid.uuid4())
    now = timezone.now()
    assert actions.discard_orphan_uploads(now=now + timedelta(hours=1, minutes=59)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.discard_orphan_uploads(now=now + timedelta(hours=2, minutes=1)) == 1
    assert blob_objects(upload) == []


def test_the_job_is_registered_hourly_as_a_task():
    (job,) = [j for j in PERIODIC_JOBS if j.name == "attachments.discard_orphans"]
    assert job.every == timedelta(hours=1)
    assert isinstance(import_string(job.task), Task)


@pytest.mark.django_db(transaction=True)
def test_one_worker_turn_discards_an_old_orphan():
    sc = make_case()
    old = uploaded(sc, uuid.uuid4())
    fresh = uploaded(sc, uuid.uuid4())
    # The clock moved on for the first upload only.
    Attachment.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(hours=settings.RELAY_ATTACHMENT_ORPHAN_HOURS + 1)
    )

    call_command("worker", "--once")

    assert list(Attachment.objects.all()) == [fresh]
    assert blob_objects(old) == [] and stored_blob(fresh) == b"0123456789"
    (event,) = discarded_events()
    assert event.data["attachment"] == str(old.pk)
