from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from relay.retention.actions import apply_retention
from relay.retention.selectors import due_for_shredding


class Command(BaseCommand):
    help = (
        "Crypto-shred every ended case whose retention period has passed and that no legal "
        "hold keeps (messages, wrapped keys, sealed notes, attachments); the audit log keeps "
        "its metadata. The worker runs this daily; --dry-run only counts."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dry_run"]:
            found = due_for_shredding(timezone.now())
            self.stdout.write(
                f"{len(found.due)} case(s) due for shredding; {len(found.held)} kept by a hold."
            )
            return
        run = apply_retention()
        self.stdout.write(
            f"Shredded {len(run.shredded)} case(s) "
            f"({sum(r.messages for r in run.shredded)} messages, "
            f"{sum(r.wrapped_keys for r in run.shredded)} wrapped keys); "
            f"{run.held} kept by a hold; {run.failed} failed."
        )
        if run.failed:
            raise SystemExit(1)
