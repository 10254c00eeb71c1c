"""Deleting orphan uploads as a task for the worker (Django's tasks framework). The worker's
periodic registry runs it every hour (docs/worker.md; docs/attachments.md, "Orphan uploads")."""

from __future__ import annotations

from django.tasks import task

from relay.attachments.actions import discard_orphan_uploads
from relay.metrics import JOBS_FAILED, JOBS_RUN


@task()
def discard_orphan_uploads_task() -> dict[str, int]:
    """Delete the uploads never completed or never carried; how many (kept with the result)."""
    try:
        discarded = discard_orphan_uploads()
    except Exception:
        JOBS_FAILED.labels("attachment_orphans").inc()
        raise
    JOBS_RUN.labels("attachment_orphans").inc()
    return {"discarded": discarded}
