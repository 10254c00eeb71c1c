"""``manage.py meetings [--case REFERENCE] [--upcoming]``: list meetings for operators:
ids, case reference, kind, medium, state, start (UTC) and invitee count. Never details:
they are sealed and the server cannot read them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from relay.cases.models import Case
from relay.scheduling.models import Meeting, MeetingState


class Command(BaseCommand):
    help = "List meetings (no details: those are sealed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--case", help="Only this case (its reference).")
        parser.add_argument(
            "--upcoming", action="store_true", help="Only confirmed meetings still to come."
        )

    def handle(self, *args: Any, case: str | None, upcoming: bool, **options: Any) -> None:
        meetings = Meeting.objects.select_related("case").order_by("starts_at", "created_at")
        if case:
            found = Case.objects.filter(reference=case).first()
            if found is None:
                raise CommandError(f"No case has the reference {case!r}.")
            meetings = meetings.filter(case=found)
        if upcoming:
            meetings = meetings.filter(state=MeetingState.CONFIRMED, starts_at__gte=timezone.now())
        for m in meetings:
            start = m.starts_at.isoformat() if m.starts_at else "-"
            self.stdout.write(
                f"{m.pk}  {m.case.reference}  {m.kind}  {m.medium}  {m.state}  {start}  "
                f"{m.duration_minutes}min  {m.invitees.count()} invited"
            )
