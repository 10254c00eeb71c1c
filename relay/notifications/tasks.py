"""Sending due notifications as a task for the worker (Django's tasks framework); the
scheduling app's periodic registry runs it every minute (docs/operations.md)."""

from __future__ import annotations

from django.tasks import task

from relay.metrics import JOBS_FAILED, JOBS_RUN
from relay.notifications.actions import send_due_notifications


@task()
def send_notifications_task() -> dict[str, int]:
    try:
        run = send_due_notifications()
    except Exception:
        JOBS_FAILED.labels("notifications").inc()
        raise
    JOBS_RUN.labels("notifications").inc()
    return {"sent": run.sent, "failed": run.failed, "quiet": run.quiet, "waiting": run.waiting}
