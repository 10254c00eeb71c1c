"""``manage.py send_reminders``: send the meeting reminders that are due now, once (the
worker does this every 30 seconds; this runs the same idempotent code by hand)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from relay.scheduling.tasks import send_due_reminders_now


class Command(BaseCommand):
    help = "Send the meeting reminders that are due now."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_due_reminders_now()
        self.stdout.write(f"{sent} reminder{'s' if sent != 1 else ''} sent.")
