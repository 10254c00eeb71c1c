"""Notifications and retention run as periodic jobs on the real worker (manage.py worker)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.tasks import Task
from django.utils import timezone
from django.utils.module_loading import import_string

from relay.audit.models import AuditEvent, AuditEventType
from relay.cases import actions as case_actions
from relay.moderation.models import Message
from relay.notifications import actions as notification_actions
from relay.worker.periodic import PERIODIC_JOBS
from tests.factories import make_case
from tests.notifications.test_notifications import send

pytestmark = pytest.mark.django_db(transaction=True)
OURS = {"notifications.send_due": 60, "retention.apply": 24 * 3600}


def test_the_jobs_are_registered_as_tasks() -> None:
    jobs = {job.name: job for job in PERIODIC_JOBS}
    for name, seconds in OURS.items():
        assert jobs[name].every == timedelta(seconds=seconds)
        assert isinstance(import_string(jobs[name].task), Task)


def test_one_worker_turn_notifies_and_shreds(settings) -> None:
    settings.RELAY_NOTIFICATION_BATCH_SECONDS = 0
    talking = make_case()
    notification_actions.set_notifications(
        actor=talking.facilitator.user, channels=["email"], email="f@example.org"
    )
    send(talking, "hello")
    ended = make_case()
    send(ended, "soon gone")
    case_actions.close_case(
        actor=ended.facilitator.user,
        case_id=ended.case.pk,
        reason="withdrew",
        withdrawn_side="harmed",
    )
    ended.case.ended_at = timezone.now() - timedelta(days=366)  # the clock moved on
    ended.case.save(update_fields=["ended_at"])

    call_command("worker", "--once")

    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["f@example.org"]
    assert not Message.objects.filter(case=ended.case).exists()
    assert Message.objects.filter(case=talking.case).exists()
    assert AuditEvent.objects.filter(event_type=AuditEventType.RETENTION_RUN).count() == 1


def test_the_worker_starts_with_its_metrics_listener() -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT, database_url_for_subprocess, free_port

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "relay.settings.test",
        "DATABASE_URL": database_url_for_subprocess(),
        "RELAY_METRICS_PORT": str(free_port()),
    }
    result = subprocess.run(
        [sys.executable, "-m", "relay.monitoring.worker", "--once"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "metrics listener started" in result.stderr
