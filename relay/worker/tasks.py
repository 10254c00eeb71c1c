"""The worker's own tasks."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult


def stalled_after() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.RELAY_WORKER_STALLED_SECONDS)


@task
def requeue_stalled() -> int:
    """Put back in the queue every task that has been running longer than
    ``RELAY_WORKER_STALLED_SECONDS``: its worker was killed (SIGKILL, a lost machine) before
    it could record the result. Tasks are idempotent, so running one again is safe. Returns
    how many were put back."""
    return requeue_stalled_now()


def requeue_stalled_now(now: datetime.datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - stalled_after()
    with transaction.atomic():
        return DBTaskResult.objects.filter(
            status=TaskResultStatus.RUNNING, started_at__lt=cutoff
        ).update(status=TaskResultStatus.READY, started_at=None)
