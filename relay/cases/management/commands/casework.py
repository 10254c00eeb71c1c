"""Case work for a facilitator at the server's console, through the same actions as the
API: every change is checked and audited. Words (notes, safety plans, notices) are content
and must be sealed in a client, so this command records only the clear facts; use the
Python client (``relay_client``) or the browser for anything in words.

    manage.py casework assess --facilitator sam --reference RJ-2026-0042
    manage.py casework record --facilitator sam --reference RJ-2026-0042 \
        --kind suitability --fact reported_to_police=true --fact identifiable_parties=true \
        --fact responsibility_admitted=true --fact both_willing=true
    manage.py casework record ... --kind risk_assessment --fact level=low
    manage.py casework record ... --kind approach --fact response=accepted
    manage.py casework consent --facilitator sam --reference RJ-2026-0042 --side harmed \
        --mode messages --how phone [--withdraw]
    manage.py casework prepare --facilitator sam --reference RJ-2026-0042
    manage.py casework start --facilitator sam --reference RJ-2026-0042
    manage.py casework approve-supporter --facilitator sam --supporter <id> --username pat
    manage.py casework end-supporter --facilitator sam --supporter <id>
    manage.py casework timeline --facilitator sam --reference RJ-2026-0042
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from relay.accounts.models import Role, User
from relay.accounts.second_factor import at_console
from relay.cases import actions, assessment, supporters
from relay.cases.models import Case
from relay.cases.selectors import case_timeline
from relay.errors import RelayError


def _facilitator(username: str) -> User:
    user = User.objects.filter(username__iexact=username, role=Role.FACILITATOR).first()
    if user is None:
        raise CommandError(f"No facilitator account named {username!r}.")
    return at_console(user)


def _case(reference: str) -> Case:
    case = Case.objects.filter(reference=reference).first()
    if case is None:
        raise CommandError(f"No case with reference {reference!r}.")
    return case


def _facts(pairs: list[str]) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise CommandError(f"Give each fact as name=value, not {pair!r}.")
        facts[name] = {"true": True, "false": False}.get(value.lower(), value)
    return facts


class Command(BaseCommand):
    help = "Assessment, consent, preparation and supporters for a facilitator (audited)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        for verb in ("assess", "prepare", "start", "timeline", "record", "consent"):
            p = sub.add_parser(verb)
            p.add_argument("--facilitator", required=True)
            p.add_argument("--reference", required=True)
            if verb == "record":
                p.add_argument("--kind", required=True)
                p.add_argument("--fact", action="append", default=[])
            if verb == "consent":
                p.add_argument("--side", required=True)
                p.add_argument("--mode", action="append", required=True)
                p.add_argument("--how", required=True)
                p.add_argument("--withdraw", action="store_true")
        for verb in ("approve-supporter", "end-supporter"):
            p = sub.add_parser(verb)
            p.add_argument("--facilitator", required=True)
            p.add_argument("--supporter", required=True)
            if verb == "approve-supporter":
                p.add_argument("--username", required=True)
                p.add_argument("--display-name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        actor = _facilitator(options["facilitator"])
        try:
            if verb == "approve-supporter":
                code, invitation = supporters.approve_supporter(
                    actor=actor, supporter_id=options["supporter"],
                    username=options["username"], display_name=options["display_name"],
                )
                self.stdout.write(
                    f"Supporter approved. Enrolment code (give it to them in person or by "
                    f"phone): {code} (valid until {invitation.expires_at:%Y-%m-%d})."
                )
                return
            if verb == "end-supporter":
                supporters.end_supporter(actor=actor, supporter_id=options["supporter"])
                self.stdout.write("Supporter ended.")
                return
            case = _case(options["reference"])
            if verb == "assess":
                actions.begin_assessment(actor=actor, case_id=case.pk)
            elif verb == "prepare":
                assessment.begin_preparation(actor=actor, case_id=case.pk)
            elif verb == "start":
                actions.start_communication(actor=actor, case_id=case.pk)
            elif verb == "record":
                row = assessment.add_case_record(
                    actor=actor, case_id=case.pk, kind=options["kind"],
                    facts=_facts(options["fact"]),
                )
                self.stdout.write(f"Recorded {row.kind} ({row.pk}).")
                return
            elif verb == "consent":
                change = actions.withdraw_consent if options["withdraw"] else actions.give_consent
                change(
                    actor=actor, case_id=case.pk, modes=options["mode"], side=options["side"],
                    how=options["how"],
                )
            elif verb == "timeline":
                for entry in case_timeline(actor, case.pk)["entries"]:
                    self.stdout.write(f"{entry['at']}  {entry['what']}  {entry['details']}")
                return
            case.refresh_from_db()
            self.stdout.write(f"Case {case.reference}: {case.get_state_display()}.")
        except RelayError as exc:
            raise CommandError(exc.message) from exc
