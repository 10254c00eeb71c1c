from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from relay.notifications.actions import send_due_notifications


class Command(BaseCommand):
    help = (
        "Send each opted-in person one content-free notification for their batch of new "
        "updates, outside their quiet hours. The worker runs this every minute."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        run = send_due_notifications()
        self.stdout.write(
            f"Sent {run.sent}; {run.waiting} batch(es) still gathering; {run.quiet} in quiet "
            f"hours; {run.failed} failed."
        )
