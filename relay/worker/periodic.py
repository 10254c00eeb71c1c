"""THE place to register a periodic job: add one ``PeriodicJob`` to ``PERIODIC_JOBS``.

Each job names a task by its dotted path (a function decorated with ``django.tasks.task``,
taking no arguments) and how often it runs. ``manage.py worker`` enqueues each job through
the task backend when it is due (``relay.worker.scheduler``), at most once per period
however many workers run, and runs it like any other task. A job must be idempotent: it may
run again after a worker was killed mid-run (``requeue_stalled`` below puts it back), so it
keeps its own progress in the database — for example rows marked sent in the same
transaction as the work. Paths are strings, so this module imports no app.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: str
    every: datetime.timedelta


PERIODIC_JOBS: list[PeriodicJob] = [
    # Tasks left running by a worker that was killed go back to the queue.
    PeriodicJob(
        "worker.requeue_stalled", "relay.worker.tasks.requeue_stalled",
        datetime.timedelta(minutes=1),
    ),
    # Operations (docs/operations.md): content-free notifications, and crypto-shredding
    # what has passed its retention period.
    PeriodicJob(
        "notifications.send_due", "relay.notifications.tasks.send_notifications_task",
        datetime.timedelta(minutes=1),
    ),
    PeriodicJob(
        "retention.apply", "relay.retention.tasks.apply_retention_task",
        datetime.timedelta(hours=24),
    ),
    # Uploads never completed, or never carried by a message, are deleted (docs/attachments.md).
    PeriodicJob(
        "attachments.discard_orphans",
        "relay.attachments.tasks.discard_orphan_uploads_task",
        datetime.timedelta(hours=1),
    ),
    # Meeting reminders a day and an hour before (relay.scheduling.tasks).
    PeriodicJob(
        "scheduling.send_due_reminders", "relay.scheduling.tasks.send_due_reminders",
        datetime.timedelta(seconds=30),
    ),
]
