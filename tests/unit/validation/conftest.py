"""Returns for validation tests, built from the spec: free cells get small values, every equation's checked cell
is then solved so the return is valid; tests break exactly one rule on top of that."""

from __future__ import annotations

import random
from collections.abc import Mapping
from decimal import Decimal

import pytest

from disclosure.figures import Figure, Number, ReturnMeta, UnitReturn
from disclosure.formats import Cell, ColumnKind, FormatSpec


def _instances(spec: FormatSpec, *, previous: bool):
    for rule in spec.rules:
        if rule.kind != "equation":
            continue
        for equation in rule.equations:
            if equation.uses_previous != previous:
                continue
            for _line, sides in spec.expand(rule, equation):
                yield sides


def valid_values(spec: FormatSpec, seed: int = 0) -> dict[Cell, Number]:
    """A value for every cell of ``spec`` such that every current-year equation holds."""
    rng = random.Random(seed)
    determined = {sides["left"][0][0] for sides in _instances(spec, previous=False)}
    values: dict[Cell, Number] = {}
    for table in spec.tables:
        for cell in table.cells():
            if cell in determined:
                continue
            kind = table.column(cell.column).kind
            if kind is ColumnKind.AMOUNT:
                values[cell] = Decimal(rng.randint(0, 99999)) / 10
            elif kind is ColumnKind.SIGNED_COUNT:
                values[cell] = rng.randint(-3, 3)
            else:
                values[cell] = rng.randint(1, 4)
    progress = True
    while progress:
        progress = False
        for sides in _instances(spec, previous=False):
            terms = [(c, s, "left") for c, s, _ in sides["left"]] + [
                (c, s, "right") for c, s, _ in sides["right"]
            ]
            unknown = [t for t in terms if t[0] not in values]
            if len(unknown) != 1:
                continue
            cell, sign, side = unknown[0]
            left = sum(s * values[c] for c, s, _ in sides["left"] if c != cell)
            right = sum(s * values[c] for c, s, _ in sides["right"] if c != cell)
            values[cell] = sign * (right - left) if side == "left" else sign * (left - right)
            progress = True
    missing = [c for c in spec.cells() if c not in values]
    assert not missing, f"cannot solve {missing}"
    assert all(
        v >= 0 for c, v in values.items() if spec.table(c.table).column(c.column).kind is ColumnKind.COUNT
    )
    return values


def previous_values(spec: FormatSpec, values: Mapping[Cell, Number]) -> dict[Cell, Number]:
    """Last year's figures that make every cross-year equation hold for ``values``."""
    out: dict[Cell, Number] = {}
    for sides in _instances(spec, previous=True):
        left = sum(s * values[c] for c, s, _ in sides["left"])
        known = sum(s * values[c] for c, s, p in sides["right"] if not p)
        (prev_cell, prev_sign, _), *_ = [t for t in sides["right"] if t[2]]
        out[prev_cell] = prev_sign * (left - known)
    return out


def make_return(
    spec: FormatSpec,
    values: Mapping[Cell, Number | None],
    *,
    year: int | None = None,
    unit: str = "U01",
    raw: Mapping[Cell, str] | None = None,
    format_version: str | None = None,
    justification: str = "",
) -> UnitReturn:
    """A return as the reader would give it: figures located where a fresh template puts them."""
    from disclosure.workbook.template import template_layout

    layout = template_layout(spec)
    year = year or spec.first_year
    figures = []
    for cell in spec.cells():
        sheet, coord = layout[cell]
        figures.append(
            Figure(
                year=year,
                unit=unit,
                table=cell.table,
                row=cell.row,
                column=cell.column,
                value=values.get(cell),
                sheet=sheet,
                cell=coord,
                raw=(raw or {}).get(cell),
            )
        )
    meta = ReturnMeta(
        format_version=format_version or spec.version,
        year=year,
        unit_code=unit,
        unit_name=f"单位{unit}",
        justification=justification,
    )
    return UnitReturn(meta=meta, figures=figures)


@pytest.fixture(params=["gov-2019", "gov-2021"])
def spec(request) -> FormatSpec:
    from disclosure.formats import load_spec

    return load_spec(request.param)
