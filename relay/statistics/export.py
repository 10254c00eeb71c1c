"""The statistics as data: the JSON the API answers and the CSV a reader downloads. Both
carry exactly what the page shows, protected figures as words, in the hub's language as the
page is. What a program reads to find its way stays the same in every language: the JSON's
keys and each figure's ``key``, and the CSV's header row (``period``, ``figure``, ...)."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils.translation import gettext as _

from relay.statistics.figures import Statistics


def statistics_wire(stats: Statistics) -> dict[str, Any]:
    return {
        "period": {"from": f"{stats.period.first:%Y-%m}", "to": f"{stats.period.last:%Y-%m}"},
        "figures": [
            {
                "key": figure.key,
                "title": figure.title,
                "counts": figure.counts,
                "columns": figure.column_labels,
                "rows": [{"label": label, "values": values} for label, values in figure.lines()],
            }
            for figure in stats.figures
        ],
        "medians": [
            {"key": m.key, "title": m.title, "median_days": m.days, "cases": m.count_words}
            for m in stats.medians
        ],
        "not_recorded": [{"key": w.key, "title": w.title, "why": w.why} for w in stats.waiting],
    }


def statistics_csv(stats: Statistics) -> str:
    """One line per published figure: table, row, column, value (a number or its words).
    The header row names the columns for a program and is never translated."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["period", "figure", "counts", "row", "column", "value"])
    period = stats.period.label()
    for figure in stats.figures:
        for label, values in figure.lines():
            for column, value in zip(figure.column_labels, values, strict=True):
                writer.writerow([period, figure.title, figure.counts, label, column, value])
    for median in stats.medians:
        writer.writerow([period, median.title, _("median days from referral"), _("Median"),
                         _("Days"), median.days if median.days is not None else _("not shown")])
        writer.writerow([period, median.title, _("cases in the median"), _("Cases"),
                         _("Number"), median.count_words])
    return out.getvalue()
