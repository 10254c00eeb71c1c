"""The retention run as a task for the worker (Django's tasks framework). The scheduling
app's periodic registry runs it daily (docs/operations.md, "Retention")."""

from __future__ import annotations

from django.tasks import task

from relay.metrics import JOBS_FAILED, JOBS_RUN
from relay.retention.actions import apply_retention


@task()
def apply_retention_task() -> dict[str, int]:
    """Shred what is due; returns the counts (kept with the task's result)."""
    try:
        run = apply_retention()
    except Exception:
        JOBS_FAILED.labels("retention").inc()
        raise
    JOBS_RUN.labels("retention").inc()
    return {"shredded": len(run.shredded), "held": run.held, "failed": run.failed}
