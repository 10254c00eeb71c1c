from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from relay.audit.chain import verify_log


class Command(BaseCommand):
    help = (
        "Verify the audit log: every link's MAC, every hash chain (one per case, one for "
        "account events, the legacy chain) and its head, and the signed checkpoints and "
        "anchors outside the database; exits non-zero naming the first problem."
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
        if latest is None:
            anchored = ""
        elif latest.seq is None:
            anchored = f"; latest signed anchor on line {latest.line} ({latest.at})"
        else:
            anchored = f"; latest signed checkpoint at event #{latest.seq} ({latest.at})"
        self.stdout.write(
            f"Audit log intact: {report.events_checked} events verified in "
            f"{report.chains_checked} chains{anchored}."
        )
