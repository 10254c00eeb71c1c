"""When each periodic job is next due. One row per job in ``relay.worker.periodic``."""

from __future__ import annotations

from django.db import models


class PeriodicJobState(models.Model):
    """The next time a periodic job is due. A worker enqueues the job only by moving
    ``next_run_at`` forward with a conditional update, so two workers never enqueue the same
    run twice (``relay.worker.scheduler.enqueue_due``)."""

    name = models.CharField(max_length=100, primary_key=True)
    next_run_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"periodic job {self.name}"
