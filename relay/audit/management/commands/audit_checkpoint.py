from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Max

from relay.audit.chain import verify_log
from relay.audit.checkpoints import checkpoint_path, read_checkpoints, write_anchor
from relay.audit.keys import audit_keys
from relay.audit.models import AuditChain, AuditEvent


class Command(BaseCommand):
    help = (
        "Verify the audit log, then anchor the head of every chain that moved since the last "
        "anchor in the checkpoint file (signed lines). Refuses, writing nothing, if the log "
        "does not verify. Run it periodically: a chain deleted whole is caught from its "
        "anchored head even if its own checkpoint lines were lost."
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
        # The heads are read before the walk, so every head anchored was verified.
        heads = [(h.chain, h.seq, h.hash) for h in AuditChain.objects.filter(seq__gt=0)]
        report = verify_log()
        # A log without any checkpoint yet (just upgraded, or a lost file) gets its first
        # anchor: the chains and every MAC have been checked, only the ends cannot be
        # vouched for.
        if not report.ok and not report.no_checkpoints:
            where = f" at event #{report.first_broken_seq}" if report.first_broken_seq else ""
            raise CommandError(f"Audit log broken{where}: {report.problem}. No checkpoint written.")
        if not heads:
            self.stdout.write("Audit log is empty: nothing to checkpoint.")
            return
        anchored: dict[str, int] = {}
        for checkpoint in read_checkpoints() or []:
            if checkpoint.anchor:
                anchored[checkpoint.chain] = max(
                    anchored.get(checkpoint.chain, 0), checkpoint.chain_seq
                )
        moved = [head for head in heads if anchored.get(head[0], 0) < head[1]]
        if report.no_checkpoints:
            self.stderr.write(
                f"No checkpoint of the log's {report.events_checked} events was found: "
                f"starting {checkpoint_path()} from the current heads."
            )
        write_anchor(moved)
        top = AuditEvent.objects.aggregate(top=Max("seq"))["top"]
        self.stdout.write(
            f"Checkpoint written at event #{top}: {len(moved)} of {len(heads)} chain heads "
            f"anchored (the others had not moved) in {checkpoint_path()}."
        )
