"""The statistics operations: the figures for a period, and the survey's sealed comments
for the hub managers to open (docs/api.md, "Statistics")."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from pydantic import Field

from relay.outcomes.models import SurveyResponse
from relay.statistics.access import access_statistics, access_survey_comments
from relay.statistics.export import statistics_wire
from relay.statistics.figures import Period, compute
from relay.surface import Caller, Input, Operation, Route


class PeriodIn(Input):
    # "from" is a Python keyword: the query names it, the model aliases it.
    start: str | None = Field(default=None, alias="from", max_length=7)
    end: str | None = Field(default=None, alias="to", max_length=7)


def statistics(caller: Caller, data: PeriodIn) -> dict[str, Any]:
    access_statistics(caller.user)
    period = Period.parse(data.start, data.end, today=timezone.localdate())
    return statistics_wire(compute(period))


def survey_comments(caller: Caller, data: PeriodIn) -> dict[str, Any]:
    """The sealed comments of the period, each with its month only, newest month first."""
    access_survey_comments(caller.user)
    period = Period.parse(data.start, data.end, today=timezone.localdate())
    comments = SurveyResponse.objects.filter(
        month__gte=period.first, month__lte=period.last, comment__isnull=False
    ).order_by("-month", "id")
    return {
        "comments": [
            {"month": f"{row.month:%Y-%m}", "comment": row.comment} for row in comments
        ]
    }


OPERATIONS: dict[str, Operation] = {
    "statistics": Operation(statistics, PeriodIn, False, Route("GET", "statistics")),
    "survey_comments": Operation(
        survey_comments, PeriodIn, False, Route("GET", "survey-comments")
    ),
}
