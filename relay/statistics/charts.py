"""Bar charts drawn on the server as SVG, from a figure's published values only: a withheld
figure has no bar, just its words. The page shows the same figures as a table."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from relay.statistics.figures import Figure

WIDTH = 640
BAR_AREA = 440
LINE = 18  # the label line above each bar
BAR = 16
GAP = 10


@dataclass(frozen=True)
class Bar:
    label: str
    words: str
    series: int  # which column of a cross table: the bar's colour
    label_y: int
    bar_y: int
    width: int
    text_x: int


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    description: str
    height: int
    width: int
    bars: list[Bar]


def chart_for(figure: Figure) -> Chart:
    largest = figure.largest
    bars: list[Bar] = []
    y = 4
    for index, (row, column, value, words) in enumerate(figure.bars()):
        width = round(BAR_AREA * value / largest) if value and largest else 0
        label = (
            _("%(row)s: %(column)s") % {"row": row, "column": column}
            if column is not None else row
        )
        series = index % len(figure.columns) if figure.columns else 0
        bars.append(Bar(label, words, series, y + 13, y + LINE, width, width + 8))
        y += LINE + BAR + GAP
    description = _(
        "Bar chart of %(counts)s. Each bar is one figure of the table that follows; "
        "a figure shown as fewer than 5, or not shown, has no bar."
    ) % {"counts": figure.counts}
    return Chart(figure.key, figure.title, description, y, WIDTH, bars)
