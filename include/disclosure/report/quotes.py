"""R7 正文与表格一致: numbers the prose quotes must equal the tables.

Two sources of quoted numbers: figures inserted with ``fig()`` (they come from the totals, so R7 only has to know
the cell exists), and numbers typed by hand in known phrases, which the format spec lists as data
(``rules[R7].quotes``: a pattern with one number group and the cell it quotes). A hand-typed «本年度受理依申请公开
3 件次» while the table says 1 is a contradiction and the report is not rendered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from disclosure.errors import ReportError
from disclosure.formats import Cell, FormatSpec
from disclosure.report.environment import format_number

PROSE_RULE = "R7"


@dataclass(frozen=True)
class QuoteMismatch:
    """A phrase of the prose whose number differs from the table."""

    phrase: str
    quoted: Decimal
    table_value: int | Decimal
    cells: tuple[Cell, ...]
    where: str  # the tables' labels of the cells, as a reader finds them

    def message(self) -> str:
        return (
            f"正文“{self.phrase}”中的数字 {format_number(self.quoted)} 与表格“{self.where}”的 "
            f"{format_number(self.table_value)} 不一致"
        )


def _describe(spec: FormatSpec, cells: tuple[Cell, ...]) -> str:
    parts = []
    for cell in cells:
        table = spec.table(cell.table)
        row = table.row(cell.row)
        column = table.column(cell.column)
        where = f"{table.section}、{row.label}" if row.printed else table.section
        parts.append(f"{where}／{'／'.join((*column.header, column.display_label))}")
    return " + ".join(parts)


def find_mismatches(text: str, spec: FormatSpec, totals: Mapping[Cell, int | Decimal]) -> list[QuoteMismatch]:
    """Every phrase of ``text`` (per the spec's R7 quotes) whose number differs from the tables."""
    try:
        rule = spec.rule(PROSE_RULE)
    except KeyError:
        return []
    out: list[QuoteMismatch] = []
    for quote in rule.quotes:
        for m in quote.regex.finditer(text):
            if quote.value is not None:
                quoted = Decimal(quote.value)
            else:
                try:
                    quoted = Decimal(m.group(1))
                except InvalidOperation:  # the pattern captured something that is not a number
                    raise ReportError(
                        f"R7 的短语模式 {quote.pattern!r} 捕获的“{m.group(1)}”不是数字"
                    ) from None
            values = []
            for cell in quote.cells:
                value = totals.get(cell)
                if value is None:
                    raise ReportError(
                        f"正文“{m.group(0)}”引用的表格数字（{_describe(spec, (cell,))}）在汇总数据中缺失"
                    )
                values.append(value)
            table_value = sum(values)
            if Decimal(table_value) != quoted:
                out.append(
                    QuoteMismatch(m.group(0), quoted, table_value, quote.cells, _describe(spec, quote.cells))
                )
    return out


def check_quotes(text: str, spec: FormatSpec, totals: Mapping[Cell, int | Decimal]) -> None:
    """Raise :class:`ReportError` listing every prose number that contradicts the tables."""
    mismatches = find_mismatches(text, spec, totals)
    if mismatches:
        lines = "\n".join(f"  - {m.message()}" for m in mismatches)
        raise ReportError(f"R7 正文与表格一致：报告正文中有 {len(mismatches)} 处数字与表格不一致\n{lines}")
