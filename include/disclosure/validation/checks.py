"""The check frame: many returns stacked into one table that one Great Expectations run validates.

Each row is one check item of one unit, named in the ``check`` column after the expectation that looks at it:

- ``<R6>:<kind>`` — one figure cell: ``value`` (float64, NaN when blank or unreadable) and ``ok`` (1.0 when the
  exact value has the column kind's shape: a whole number for counts, at most ``decimals`` places for amounts).
- ``<rule>:<n>`` — one instance of equation ``n`` of an equation rule (one per column, row or group, as
  ``FormatSpec.expand`` gives them): ``left`` and ``right`` are the two sides, summed exactly in Python (int or
  Decimal) and handed to GX as float64. An equation is checked only when every term is known; when only its
  single checked cell (the left side) is blank, it is still checked so the finding can say what it should be.
- ``<O>:spread`` / ``<O>:magnitude`` — one figure of a unit with enough history for an outlier rule: ``value``
  is this year's figure, ``low`` and ``high`` the bounds ``outliers.py`` computes from the unit's accepted
  figures of earlier years (kept with the item, for the message).
- ``<O>:identical`` — one per return with last year's accepted figures: ``value`` is how many figures differ
  from last year's.
- ``TEMPLATE:version`` — one per return: ``text`` is the return's format version.

The ``item`` column indexes :class:`CheckItem` records that keep the exact values and cells, so GX's unexpected
rows map back to a unit, a sheet and a cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from disclosure.figures import Figure, Number, UnitReturn
from disclosure.formats import Cell, ColumnKind, Equation, FormatSpec, OutlierTest, Rule
from disclosure.formats.model import solve_term
from disclosure.validation.outliers import (
    History,
    differing_figures,
    magnitude_bounds,
    spread_bounds,
    unit_history,
    usable,
)

if TYPE_CHECKING:
    import pandas as pd

#: value of the ``check`` column for the template identity item
TEMPLATE_CHECK = "TEMPLATE:version"

FRAME_COLUMNS = ("item", "unit", "check", "value", "ok", "left", "right", "low", "high", "text")

#: Last year's accepted figures per unit code (or the bureau code), keyed by cell.
Previous = Mapping[str, Mapping[Cell, Number | None]]


@dataclass(frozen=True)
class Term:
    """One term of an instantiated equation, with its value (None = blank or unusable)."""

    cell: Cell
    sign: int
    previous: bool
    value: Number | None


@dataclass
class CheckItem:
    """One row of the check frame, with everything needed to write its finding."""

    item: int
    return_index: int
    unit: str
    check: str
    rule: Rule | None = None
    cell: Cell | None = None  # the checked cell: the figure (R6) or the left side's first cell (equations)
    figure: Figure | None = None
    equation: Equation | None = None
    line: str | None = None  # the column (each: column) or row (each: row) the equation was instantiated for
    left: list[Term] = field(default_factory=list)
    right: list[Term] = field(default_factory=list)
    text: str | None = None
    expected: Number | None = None  # determined_value: what a blank cell should hold
    kind: ColumnKind | None = None  # cell checks: the column's kind
    decimals: int | None = None  # cell checks of amounts: most decimals allowed
    value: Number | None = None  # outlier checks: this year's figure, or how many figures differ (identical)
    low: Number | None = None  # outlier checks of a figure: the bounds it keeps this year
    high: Number | None = None
    history: tuple[
        tuple[int, Number], ...
    ] = ()  # outlier checks: the unit's accepted figure per earlier year

    @property
    def left_sum(self) -> Number | None:
        return _side_sum(self.left)

    @property
    def right_sum(self) -> Number | None:
        return _side_sum(self.right)


def _side_sum(terms: Sequence[Term]) -> Number | None:
    if any(t.value is None for t in terms):
        return None
    return sum((t.sign * t.value for t in terms), start=0)  # type: ignore[operator]


def cell_check(rule: Rule, kind: ColumnKind) -> str:
    return f"{rule.id}:{kind.value}"


def equation_check(rule: Rule, index: int) -> str:
    return f"{rule.id}:{index}"


def outlier_check(rule: Rule) -> str:
    assert rule.test is not None
    return f"{rule.id}:{rule.test.method}"


def value_has_kind_shape(value: Number, kind: ColumnKind, decimals: int | None) -> bool:
    """The exact type check GX cannot do on floats: whole counts, amounts with at most ``decimals`` places.

    Exact for any magnitude: the places are read off the decimal's digits (``quantize`` would raise
    ``InvalidOperation`` on 1E+308, and ``normalize`` would round a 40-digit number)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if not isinstance(value, Decimal) or not value.is_finite():
        return False
    return _places(value) <= (decimals or 0 if kind is ColumnKind.AMOUNT else 0)


