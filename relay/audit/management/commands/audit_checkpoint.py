from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from relay.audit.chain import verify_log
from relay.audit.checkpoints import checkpoint_path, write_checkpoint
from relay.audit.keys import audit_keys
from relay.audit.models import AuditChainHead


class Command(BaseCommand):
    help = (
        "Verify the audit log, then append a signed checkpoint of its head to the checkpoint "
        "file. Refuses, writing nothing, if the log does not verify."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--public-key",
            action="store_true",
            help="Print the checkpoint verify key (hex) and write nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["public_key"]:
            self.stdout.write(audit_keys().verify_key.encode().hex())
            return
        report = verify_log()
        # A log without any checkpoint yet (just upgraded, or a lost file) gets its first one:
        # the chain and every MAC have been checked, only the end cannot be vouched for.
        if not report.ok and not report.no_checkpoints:
            where = f" at event #{report.first_broken_seq}" if report.first_broken_seq else ""
            raise CommandError(f"Audit log broken{where}: {report.problem}. No checkpoint written.")
        head = AuditChainHead.objects.filter(id=1).first()
        if head is None or head.seq == 0:
            self.stdout.write("Audit log is empty: nothing to checkpoint.")
            return
        if report.no_checkpoints:
            self.stderr.write(
                f"No checkpoint of the log's {head.seq} events was found: starting "
                f"{checkpoint_path()} from the current head."
            )
        write_checkpoint(seq=head.seq, hash=head.hash)
        self.stdout.write(f"Checkpoint written at event #{head.seq} to {checkpoint_path()}.")
