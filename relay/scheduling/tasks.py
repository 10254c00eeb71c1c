"""Scheduling's background work, run by the worker (docs/worker.md).

``send_due_reminders`` is registered in ``relay/worker/periodic.py`` (every 30 seconds). It
is idempotent: each reminder is marked sent in the same transaction as the event it
appends, so a worker killed mid-run sends nothing twice and loses nothing (the next run
sends what the killed one did not commit)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from relay.delivery.events import MeetingEvent
from relay.delivery.streams import append_events
from relay.scheduling.models import MeetingState, Reminder

BATCH = 100


def deliver_reminder(reminder: Reminder) -> None:
    """THE path a reminder takes to its person: an in-app ``meeting`` event (``reminder``)
    now; email and text messages join here with notifications."""
    meeting = reminder.meeting
    append_events(
        [(MeetingEvent(str(meeting.pk), "reminder", reminder.starts_at.isoformat()),
          [reminder.user_id])],
        case=meeting.case,
    )


def send_due_reminders_now(now: datetime.datetime | None = None) -> int:
    """Send every reminder that is due and not sent; returns how many were sent. A
    reminder whose meeting has started (the worker was down) is marked sent unsent."""
    now = now or timezone.now()
    sent = 0
    while True:
        with transaction.atomic():
            due = list(
                # Only the reminder rows are locked (not their meeting's or case's), and a
                # row another worker holds is skipped, never waited for.
                Reminder.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("meeting", "meeting__case")
                .filter(sent_at__isnull=True, due_at__lte=now)
                .order_by("due_at", "pk")[:BATCH]
            )
            if not due:
                return sent
            for reminder in due:
                meeting = reminder.meeting
                current = (
                    meeting.state == MeetingState.CONFIRMED
                    and meeting.starts_at == reminder.starts_at
                    and now < reminder.starts_at
                )
                if current:
                    deliver_reminder(reminder)
                    sent += 1
                reminder.sent_at = now
                reminder.save(update_fields=["sent_at"])


@task
def send_due_reminders() -> int:
    return send_due_reminders_now()
