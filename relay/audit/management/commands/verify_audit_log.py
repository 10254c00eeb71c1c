from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from relay.audit.chain import verify_log


class Command(BaseCommand):
    help = (
        "Verify the audit log: every link's MAC, the hash chain, the head, and the signed "
        "checkpoints outside the database; exits non-zero naming the first problem."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_log()
        if not report.ok:
            if report.first_broken_seq is not None:
                raise CommandError(
                    f"Audit log broken at event #{report.first_broken_seq}: {report.problem} "
                    f"({report.events_checked} events verified before it)."
                )
            raise CommandError(f"Audit log not verified: {report.problem}.")
        latest = report.latest_checkpoint
        anchored = (
            f"; latest signed checkpoint at event #{latest.seq} ({latest.at})" if latest else ""
        )
        self.stdout.write(f"Audit log intact: {report.events_checked} events verified{anchored}.")
