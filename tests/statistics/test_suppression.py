"""Small-number suppression on generated tables: no published figure is 1–4, and no
withheld figure can be worked out from the published ones, their totals and what the
labels say ("fewer than 5" is 1–4, "not shown" is 5 or more)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relay.statistics.suppression import (
    Grid,
    Protected,
    Reason,
    median_or_none,
    protect,
    protect_or_hide_all,
)
from tests.statistics.attacker import derivable, solve

# Small hubs: mostly small counts, with zeros and a few larger ones.
count = st.one_of(st.integers(0, 6), st.integers(0, 30))
lists = st.lists(count, min_size=1, max_size=6).map(Grid.of_list)
crosses = (
    st.integers(1, 4)
    .flatmap(
        lambda cols: st.lists(st.lists(count, min_size=cols, max_size=cols), min_size=1, max_size=4)
    )
    .map(Grid.of_cross)
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(published: Protected) -> None:
    grid = published.grid
    for cell in grid.cells():
        shown = published.shown(cell)
        assert shown is None or not 0 < shown < 5, (grid.values, cell)
        if published.reason(cell) == Reason.SECONDARY:
            assert grid.value(cell) >= 5, "a figure withheld for protection must be 5 or more"
    # The true table agrees with what is published: the attacker's model is right.
    assert solve(published, {}, 2 * max(max(r) for r in grid.values) + 10) is not None
    assert derivable(published) == [], (grid.values, published.reasons)


@SETTINGS
@given(lists)
def test_lists_hide_every_small_number(grid: Grid) -> None:
    check(protect_or_hide_all(grid))


@SETTINGS
@given(crosses)
def test_cross_tables_hide_every_small_number(grid: Grid) -> None:
    check(protect_or_hide_all(grid))


def test_a_total_minus_the_shown_figures_does_not_reveal_the_one_withheld() -> None:
    published = protect(Grid.of_list([3, 10, 12]))
    # 3 alone withheld would be 25 - 10 - 12: its smallest neighbour goes with it.
    assert published.shown((0, 0)) is None and published.shown((0, 1)) is None
    assert published.shown((0, 2)) == 12 and published.shown((0, 3)) == 25
    assert published.reason((0, 1)) == Reason.SECONDARY


def test_a_cross_table_withholds_a_rectangle() -> None:
    published = protect(Grid.of_cross([[2, 9], [8, 7]]))
    assert published.reason((0, 0)) == Reason.PRIMARY
    withheld = published.withheld
    rows = {r for r, _ in withheld}
    cols = {c for _, c in withheld}
    assert len(withheld) >= 4 and len(rows) >= 2 and len(cols) >= 2
    assert derivable(published) == []


def test_the_attacker_finds_a_lone_withheld_figure() -> None:
    # The attacker is real: withholding only the 3 lets it be worked out from the total.
    grid = Grid.of_list([3, 10, 12])
    naive = Protected(
        grid, {c: Reason.PRIMARY if c == (0, 0) else Reason.SHOWN for c in grid.cells()}
    )
    assert derivable(naive) == [(0, 0)]
    # And two small figures whose total is shown as 2 are both 1.
    grid = Grid.of_list([1, 1])
    naive = Protected(grid, {(0, 0): Reason.PRIMARY, (0, 1): Reason.PRIMARY, (0, 2): Reason.SHOWN})
    assert derivable(naive) == [(0, 0), (0, 1)]


def test_zero_is_shown_and_large_numbers_are_untouched() -> None:
    published = protect(Grid.of_list([0, 7, 9]))
    assert [published.shown((0, c)) for c in range(4)] == [0, 7, 9, 16]


@pytest.mark.parametrize(
    ("values", "median"),
    [([1, 2, 3, 4], None), ([5, 1, 3, 2, 4], 3.0), ([1, 2, 3, 4, 5, 6], 3.5), ([], None)],
)
def test_a_median_of_fewer_than_five_is_withheld(values: list[float], median: float | None) -> None:
    assert median_or_none(values) == median
