"""One shape for figures: a return, the store and the totals all hold records keyed by
``(year, unit, table, row, column)`` with a ``value`` and, when read from a workbook, its ``sheet`` and ``cell``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from disclosure.errors import Problem

if TYPE_CHECKING:
    import pandas as pd

Number = int | Decimal

FIGURE_COLUMNS = ("year", "unit", "table", "row", "column", "value", "sheet", "cell", "raw")


@dataclass(frozen=True, slots=True)
class Figure:
    year: int
    unit: str
    table: str
    row: str
    column: str
    value: Number | None  # None: blank or unusable (see ``raw``); a blank is never a 0
    sheet: str | None = None
    cell: str | None = None
    raw: str | None = None  # the cell's content as found, when it is not a clean number

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.table, self.row, self.column)


@dataclass(frozen=True)
class ReturnMeta:
    """What the cover sheet and the template identity say about a return."""

    format_version: str
    year: int
    unit_code: str
    unit_name: str = ""
    template_revision: str = ""
    contact: str = ""
    phone: str = ""
    justification: str = ""  # the unit's written explanation of warnings (差异说明)
    nothing_to_report: bool = False  # the cover's declaration 本年度无依申请公开等事项，各表均为 0 is ticked
    signature: str = ""  # the template identity's signature (``workbook.signature``); "" in old templates


@dataclass
class UnitReturn:
    """A unit's return: its identity, its figures, and the cell-level problems the reader found."""

    meta: ReturnMeta
    figures: list[Figure]
    path: Path | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def unit(self) -> str:
        return self.meta.unit_code

    @property
    def year(self) -> int:
        return self.meta.year

    def values(self) -> dict[tuple[str, str, str], Number | None]:
        return {f.key: f.value for f in self.figures}

    def figure(self, table: str, row: str, column: str) -> Figure:
        for f in self.figures:
            if f.key == (table, row, column):
                return f
        raise KeyError((table, row, column))

    def to_frame(self) -> pd.DataFrame:
        return figures_frame(self.figures)


def figures_frame(figures: Iterable[Figure]) -> pd.DataFrame:
    """Tidy DataFrame of figures, one row per figure, values kept exact (object dtype: int/Decimal/None)."""
    import pandas as pd

    rows = [asdict(f) for f in figures]
    frame = pd.DataFrame(rows, columns=list(FIGURE_COLUMNS))
    frame["value"] = frame["value"].astype(object)
    return frame


def iter_records(figures: Iterable[Figure]) -> Iterator[dict]:
    for f in figures:
        record = asdict(f)
        if isinstance(record["value"], Decimal):
            record["value"] = str(record["value"])
        yield record
