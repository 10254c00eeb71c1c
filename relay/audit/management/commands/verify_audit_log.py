from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from relay.audit.chain import verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exits non-zero at the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"Audit log broken at event #{report.first_broken_seq}: {report.problem} "
                f"({report.events_checked} events verified before it)."
            )
        self.stdout.write(f"Audit log intact: {report.events_checked} events verified.")
