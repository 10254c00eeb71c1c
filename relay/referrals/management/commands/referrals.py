"""List the referrals the hub holds, with what the server can know of them: reference,
source, side, when received, state and decision. The content is sealed to the intake key
and cannot be read here; hub managers open it on /intake or with the Python client
(``RelayClient.referrals``).

    python manage.py referrals [--state waiting|accepted|declined]
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from relay.referrals.models import Referral, ReferralState


class Command(BaseCommand):
    help = "List the referrals (sealed content is not shown: the server cannot open it)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--state", choices=ReferralState.values)

    def handle(self, *args: Any, **options: Any) -> None:
        rows = Referral.objects.select_related("case").order_by("received_at")
        if options.get("state"):
            rows = rows.filter(state=options["state"])
        for referral in rows:
            decision = ""
            if referral.case is not None:
                decision = f" case {referral.case.reference}"
            elif referral.decline_reason:
                decision = f" ({referral.decline_reason})"
            self.stdout.write(
                f"{referral.reference}  {referral.received_at:%Y-%m-%d %H:%M}  "
                f"{referral.source:<18} {referral.side:<11} {referral.state}{decision}"
            )
        if not rows.exists():
            self.stdout.write("No referrals.")
