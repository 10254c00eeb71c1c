"""A reader who tries to work out withheld figures from a published table.

Independent of the suppression code's own reasoning: it knows only what is published (each
shown figure, which are "fewer than 5" and which are withheld for protection) and that each
total is the sum of its cells, and searches whole-number solutions directly.
"""

from __future__ import annotations

from relay.statistics.suppression import THRESHOLD, Cell, Protected, Reason


def known_range(published: Protected, cell: Cell, ceiling: int) -> tuple[int, int]:
    reason = published.reason(cell)
    if reason == Reason.SHOWN:
        value = published.grid.value(cell)
        return value, value
    if reason == Reason.PRIMARY:
        return 1, THRESHOLD - 1
    if reason == Reason.SECONDARY:
        return THRESHOLD, ceiling
    return 0, ceiling


def solve(published: Protected, fixed: dict[Cell, int], ceiling: int) -> dict[Cell, int] | None:
    """Some whole-number values for every figure that agree with what is published, with
    ``fixed`` ones as given; None if there are none (with values up to ``ceiling``)."""
    relations = published.grid.relations()
    low = {}
    high = {}
    for cell in published.grid.cells():
        low[cell], high[cell] = known_range(published, cell, ceiling)
    for cell, value in fixed.items():
        if not low[cell] <= value <= high[cell]:
            return None
        low[cell] = high[cell] = value
    return _search(relations, low, high)


def _tighten(relations, low, high) -> bool:
    """Narrow each range by every relation until nothing changes; False if one empties."""
    changed = True
    while changed:
        changed = False
        for total, cells in relations:
            # total = sum(cells): total within [sum low, sum high]; each cell within
            # [low total - sum high others, high total - sum low others].
            lo_sum = sum(low[c] for c in cells)
            hi_sum = sum(high[c] for c in cells)
            new_low, new_high = max(low[total], lo_sum), min(high[total], hi_sum)
            if (new_low, new_high) != (low[total], high[total]):
                low[total], high[total], changed = new_low, new_high, True
            for c in cells:
                others_low = lo_sum - low[c]
                others_high = hi_sum - high[c]
                c_low = max(low[c], low[total] - others_high)
                c_high = min(high[c], high[total] - others_low)
                if (c_low, c_high) != (low[c], high[c]):
                    low[c], high[c], changed = c_low, c_high, True
                    lo_sum = sum(low[x] for x in cells)
                    hi_sum = sum(high[x] for x in cells)
            if any(low[c] > high[c] for c in (total, *cells)):
                return False
    return True


def _search(relations, low, high) -> dict[Cell, int] | None:
    low, high = dict(low), dict(high)
    if not _tighten(relations, low, high):
        return None
    open_cells = [c for c in low if low[c] < high[c]]
    if not open_cells:
        return dict(low)
    cell = min(open_cells, key=lambda c: high[c] - low[c])
    for value in range(low[cell], high[cell] + 1):
        trial_low, trial_high = dict(low), dict(high)
        trial_low[cell] = trial_high[cell] = value
        found = _search(relations, trial_low, trial_high)
        if found is not None:
            return found
    return None


def derivable(published: Protected) -> list[Cell]:
    """The withheld figures the reader can pin to one value."""
    grid = published.grid
    ceiling = 2 * max(max(row) for row in grid.values) + 10
    pinned = []
    for cell in sorted(published.withheld):
        true = grid.value(cell)
        low, high = known_range(published, cell, ceiling)
        others = sorted((v for v in range(low, high + 1) if v != true), key=lambda v: abs(v - true))
        if not any(solve(published, {cell: value}, ceiling) is not None for value in others):
            pinned.append(cell)
    return pinned
