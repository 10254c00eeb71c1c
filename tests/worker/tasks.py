"""Tasks the worker tests enqueue: each leaves a row behind to show it ran."""

from __future__ import annotations

import time

from django.tasks import TaskContext, task
from django.utils import timezone

from relay.worker.models import PeriodicJobState


@task
def leave_mark(name: str) -> str:
    PeriodicJobState.objects.update_or_create(name=name, defaults={"next_run_at": timezone.now()})
    return name


@task(takes_context=True)
def slow_mark(context: TaskContext, name: str, seconds: float) -> str:
    """Slow on its first attempt only (the one a test kills), quick when run again."""
    if context.attempt == 1:
        time.sleep(seconds)
    return leave_mark.call(name)
