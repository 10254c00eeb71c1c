"""Case administration for a hub manager from the command line, through the same actions
as the API: every change is checked and audited.

    manage.py case create --manager alice --reference RJ-2026-0042
    manage.py case assign --manager alice --reference RJ-2026-0042 --facilitator sam
    manage.py case add-participant --manager alice --reference RJ-2026-0042 \
        --participant jo --side harmed
    manage.py case new-participant --manager alice --username jo --display-name Jo
    manage.py case show --reference RJ-2026-0042
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from relay.accounts import actions as account_actions
from relay.accounts.models import MANAGER_ROLES, Role, User
from relay.accounts.second_factor import at_console
from relay.cases import actions
from relay.cases.models import Case
from relay.cases.selectors import current_facilitators
from relay.errors import RelayError


def _user(username: str, role: str | None = None) -> User:
    user = User.objects.filter(username__iexact=username).first()
    if user is None or (role is not None and user.role != role):
        raise CommandError(f"No {role or 'user'} account named {username!r}.")
    return user


def _manager(username: str) -> User:
    """The command runs as a hub manager, at the console (``at_console``)."""
    user = _user(username)
    if user.role not in MANAGER_ROLES:
        raise CommandError(f"{username!r} is not a hub manager.")
    return at_console(user)


def _case(reference: str) -> Case:
    case = Case.objects.filter(reference=reference).first()
    if case is None:
        raise CommandError(f"No case with reference {reference!r}.")
    return case


class Command(BaseCommand):
    help = "Create cases, assign facilitators and add participants (audited actions)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="open a case from a referral")
        create.add_argument("--manager", required=True)
        create.add_argument("--reference", required=True)
        assign = sub.add_parser("assign", help="assign a facilitator")
        assign.add_argument("--manager", required=True)
        assign.add_argument("--reference", required=True)
        assign.add_argument("--facilitator", required=True)
        add = sub.add_parser("add-participant", help="add the person harmed or responsible")
        add.add_argument("--manager", required=True)
        add.add_argument("--reference", required=True)
        add.add_argument("--participant", required=True)
        add.add_argument("--side", required=True, choices=["harmed", "responsible"])
        person = sub.add_parser(
            "new-participant", help="create a participant account (they enrol with a code)"
        )
        person.add_argument("--manager", required=True)
        person.add_argument("--username", required=True)
        person.add_argument("--display-name", default="")
        show = sub.add_parser("show", help="state, facilitators and participations")
        show.add_argument("--reference", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        try:
            if verb == "create":
                case = actions.create_case(
                    actor=_manager(options["manager"]), reference=options["reference"]
                )
                self.stdout.write(f"Case {case.reference} created ({case.pk}).")
            elif verb == "assign":
                case = _case(options["reference"])
                actions.assign_facilitator(
                    actor=_manager(options["manager"]),
                    case_id=case.pk,
                    facilitator=_user(options["facilitator"], Role.FACILITATOR),
                )
                self.stdout.write(f"{options['facilitator']} now facilitates {case.reference}.")
            elif verb == "add-participant":
                case = _case(options["reference"])
                actions.add_participant(
                    actor=_manager(options["manager"]),
                    case_id=case.pk,
                    user=_user(options["participant"], Role.PARTICIPANT),
                    side=options["side"],
                )
                self.stdout.write(f"{options['participant']} added to {case.reference}.")
            elif verb == "new-participant":
                user = account_actions.create_account(
                    actor=_manager(options["manager"]),
                    username=options["username"],
                    role=Role.PARTICIPANT,
                    display_name=options["display_name"],
                )
                self.stdout.write(
                    f"Participant account {user.username} created. A facilitator of their case "
                    "gives them an enrolment code."
                )
            elif verb == "show":
                case = _case(options["reference"])
                self.stdout.write(f"Case {case.reference}: {case.get_state_display()}")
                for f in current_facilitators(case.pk):
                    self.stdout.write(f"  facilitator: {f.username}")
                for p in case.participations.select_related("user"):
                    self.stdout.write(
                        f"  {p.get_side_display()}: {p.user.username} ({p.get_state_display()})"
                    )
        except RelayError as exc:
            raise CommandError(exc.message) from None
