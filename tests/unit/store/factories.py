"""Small factories for the store tests: figures made directly, without the reader or the validator."""

from __future__ import annotations

from decimal import Decimal

from disclosure.figures import Figure, Number
from disclosure.formats import Cell, ColumnKind, FormatSpec

YEAR = 2021


def unit_values(spec: FormatSpec, seed: int) -> dict[Cell, Number]:
    """A consistent-looking set of values for every cell: whole numbers, and 万元 amounts with decimals.
    Different ``seed``s give different values (so sums and deltas are meaningful)."""
    values: dict[Cell, Number] = {}
    for index, cell in enumerate(spec.cells()):
        column = spec.table(cell.table).column(cell.column)
        if column.kind is ColumnKind.AMOUNT:
            values[cell] = Decimal(seed * 100 + index) / Decimal(1000)  # e.g. 3.141 万元: exact, not a float
        else:
            values[cell] = (seed * 7 + index) % 13
    return values


def as_figures(year: int, unit: str, values: dict[Cell, Number | None], spec: FormatSpec) -> list[Figure]:
    """Figures as the reader would give them, with the sheet and a made-up cell per key."""
    return [
        Figure(
            year=year,
            unit=unit,
            table=cell.table,
            row=cell.row,
            column=cell.column,
            value=value,
            sheet=spec.table(cell.table).sheet,
            cell=f"C{index + 5}",
        )
        for index, (cell, value) in enumerate(values.items())
    ]
