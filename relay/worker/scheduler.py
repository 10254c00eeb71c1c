"""Enqueue the periodic jobs that are due (``relay.worker.periodic``)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.tasks import Task
from django.utils import timezone
from django.utils.module_loading import import_string

from relay.worker.models import PeriodicJobState
from relay.worker.periodic import PERIODIC_JOBS, PeriodicJob


def job_task(job: PeriodicJob) -> Task:  # type: ignore[type-arg]
    found = import_string(job.task)
    if not isinstance(found, Task):
        raise TypeError(f"{job.task} is not a task (decorate it with django.tasks.task).")
    return found


def enqueue_due(
    now: datetime.datetime | None = None, jobs: list[PeriodicJob] | None = None
) -> list[str]:
    """Enqueue each job whose time has come and move its next run one period on; returns
    the names enqueued. A job seen for the first time is due at once. The move is a
    conditional update in the same transaction as the enqueue, so of two workers racing
    for one run exactly one enqueues it, and a crash between the two leaves neither."""
    now = now or timezone.now()
    enqueued: list[str] = []
    for job in PERIODIC_JOBS if jobs is None else jobs:
        task = job_task(job)
        PeriodicJobState.objects.get_or_create(name=job.name, defaults={"next_run_at": now})
        with transaction.atomic():
            moved = PeriodicJobState.objects.filter(
                name=job.name, next_run_at__lte=now
            ).update(next_run_at=now + job.every, last_enqueued_at=now)
            if moved:
                task.enqueue()
                enqueued.append(job.name)
    return enqueued
