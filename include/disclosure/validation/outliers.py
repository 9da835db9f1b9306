"""What the outlier rules (O1 … O3) need from a unit's history that Great Expectations cannot compute itself.

The history is the unit's accepted figures of earlier years (the store's current figures of each year, as many
of the years a rule looks at as the store holds). From it this module computes, exactly (int/Decimal), the
bounds one figure must keep this year — the median ± k spreads of its history (``spread``), or last year's
amount divided and multiplied by the factor (``magnitude``) — and, for a whole return, how many figures differ
from last year's (``identical``). The check frame carries them as columns; a GX expectation decides
(``suite.outlier_expectations``). No threshold lives here: every one is the rule's ``test`` in the spec.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from disclosure.figures import Number
from disclosure.formats import Cell, ColumnKind, OutlierTest

#: A unit's accepted figures of one year, keyed by cell.
YearFigures = Mapping[Cell, Number | None]
#: Accepted figures per unit code, then per report year (the outlier rules' history).
History = Mapping[str, Mapping[int, YearFigures]]


def history_years(year: int, test: OutlierTest) -> tuple[int, ...]:
    """The earlier report years a test looks at, oldest first (2017, 2018, 2019 for a 2020 return)."""
    return tuple(range(year - test.years, year))


def unit_history(history: History | None, unit: str, year: int, test: OutlierTest) -> list[int]:
    """The years of ``test``'s window the store holds figures of for ``unit``, oldest first."""
    held = (history or {}).get(unit, {})
    return [y for y in history_years(year, test) if y in held]


def usable(value: Number | None) -> bool:
    """A figure an outlier test can compare: a finite number (a blank or a broken cell is R6's)."""
    if value is None or isinstance(value, bool):
        return False
    return not isinstance(value, Decimal) or value.is_finite()


def median(values: Sequence[Number]) -> Decimal:
    ordered = sorted(Decimal(v) for v in values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def spread_bounds(test: OutlierTest, kind: ColumnKind, past: Sequence[Number]) -> tuple[Decimal, Decimal]:
    """The range a figure with history ``past`` keeps this year: median ± k × spread, the spread being the
    median absolute deviation, floored by the kind's ``floor`` and by ``relative_floor`` × |median|."""
    assert test.k is not None
    centre = median(past)
    mad = median([abs(Decimal(v) - centre) for v in past])
    spread = max(mad, test.floor[kind], test.relative_floor * abs(centre))
    return centre - test.k * spread, centre + test.k * spread


def magnitude_bounds(test: OutlierTest, last: Number) -> tuple[Decimal, Decimal] | None:
    """The open range an amount keeps this year: above last year's / factor and below last year's × factor;
    None when last year's amount is 0 (from nothing, no magnitude can jump)."""
    assert test.factor is not None
    last = abs(Decimal(last))
    if last == 0:
        return None
    return last / test.factor, last * test.factor


def differing_figures(figures: YearFigures, last_year: YearFigures) -> int | None:
    """How many of this year's figures differ from last year's (cells both years have); None when the test does
    not apply: no cell in common, or nothing but zeros and blanks this year (an empty year repeats itself)."""
    common = [cell for cell in figures if cell in last_year]
    if not common or not any(usable(figures[c]) and figures[c] != 0 for c in common):
        return None
    return sum(1 for cell in common if figures[cell] != last_year[cell])
