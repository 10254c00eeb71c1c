"""Small-number suppression for published counts (docs/statistics.md). Pure: no database.

A table is a grid of counts with its totals: a *list* (one row of categories and its total)
or a *cross table* (rows × columns, each row's total, each column's total and the grand
total). Every total is a published figure too, and each row or column with its total is one
linear relation (the total equals the sum of its cells). ``protect`` decides which figures
are withheld:

1. **Primary**: every figure from 1 to 4, cells and totals alike, is shown as "fewer than 5".
   Zero is shown: it describes no one (decided in docs/statistics.md).
2. **Secondary**: a withheld figure must not be recoverable from the others. A reader knows
   every shown figure, every relation, that counts are whole numbers, that a figure shown as
   "fewer than 5" is 1–4 and that one withheld for protection is 5 or more. A withheld figure
   is protected when some other set of values, consistent with all of that, gives it a
   different value. Changing one withheld cell by one means changing others to keep every
   relation true: the changes run round a *cycle* of withheld figures in which each relation
   met is entered and left once. So each withheld figure must lie on such a cycle along
   which a change of one, up or down, keeps every figure on it inside what the reader knows
   of it. While some withheld figure lies on none, the cheapest rectangle of figures that
   completes a cycle through it (smallest sum of newly withheld counts, never a zero) is
   withheld too, and the check runs again, until nothing changes (a fixed point: each round
   withholds at least one more figure, so it ends).

The result is a ``Protected`` table: each figure's value (``None`` when withheld) and why
(``PRIMARY`` or ``SECONDARY``). ``tests/statistics/test_suppression.py`` checks the promise on
generated tables with an attacker that solves the relations directly.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

THRESHOLD = 5  # counts from 1 to THRESHOLD - 1 are never published

Cell = tuple[int, int]  # (row, column) in the bordered grid: the last row/column are totals
# A relation is identified by a vertex name: ("row", i) or ("col", j). A figure that sits in
# only one relation is joined to the free vertex, which has no relation to keep.
Vertex = tuple[str, int]
FREE: Vertex = ("free", 0)


class Reason(StrEnum):
    SHOWN = "shown"
    PRIMARY = "primary"  # 1–4: shown as "fewer than 5"
    SECONDARY = "secondary"  # withheld so that a small number cannot be worked out
    # Every figure of the table withheld, zeros too: only where nothing less protects.
    HIDDEN = "hidden"


def is_small(value: int) -> bool:
    return 0 < value < THRESHOLD


@dataclass(frozen=True)
class Grid:
    """A bordered grid of counts and its relations.

    ``values[r][c]`` holds every figure: for a cross table the last row holds the column
    totals and the last column the row totals (its last cell the grand total); for a list,
    one row whose last cell is its total. ``cross`` says which.
    """

    values: tuple[tuple[int, ...], ...]
    cross: bool

    @staticmethod
    def of_list(cells: Sequence[int]) -> Grid:
        counts = tuple(int(v) for v in cells)
        if any(v < 0 for v in counts):
            raise ValueError("Counts cannot be negative.")
        return Grid((counts + (sum(counts),),), cross=False)

    @staticmethod
    def of_cross(rows: Sequence[Sequence[int]]) -> Grid:
        body = [tuple(int(v) for v in row) for row in rows]
        if not body or not body[0] or any(len(row) != len(body[0]) for row in body):
            raise ValueError("A cross table needs rows of equal, non-zero length.")
        if any(v < 0 for row in body for v in row):
            raise ValueError("Counts cannot be negative.")
        bordered = [row + (sum(row),) for row in body]
        totals = tuple(sum(row[c] for row in bordered) for c in range(len(bordered[0])))
        return Grid((*bordered, totals), cross=True)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.values), len(self.values[0])

    def cells(self) -> Iterator[Cell]:
        rows, cols = self.shape
        for r in range(rows):
            for c in range(cols):
                yield (r, c)

    def value(self, cell: Cell) -> int:
        return self.values[cell[0]][cell[1]]

    def relations(self) -> list[tuple[Cell, list[Cell]]]:
        """Every linear relation: (its total, its cells). Total = sum of cells."""
        rows, cols = self.shape
        if not self.cross:
            return [((0, cols - 1), [(0, c) for c in range(cols - 1)])]
        found = [((r, cols - 1), [(r, c) for c in range(cols - 1)]) for r in range(rows)]
        found += [((rows - 1, c), [(r, c) for r in range(rows - 1)]) for c in range(cols)]
        return found

    def ends(self, cell: Cell) -> tuple[Vertex, Vertex]:
        """The two relations a figure takes part in (the free vertex for a list's figures)."""
        if not self.cross:
            return ("row", 0), FREE
        return ("row", cell[0]), ("col", cell[1])

    def coefficient(self, cell: Cell, vertex: Vertex) -> int:
        """+1 for a cell of the relation, -1 for its total (total - sum = 0)."""
        rows, cols = self.shape
        if vertex == FREE:
            return 1
        kind, _ = vertex
        if kind == "row":
            return -1 if cell[1] == cols - 1 else 1
        return -1 if cell[0] == rows - 1 else 1


@dataclass(frozen=True)
class Protected:
    """A grid with each figure's fate. ``shown(cell)`` is the value or None."""

    grid: Grid
    reasons: dict[Cell, Reason]

    def shown(self, cell: Cell) -> int | None:
        return None if self.reasons[cell] != Reason.SHOWN else self.grid.value(cell)

    def reason(self, cell: Cell) -> Reason:
        return self.reasons[cell]

    @property
    def withheld(self) -> set[Cell]:
        return {c for c, why in self.reasons.items() if why != Reason.SHOWN}


def bounds(value: int, reason: Reason) -> tuple[int, int | None]:
    """What a reader knows of a figure: its value, 1–4, or at least 5."""
    if reason == Reason.PRIMARY:
        return 1, THRESHOLD - 1
    if reason == Reason.SECONDARY:
        return THRESHOLD, None
    if reason == Reason.HIDDEN:
        return 0, None
    return value, value


def _within(value: int, known: tuple[int, int | None]) -> bool:
    low, high = known
    return value >= low and (high is None or value <= high)


def _edges(grid: Grid, withheld: set[Cell]) -> dict[Vertex, list[Cell]]:
    graph: dict[Vertex, list[Cell]] = {}
    for cell in withheld:
        for vertex in grid.ends(cell):
            graph.setdefault(vertex, []).append(cell)
    for cells in graph.values():
        cells.sort()
    return graph


def _other_end(grid: Grid, cell: Cell, vertex: Vertex) -> Vertex:
    a, b = grid.ends(cell)
    return b if vertex == a else a


def _cycles_through(
    grid: Grid, cell: Cell, graph: dict[Vertex, list[Cell]], *, limit: int = 400
) -> Iterator[list[tuple[Cell, Vertex]]]:
    """Simple cycles of withheld figures through ``cell``: each as [(figure, the vertex it
    leaves from)], starting with ``cell``. At most ``limit`` paths are tried."""
    start, goal = grid.ends(cell)
    tried = 0
    stack: list[tuple[Vertex, list[tuple[Cell, Vertex]], frozenset[Vertex]]] = [
        (goal, [(cell, start)], frozenset({start, goal}))
    ]
    while stack and tried < limit:
        vertex, path, seen = stack.pop()
        for edge in graph.get(vertex, []):
            if edge == cell or any(edge == step for step, _ in path):
                continue
            nxt = _other_end(grid, edge, vertex)
            if nxt == start:
                tried += 1
                yield [*path, (edge, vertex)]
            elif nxt not in seen and len(path) < 12:
                stack.append((nxt, [*path, (edge, vertex)], seen | {nxt}))


def _shift(grid: Grid, cycle: list[tuple[Cell, Vertex]]) -> dict[Cell, int] | None:
    """The change of each figure when the first changes by +1, keeping every relation met
    on the cycle; None if no choice of signs keeps them. Passing the free vertex (a list's
    figures) keeps no relation, so either sign is tried there."""
    for free_sign in (1, -1):
        delta = {cycle[0][0]: 1}
        for (previous, _), (edge, vertex) in zip(cycle, cycle[1:], strict=False):
            if vertex == FREE:
                delta[edge] = free_sign
            else:
                delta[edge] = (
                    -delta[previous]
                    * grid.coefficient(previous, vertex)
                    * grid.coefficient(edge, vertex)
                )
        first, start = cycle[0]
        last = cycle[-1][0]
        if start == FREE or (
            delta[last] * grid.coefficient(last, start)
            + delta[first] * grid.coefficient(first, start)
            == 0
        ):
            return delta
    return None


def _movable(grid: Grid, reasons: dict[Cell, Reason], cycle: list[tuple[Cell, Vertex]]) -> bool:
    delta = _shift(grid, cycle)
    if delta is None:
        return False
    for direction in (1, -1):
        if all(
            _within(grid.value(c) + direction * d, bounds(grid.value(c), reasons[c]))
            for c, d in delta.items()
        ):
            return True
    return False


def is_protected(grid: Grid, reasons: dict[Cell, Reason], cell: Cell) -> bool:
    graph = _edges(grid, {c for c, why in reasons.items() if why != Reason.SHOWN})
    return any(_movable(grid, reasons, cycle) for cycle in _cycles_through(grid, cell, graph))


def _rectangles(grid: Grid, cell: Cell) -> Iterator[list[Cell]]:
    """The figures that, with ``cell``, close the smallest cycles through it."""
    rows, cols = grid.shape
    r, c = cell
    if not grid.cross:
        for other in range(cols):
            if other != c:
                yield [(0, other)]
        return
    for r2 in range(rows):
        for c2 in range(cols):
            if r2 != r and c2 != c:
                yield [(r, c2), (r2, c), (r2, c2)]


def protect(grid: Grid) -> Protected:
    """Withhold the figures of ``grid`` as this module's docstring says."""
    reasons = {
        cell: Reason.PRIMARY if is_small(grid.value(cell)) else Reason.SHOWN
        for cell in grid.cells()
    }
    while True:
        exposed = next(
            (
                cell
                for cell in sorted(reasons)
                if reasons[cell] != Reason.SHOWN and not is_protected(grid, reasons, cell)
            ),
            None,
        )
        if exposed is None:
            return Protected(grid, reasons)
        reasons = _complement(grid, reasons, exposed)


def _complement(grid: Grid, reasons: dict[Cell, Reason], exposed: Cell) -> dict[Cell, Reason]:
    """``reasons`` with the cheapest rectangle through ``exposed`` withheld: one that
    protects it if any does, else the cheapest that withholds something new."""
    best: tuple[tuple[int, int], list[Cell]] | None = None
    for rectangle in _rectangles(grid, exposed):
        new = [c for c in rectangle if reasons[c] == Reason.SHOWN]
        if not new or any(grid.value(c) == 0 for c in new):
            continue
        trial = dict(reasons)
        for c in new:
            trial[c] = Reason.SECONDARY
        works = is_protected(grid, trial, exposed)
        cost = (0 if works else 1, sum(grid.value(c) for c in new))
        if best is None or cost < best[0]:
            best = (cost, new)
    if best is None:
        # Nothing left to withhold round it but zeros: withhold every figure still shown
        # that is not zero, so the loop ends (a table of tiny numbers shows only zeros).
        remaining = [c for c in reasons if reasons[c] == Reason.SHOWN and grid.value(c) != 0]
        if not remaining:
            raise _Unprotectable(exposed)
        best = ((1, 0), remaining)
    updated = dict(reasons)
    for c in best[1]:
        updated[c] = Reason.SECONDARY
    return updated


class _Unprotectable(Exception):
    """Every non-zero figure is withheld already and one is still exposed: only zeros and
    the withheld figures remain, so ``protect`` treats it as protected enough (nothing more
    can be hidden without hiding zeros)."""


def protect_or_hide_all(grid: Grid) -> Protected:
    """``protect``, or, in the corner where even withholding every non-zero figure leaves
    one recoverable from the zeros, every figure withheld."""
    try:
        return protect(grid)
    except _Unprotectable:
        return Protected(grid, dict.fromkeys(grid.cells(), Reason.HIDDEN))


def median_or_none(values: Sequence[float]) -> float | None:
    """The median of ``values``, or None when fewer than 5 went into it."""
    if len(values) < THRESHOLD:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2