def _places(value: Decimal) -> int:
    """How many decimal places ``value`` really has (trailing zeros do not count)."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0")) if any(digits) else len(digits)
    return max(0, -(exponent + trailing))


def _cell_rule(spec: FormatSpec) -> Rule | None:
    return next((r for r in spec.rules if r.kind == "cell_type"), None)


def _equation_rules(spec: FormatSpec) -> list[Rule]:
    return [r for r in spec.rules if r.kind == "equation"]


def build_check_items(
    returns: Sequence[UnitReturn],
    spec: FormatSpec,
    previous: Previous | None = None,
    failures: dict[int, Exception] | None = None,
    history: History | None = None,
) -> list[CheckItem]:
    """Every check item of every return, in a stable order (return, then spec order). ``history``: each unit's
    accepted figures of earlier years, for the outlier rules (a unit without enough of it is not checked).

    With ``failures``, a return whose items cannot be built is left out and its exception recorded there by
    return index (the others are checked as usual); without it the exception propagates."""
    items: list[CheckItem] = []
    cell_rule = _cell_rule(spec)
    # The spec's cells and equation instances, expanded once for all returns.
    cells = (
        [
            (cell, column, cell_check(cell_rule, column.kind))
            for cell in spec.cells()
            for column in (spec.table(cell.table).column(cell.column),)
        ]
        if cell_rule
        else []
    )
    instances = [
        (rule, equation_check(rule, eq_index), equation, line, sides)
        for rule in _equation_rules(spec)
        for eq_index, equation in enumerate(rule.equations)
        for line, sides in spec.expand(rule, equation)
    ]
    for index, ret in enumerate(returns):
        start = len(items)
        try:
            _return_items(items, index, ret, spec, cell_rule, cells, instances, previous)
            _outlier_items(items, index, ret, spec, history)
        except Exception as exc:  # one return's fault must not stop the batch (see ``failures``)
            if failures is None:
                raise
            del items[start:]
            failures[index] = exc
    return items


def _return_items(
    items: list[CheckItem],
    index: int,
    ret: UnitReturn,
    spec: FormatSpec,
    cell_rule: Rule | None,
    cells: list,
    instances: list,
    previous: Previous | None,
) -> None:
    """Append one return's check items to ``items`` (numbered on from its length)."""
    unit = ret.unit
    items.append(CheckItem(len(items), index, unit, TEMPLATE_CHECK, text=ret.meta.format_version))
    if ret.meta.format_version != spec.version:
        # A return in another format cannot be checked cell by cell: the one finding is the template.
        return
    figures = {f.key: f for f in ret.figures}
    assert cell_rule is not None or not cells
    for cell, column, check in cells:
        items.append(
            CheckItem(
                len(items),
                index,
                unit,
                check,
                rule=cell_rule,
                cell=cell,
                figure=figures.get(cell),
                kind=column.kind,
                decimals=column.decimals,
            )
        )
    last_year = (previous or {}).get(unit)
    for rule, check, equation, line, sides in instances:
        if equation.uses_previous and last_year is None:
            continue  # cross-year rules apply only when last year's accepted figures exist
        left = [_term(c, s, p, figures, last_year) for c, s, p in sides["left"]]
        right = [_term(c, s, p, figures, last_year) for c, s, p in sides["right"]]
        if not _checkable(left, right):
            continue
        items.append(
            CheckItem(
                len(items),
                index,
                unit,
                check,
                rule=rule,
                cell=left[0].cell,
                figure=figures.get(left[0].cell),
                equation=equation,
                line=line,
                left=left,
                right=right,
            )
        )


def _outlier_items(
    items: list[CheckItem], index: int, ret: UnitReturn, spec: FormatSpec, history: History | None
) -> None:
    """Append one return's outlier check items: each figure with enough history for a rule, and for the
    identical rule the return as a whole."""
    if ret.meta.format_version != spec.version or not history:
        return
    figures = {Cell(*f.key): f for f in ret.figures}
    for rule in spec.outlier_rules:
        test = rule.test
        assert test is not None
        years = unit_history(history, ret.unit, ret.year, test)
        if len(years) < test.min_years:
            continue
        past_years = {y: history[ret.unit][y] for y in years}
        check = outlier_check(rule)
        if test.method == "identical":
            last = past_years.get(ret.year - 1)
            differing = (
                differing_figures({c: f.value for c, f in figures.items()}, last)
                if last is not None
                else None
            )
            if differing is not None:
                items.append(CheckItem(len(items), index, ret.unit, check, rule=rule, value=differing))
            continue
        for cell in spec.cells():
            column = spec.table(cell.table).column(cell.column)
            figure = figures.get(cell)
            if column.kind not in test.kinds or figure is None or not usable(figure.value):
                continue
            past = tuple(
                (y, v) for y, held in past_years.items() if (v := held.get(cell)) is not None and usable(v)
            )
            bounds = _bounds(test, column.kind, figure.value, past, ret.year)
            if bounds is None:
                continue
            if test.method == "magnitude":
                past = past[-1:]  # the message quotes the year it is compared with
            items.append(
                CheckItem(
                    len(items),
                    index,
                    ret.unit,
                    check,
                    rule=rule,
                    cell=cell,
                    figure=figure,
                    value=figure.value,
                    low=bounds[0],
                    high=bounds[1],
                    history=past,
                )
            )


