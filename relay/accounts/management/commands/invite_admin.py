"""Create the first administrator account and print its single-use enrolment code."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from relay.accounts import actions
from relay.accounts.models import Role
from relay.errors import RelayError


class Command(BaseCommand):
    help = "Create an administrator account and print the code they enrol with."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--display-name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            code, invitation = actions.invite_staff(
                actor=None,
                username=options["username"],
                role=Role.ADMIN,
                display_name=options["display_name"],
            )
        except RelayError as exc:
            raise CommandError(exc.message) from None
        expires = f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC"
        self.stdout.write(f"Enrolment code: {code}\nIt works once and expires {expires}.")
