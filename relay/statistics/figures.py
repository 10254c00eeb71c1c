"""The figures a commissioner and a hub manager see for a period: counts read in aggregate,
each table protected by ``relay.statistics.suppression`` before anything leaves this module.

Nothing here names a person, a case or a reference, and nothing reads content: only states,
the countable outcome fields, dates and the survey's fixed choices. Each figure says what
it counts and for which cases (docs/statistics.md has the list).
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Min
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from relay.audit.models import AuditEvent, AuditEventType
from relay.cases.models import (
    Case,
    CaseRecord,
    CaseState,
    CommunicationMode,
    Participation,
    RecordKind,
    Side,
)
from relay.errors import InvalidRequest
from relay.moderation.models import Message, MessageState
from relay.outcomes.models import (
    AgreementItem,
    AgreementItemKind,
    CloseReason,
    Closure,
    DeliveryMode,
    Outcome,
    SurveyResponse,
)
from relay.outcomes.states import QUESTIONS
from relay.referrals.models import ReferralSource
from relay.referrals.selectors import referrals_by_source_and_month
from relay.statistics.suppression import (
    Grid,
    Protected,
    Reason,
    median_or_none,
    protect_or_hide_all,
)

MAX_MONTHS = 36
FEWER_THAN_5 = gettext_lazy("fewer than 5")
NOT_SHOWN = gettext_lazy("not shown")
SIDE_WORDS = {
    Side.HARMED: gettext_lazy("Person harmed"),
    Side.RESPONSIBLE: gettext_lazy("Person responsible"),
}
# A month as a person reads it, in the hub's language (the same as the page's ``date``
# filter, ``F Y``); a month's key stays a machine value (``2025-04-01``, ``2025-04``).
MONTH_FORMAT = "F Y"


def month_words(month: datetime.date) -> str:
    """``April 2025``, with the month named in the active language."""
    return date_format(month, MONTH_FORMAT)


# A category's label: text, or a message that becomes text in the active language.
Label = str | Promise


def translated(choices: Iterable[tuple[str, Label]]) -> list[tuple[str, str]]:
    """Choices with their labels in the active language. Most labels are marked with
    ``gettext_lazy`` and translate as they become text; a few are kept as plain English
    where they are defined (``gettext_noop``: they also travel on the socket as plain text)
    and are looked up in the catalogue here. Either way the English is unchanged."""
    return [
        (value, str(label) if isinstance(label, Promise) else _(label))
        for value, label in choices
    ]


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """Whole months, ``first`` to ``last`` inclusive (each the first day of its month)."""

    first: datetime.date
    last: datetime.date

    @staticmethod
    def parse(start: str | None, end: str | None, *, today: datetime.date) -> Period:
        """From ``YYYY-MM`` strings; by default the twelve months up to this one."""
        this_month = _month_start(today)

        def month(text: str | None, default: datetime.date) -> datetime.date:
            if not text:
                return default
            try:
                year, mon = (int(part) for part in text.split("-"))
                return datetime.date(year, mon, 1)
            except ValueError:
                raise InvalidRequest(
                    _("Give months as year and month, for example 2025-04.")
                ) from None

        last = month(end, this_month)
        first = month(start, _add_months(last, -11))
        if first > last:
            raise InvalidRequest(_("The period must start before it ends."))
        if len(Period(first, last).months) > MAX_MONTHS:
            raise InvalidRequest(
                ngettext(
                    "Choose a period of at most %(months)d month.",
                    "Choose a period of at most %(months)d months.",
                    MAX_MONTHS,
                ) % {"months": MAX_MONTHS}
            )
        return Period(first, last)

    @property
    def months(self) -> list[datetime.date]:
        found, day = [], self.first
        while day <= self.last:
            found.append(day)
            day = _add_months(day, 1)
        return found

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """Aware datetimes: the start of the first month, the start of the month after."""
        zone = timezone.get_current_timezone()
        start = datetime.datetime.combine(self.first, datetime.time(), zone)
        end = datetime.datetime.combine(_add_months(self.last, 1), datetime.time(), zone)
        return start, end

    def label(self) -> str:
        """``April 2025 to March 2026``, in the active language."""
        return _("%(first)s to %(last)s") % {
            "first": month_words(self.first), "last": month_words(self.last)
        }

    def slug(self) -> str:
        return f"{self.first:%Y-%m}-to-{self.last:%Y-%m}"


@dataclass(frozen=True)
class Figure:
    """One published table: its categories, their counts as protected, and what it counts.
    ``columns`` is None for a list (one count per row and a total)."""

    key: str
    title: str
    counts: str  # what each number counts, in words: "cases concluded in the period"
    rows: list[str]
    columns: list[str] | None
    protected: Protected

    def shown(self, row: int, column: int) -> int | None:
        return self.protected.shown((row, column))

    def words(self, row: int, column: int) -> str:
        """A figure as a person reads it: the number, "fewer than 5" or "not shown"."""
        reason = self.protected.reason((row, column))
        if reason == Reason.SHOWN:
            return str(self.protected.grid.value((row, column)))
        return str(FEWER_THAN_5 if reason == Reason.PRIMARY else NOT_SHOWN)

    @property
    def column_labels(self) -> list[str]:
        return [*self.columns, _("Total")] if self.columns else [_("Number")]

    def lines(self) -> list[tuple[str, list[str]]]:
        """Each row's label and its figures as words, the totals last, as the table shows
        them: for a list, one column and a total row; for a cross table, a total column and
        a total row."""
        grid = self.protected.grid
        rows, cols = grid.shape
        if self.columns is None:
            body = [(label, [self.words(0, c)]) for c, label in enumerate(self.rows)]
            return [*body, (_("Total"), [self.words(0, cols - 1)])]
        labels = [*self.rows, _("Total")]
        return [(labels[r], [self.words(r, c) for c in range(cols)]) for r in range(rows)]

    def bars(self) -> list[tuple[str, str | None, int | None, str]]:
        """What the chart draws: (row label, column label or None, value or None, words),
        totals left out."""
        grid = self.protected.grid
        rows, cols = grid.shape
        if self.columns is None:
            return [(label, None, self.shown(0, c), self.words(0, c))
                    for c, label in enumerate(self.rows)]
        return [
            (self.rows[r], self.columns[c], self.shown(r, c), self.words(r, c))
            for r in range(rows - 1)
            for c in range(cols - 1)
        ]

    @property
    def largest(self) -> int:
        return max((bar[2] for bar in self.bars() if bar[2] is not None), default=0)


@dataclass(frozen=True)
class Median:
    """A median time in days, withheld when fewer than 5 cases went into it."""

    key: str
    title: str
    days: float | None
    count: int

    @property
    def count_words(self) -> str:
        if 0 < self.count < 5:
            return str(FEWER_THAN_5)
        return str(self.count)

    @property
    def words(self) -> str:
        if self.days is None:
            return _("not shown (fewer than 5 cases)") if self.count else _("no cases")
        return _("%(days)s days") % {"days": f"{self.days:g}"}


@dataclass(frozen=True)
class Waiting:
    """A figure whose records this service does not keep yet; shown as such, never guessed."""

    key: str
    title: str
    why: str


@dataclass(frozen=True)
class Statistics:
    period: Period
    figures: list[Figure] = field(default_factory=list)
    medians: list[Median] = field(default_factory=list)
    waiting: list[Waiting] = field(default_factory=list)


def list_figure(key: str, title: str, counts: str, tally: Counter[str],
                categories: Sequence[tuple[str, Label]]) -> Figure:
    grid = Grid.of_list([tally.get(value, 0) for value, _label in categories])
    return Figure(key, title, counts, [label for _value, label in translated(categories)], None,
                  protect_or_hide_all(grid))


def cross_figure(key: str, title: str, counts: str, tally: Counter[tuple[str, str]],
                 rows: Sequence[tuple[str, Label]],
                 columns: Sequence[tuple[str, Label]]) -> Figure:
    grid = Grid.of_cross(
        [[tally.get((r, c), 0) for c, _label in columns] for r, _label in rows]
    )
    return Figure(key, title, counts, [label for _value, label in translated(rows)],
                  [label for _value, label in translated(columns)], protect_or_hide_all(grid))


YES_NO = (("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No")))


def yes_no(key: str, title: str, counts: str, answers: Iterable[bool | None],
           *, unknown: str | None = None) -> Figure:
    tally: Counter[str] = Counter(
        "yes" if a else ("unknown" if a is None and unknown else "no") for a in answers
    )
    categories: list[tuple[str, Label]] = (
        [*YES_NO, ("unknown", unknown)] if unknown else list(YES_NO)
    )
    return list_figure(key, title, counts, tally, categories)


def compute(period: Period) -> Statistics:
    """Every figure for ``period``, protected."""
    start, end = period.bounds()
    stats = Statistics(period)
    opened = Case.objects.filter(created_at__gte=start, created_at__lt=end)
    month_keys = [(m.isoformat(), month_words(m)) for m in period.months]

    by_month = Counter(
        {row["month"].date().isoformat() if isinstance(row["month"], datetime.datetime)
         else row["month"].isoformat(): row["n"]
         for row in opened.annotate(month=TruncMonth("created_at")).values("month")
         .annotate(n=Count("pk")).values("month", "n")}
    )
    stats.figures.append(list_figure(
        "cases_by_month", _("Cases opened, by month"),
        _("cases opened from a referral in each month"),
        by_month, month_keys,
    ))
    stats.figures.append(cross_figure(
        "referrals_by_source", _("Referrals by source and month"),
        _("referrals received in each month, by who referred"),
        Counter({(source, month.isoformat()): n for month, source, n
                 in referrals_by_source_and_month(period.first, period.last)}),
        ReferralSource.choices, month_keys,
    ))
    stats.figures.append(list_figure(
        "cases_by_stage", _("Cases by stage"),
        _("cases opened in the period, by the stage they are at now"),
        Counter(opened.values_list("state", flat=True)), CaseState.choices,
    ))
    consented = list(
        Participation.objects.filter(case__in=opened).values_list("consented_modes", flat=True)
    )
    stats.figures.append(cross_figure(
        "communication_modes", _("Ways participants agreed to take part"),
        _("participants in cases opened in the period, by each way they consented to"),
        Counter((mode, "yes" if mode in modes else "no") for modes in consented
                for mode in CommunicationMode.values),
        CommunicationMode.choices, (("yes", _("Agreed")), ("no", _("Did not agree"))),
    ))

    _outcome_figures(stats, start, end)
    _closure_figures(stats, start, end)
    _medians(stats, opened)
    _survey_figures(stats, period)
    return stats


def _outcome_figures(stats: Statistics, start: datetime.datetime, end: datetime.datetime) -> None:
    outcomes = list(Outcome.objects.filter(concluded_at__gte=start, concluded_at__lt=end))
    counts = _("cases concluded in the period")
    with_items = set(
        AgreementItem.objects.filter(outcome__in=outcomes).values_list("outcome_id", flat=True)
    )
    achieved = [
        ("questions_answered", _("Questions were answered"),
         [o.questions_answered for o in outcomes]),
        ("explanation_given", _("An explanation was given"),
         [o.explanation_given for o in outcomes]),
        ("apology_offered", _("An apology was offered"), [o.apology_offered for o in outcomes]),
        ("agreement_reached", _("An agreement was reached"),
         [o.pk in with_items for o in outcomes]),
    ]
    # Each row is its own yes/no split of the same cases: protected row by row.
    for key, title, answers in achieved:
        stats.figures.append(yes_no(f"outcome_{key}", title, counts, answers))
    stats.figures.append(yes_no(
        "apology_accepted", _("The apology was accepted"),
        _("cases concluded in the period in which an apology was offered"),
        [o.apology_accepted for o in outcomes if o.apology_offered], unknown=_("Not known"),
    ))
    items = AgreementItem.objects.filter(outcome__in=outcomes)
    stats.figures.append(cross_figure(
        "agreement_items", _("Agreement items and their follow-up"),
        _("items agreed in cases concluded in the period"),
        Counter(
            (kind, "open" if met is None else ("met" if met else "not_met"))
            for kind, met in items.values_list("kind", "met")
        ),
        AgreementItemKind.choices,
        (("met", _("Met")), ("not_met", _("Not met")), ("open", _("Not yet known"))),
    ))
    stats.figures.append(cross_figure(
        "delivery_modes", _("How communication was delivered"), counts,
        Counter((mode, "yes" if mode in o.delivery_modes else "no")
                for o in outcomes for mode in DeliveryMode.values),
        DeliveryMode.choices, (("yes", _("Used")), ("no", _("Not used"))),
    ))


STAGES = [(s, label) for s, label in CaseState.choices if s not in (CaseState.CLOSED,)]


def _closure_figures(stats: Statistics, start: datetime.datetime, end: datetime.datetime) -> None:
    closures = Closure.objects.filter(closed_at__gte=start, closed_at__lt=end)
    stats.figures.append(list_figure(
        "close_reasons", _("Why cases closed"), _("cases closed in the period"),
        Counter(closures.values_list("reason", flat=True)), CloseReason.choices,
    ))
    withdrawals = closures.filter(reason=CloseReason.WITHDREW)
    stats.figures.append(cross_figure(
        "withdrawals_by_stage", _("Withdrawals by stage"),
        _("cases closed in the period because a participant withdrew, by the stage reached"),
        Counter(withdrawals.values_list("stage", "withdrawn_side")),
        [s for s in STAGES if s[0] not in (CaseState.CONCLUDED, CaseState.UNSUITABLE)],
        [(side, SIDE_WORDS[side]) for side in Side],
    ))


def _days(later: datetime.datetime | None, earlier: datetime.datetime) -> float | None:
    if later is None:
        return None
    return round((later - earlier).total_seconds() / 86400, 1)


def _median(key: str, title: str, spans: list[float | None]) -> Median:
    values = [s for s in spans if s is not None]
    return Median(key, title, median_or_none(values), len(values))


def _medians(stats: Statistics, opened: Iterable[Case]) -> None:
    """Times from referral (the case opened from it) to each milestone, for cases opened in
    the period that reached it."""
    cases = {c.pk: c.created_at for c in opened}
    assessed = dict(
        AuditEvent.objects.filter(
            event_type=AuditEventType.CASE_STATE_CHANGED, case_id__in=cases,
            data__old=CaseState.ASSESSING,
        ).values("case_id").annotate(at=Min("created_at")).values_list("case_id", "at")
    )
    forwarded = dict(
        Message.objects.filter(case_id__in=cases, state=MessageState.APPROVED)
        .values("case_id").annotate(at=Min("decided_at")).values_list("case_id", "at")
    )
    closed = dict(Closure.objects.filter(case_id__in=cases).values_list("case_id", "closed_at"))
    reached = dict(
        CaseRecord.objects.filter(
            case_id__in=cases, kind=RecordKind.CONTACT_ATTEMPT, facts__reached=True
        ).values("case_id").annotate(at=Min("created_at")).values_list("case_id", "at")
    )
    stats.medians.extend([
        _median("time_to_first_contact", _("From referral to first contact"),
                [_days(reached.get(pk), at) for pk, at in cases.items()]),
        _median("time_to_assessment", _("From referral to the end of assessment"),
                [_days(assessed.get(pk), at) for pk, at in cases.items()]),
        _median("time_to_first_forward", _("From referral to the first message passed on"),
                [_days(forwarded.get(pk), at) for pk, at in cases.items()]),
        _median("time_to_close", _("From referral to closing"),
                [_days(closed.get(pk), at) for pk, at in cases.items()]),
    ])


def _survey_figures(stats: Statistics, period: Period) -> None:
    responses = SurveyResponse.objects.filter(month__gte=period.first, month__lte=period.last)
    sides = [(side, SIDE_WORDS[side]) for side in Side]
    rows = list(responses.values("side", *QUESTIONS))
    for name, (question, choices) in QUESTIONS.items():
        stats.figures.append(cross_figure(
            f"survey_{name}", _(question), _("survey answers given in the period"),
            Counter((row[name] or "skipped", row["side"]) for row in rows),
            [*choices, ("skipped", gettext_lazy("Not answered"))], sides,
        ))