def _bounds(
    test: OutlierTest,
    kind: ColumnKind,
    value: Number | None,
    past: tuple[tuple[int, Number], ...],
    year: int,
) -> tuple[Number, Number] | None:
    """The bounds a figure keeps this year under ``test``, from its history ``past`` (oldest first); None when
    the test does not apply to it (too little history; an amount of 0 this year or last for ``magnitude``)."""
    if len(past) < test.min_years:
        return None
    if test.method == "spread":
        return spread_bounds(test, kind, [v for _, v in past])
    last = [v for y, v in past if y == year - 1]
    if not last or value == 0:
        return None
    return magnitude_bounds(test, last[0])


def _term(
    cell: Cell,
    sign: int,
    previous: bool,
    figures: Mapping[tuple[str, str, str], Figure],
    last_year: Mapping[Cell, Number | None] | None,
) -> Term:
    if previous:
        value = (last_year or {}).get(cell)
    else:
        figure = figures.get(cell)
        value = figure.value if figure is not None else None
    if isinstance(value, Decimal) and not value.is_finite():
        value = None  # NaN or infinity: not a figure (the cell check reports it), never a term of a sum
    return Term(cell=cell, sign=sign, previous=previous, value=value)


def _checkable(left: list[Term], right: list[Term]) -> bool:
    """All terms known, or only the single checked cell blank (its expected value is then known)."""
    if any(t.value is None for t in right):
        return False
    if len(left) == 1:
        return not left[0].previous or left[0].value is not None
    return all(t.value is not None for t in left)


def check_frame(items: Sequence[CheckItem]) -> pd.DataFrame:
    """The frame GX validates: one row per check item (see the module docstring)."""
    import numpy as np
    import pandas as pd

    def number(value: Number | None) -> float:
        if value is None:
            return np.nan
        try:
            return float(value)
        except OverflowError:  # an int beyond a double: as large as a float can say
            return float("inf") if value > 0 else float("-inf")

    rows = []
    for it in items:
        value = ok = left = right = low = high = np.nan
        if it.rule is not None and it.rule.kind == "outlier":
            value, low, high = number(it.value), number(it.low), number(it.high)
        elif it.kind is not None and it.figure is not None and it.figure.value is not None:
            value = number(it.figure.value)
            ok = 1.0 if value_has_kind_shape(it.figure.value, it.kind, it.decimals) else 0.0
        if it.equation is not None:
            left = number(it.left_sum)
            right = number(it.right_sum)
        rows.append(
            {
                "item": it.item,
                "unit": it.unit,
                "check": it.check,
                "value": value,
                "ok": ok,
                "left": left,
                "right": right,
                "low": low,
                "high": high,
                "text": it.text,
            }
        )
    frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    for name in ("value", "ok", "left", "right", "low", "high"):
        frame[name] = frame[name].astype("float64")
    return frame


def determined_value(
    spec: FormatSpec,
    cell: Cell,
    figures: Mapping[tuple[str, str, str], Figure],
    last_year: Mapping[Cell, Number | None] | None = None,
) -> CheckItem | None:
    """An equation instance that fixes the value of the blank ``cell`` (every other term known), as a check item
    whose ``expected`` is that value; None when no rule determines it. A rule where the cell is the whole left
    side (a 总计) is preferred."""
    best: CheckItem | None = None
    for rule in _equation_rules(spec):
        if rule.table != cell.table:
            continue
        for equation in rule.equations:
            if equation.uses_previous and last_year is None:
                continue
            for line, sides in spec.expand(rule, equation):
                left = [_term(c, s, p, figures, last_year) for c, s, p in sides["left"]]
                right = [_term(c, s, p, figures, last_year) for c, s, p in sides["right"]]
                known = {(t.cell, t.previous): t.value for t in (*left, *right)}
                value = solve_term(sides, (cell, False), lambda c, p, known=known: known[(c, p)])
                if value is None:
                    continue
                item = CheckItem(
                    -1,
                    -1,
                    "",
                    equation_check(rule, rule.equations.index(equation)),
                    rule=rule,
                    cell=cell,
                    equation=equation,
                    line=line,
                    left=left,
                    right=right,
                )
                item.expected = value
                if len(left) == 1 and left[0].cell == cell:
                    return item
                best = best or item
    return best
