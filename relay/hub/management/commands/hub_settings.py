"""Show or set the hub's settings (docs/intake.md, "Hub settings").

    python manage.py hub_settings                       # print them as JSON
    python manage.py hub_settings --name "…" --phone "…" --email "…" --postal-address "…" \\
        --opening-hours "…" --about "…" --signposting services.json

``--signposting`` reads a JSON list of ``{"key", "name", "helps_with", "phone",
"website"}`` in the order the pages show them. Audited like the admin's API call.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from relay.errors import RelayError
from relay.hub.actions import update_hub_settings
from relay.hub.selectors import hub_wire

FIELDS = ("name", "phone", "email", "postal_address", "opening_hours", "about")


class Command(BaseCommand):
    help = "Show the hub's settings, or set the ones given."

    def add_arguments(self, parser: Any) -> None:
        for field in FIELDS:
            parser.add_argument("--" + field.replace("_", "-"), dest=field)
        parser.add_argument(
            "--signposting", metavar="FILE", help="a JSON file listing the services"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        changes: dict[str, Any] = {f: options[f] for f in FIELDS if options.get(f) is not None}
        if options.get("signposting"):
            try:
                changes["signposting"] = json.loads(Path(options["signposting"]).read_text())
            except (OSError, ValueError) as exc:
                raise CommandError(f"Cannot read the signposting file: {exc}") from None
        if changes:
            try:
                update_hub_settings(actor=None, changes=changes)
            except RelayError as exc:
                raise CommandError(exc.message) from None
        self.stdout.write(json.dumps(hub_wire(), indent=2, ensure_ascii=False))
