"""The printed layout of the report's tables, derived from the format spec: one grid per table section.

A grid is what the .docx, .html and .xlsx writers draw: anchor cells with their row/column spans (merged
headers, group rows spanning their children, clause rows across 二's combined table). Nothing here knows a row
or column by name; everything comes from ``Table.rows`` and ``Column.header``.

Layout of a table (GB 2019/2021 published format):
- Header rows: the corner cell over the label columns and all header rows; a column's parent headers (e.g.
  申请人情况 over the 7 columns of 三, 法人或其他组织 over 5) on the upper rows, merged across siblings; its label
  on the next row, merged down to the deepest header row.
- Label columns (3 in 三): a level-0 number row's label spans all label columns; a group row's label spans its
  descendants vertically; a level-1 number row spans the remaining label columns.
- 二's sub-tables share one table: a clause row (第二十条第（一）项) across the full width, then the sub-table;
  a sub-table narrower than the widest one stretches its last column to the full width.
- A table whose rows are all unprinted and whose corner is empty (四) has no label column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from disclosure.errors import ReportError
from disclosure.formats import Cell, Column, FormatSpec, Table
from disclosure.report.environment import format_number

Role = Literal["clause", "corner", "header", "label", "number"]
Totals = Mapping[Cell, int | Decimal]


@dataclass(frozen=True)
class GridCell:
    """One drawn cell (the top-left anchor of a merge)."""

    row: int
    col: int
    text: str
    role: Role
    rowspan: int = 1
    colspan: int = 1
    html_id: str = ""  # for header and label cells: the id data cells point at (HTML ``headers``)
    headers: tuple[str, ...] = ()  # for number cells: the ids of the headers and labels that describe it
    cell: Cell | None = None  # for number cells: the figure shown
    level: int = 0  # for label cells: depth of the row in the tree


@dataclass(frozen=True)
class Grid:
    """A section's table as drawn: ``n_rows`` × ``n_cols`` positions covered by ``cells``."""

    section: str  # 二 / 三 / 四
    caption: str  # the section heading, e.g. 三、收到和处理政府信息公开申请情况
    n_rows: int
    n_cols: int
    label_cols: int
    cells: tuple[GridCell, ...]
    header_rows: frozenset[int] = field(default_factory=frozenset)  # rows to repeat / mark as <thead>

    def text_grid(self) -> list[list[str]]:
        """Every position's text; positions covered by a merge are empty (as a merged cell reads in print)."""
        out = [["" for _ in range(self.n_cols)] for _ in range(self.n_rows)]
        for c in self.cells:
            out[c.row][c.col] = c.text
        return out

    def rows(self) -> list[list[GridCell]]:
        """Anchor cells grouped by row, left to right."""
        out: list[list[GridCell]] = [[] for _ in range(self.n_rows)]
        for c in sorted(self.cells, key=lambda c: (c.row, c.col)):
            out[c.row].append(c)
        return out


def value_of(totals: Totals, cell: Cell, table: Table) -> int | Decimal:
    """The total of one cell; a missing total raises (a blank is never printed as 0)."""
    value = totals.get(cell)
    if value is None:
        row = table.row(cell.row)
        column = table.column(cell.column)
        raise ReportError(
            f"汇总数据缺少“{table.title}”中“{row.label}／{column.display_label}”的数字"
            f"（{cell.table}.{cell.row}.{cell.column}），无法生成报告"
        )
    return value


def _has_label_column(table: Table) -> bool:
    return bool(table.corner) or any(r.printed for r in table.rows)


def _label_depth(table: Table) -> int:
    return max(r.level for r in table.rows) + 1


class _Builder:
    def __init__(self, n_cols: int) -> None:
        self.n_cols = n_cols
        self.cells: list[GridCell] = []
        self.row = 0
        self.header_rows: set[int] = set()

    def add(self, cell: GridCell) -> None:
        self.cells.append(cell)


def _header_block(
    b: _Builder, table: Table, label_cols: int, width: int, prefix: str
) -> dict[str, list[str]]:
    """Draw the header rows of ``table`` starting at ``b.row``; return the header ids over each column."""
    depth = table.max_header_depth
    top = b.row
    columns = list(table.columns)
    if label_cols:
        b.add(
            GridCell(
                top, 0, table.corner, "corner", rowspan=depth, colspan=label_cols, html_id=f"{prefix}-corner"
            )
        )
    ids: dict[str, list[str]] = {c.id: [] for c in columns}
    for level in range(depth):
        i = 0
        while i < len(columns):
            col = columns[i]
            col_x = label_cols + i
            if level < len(col.header):
                # a parent header: merge across the following columns with the same path down to this level
                j = i
                while j + 1 < len(columns) and columns[j + 1].header[: level + 1] == col.header[: level + 1]:
                    j += 1
                hid = f"{prefix}-h{level}-{col.id}"
                b.add(
                    GridCell(top + level, col_x, col.header[level], "header", colspan=j - i + 1, html_id=hid)
                )
                for k in range(i, j + 1):
                    ids[columns[k].id].append(hid)
                i = j + 1
                continue
            if level == len(col.header):
                span = width - col_x if i == len(columns) - 1 else 1
                hid = f"{prefix}-c-{col.id}"
                b.add(
                    GridCell(
                        top + level,
                        col_x,
                        _column_text(col),
                        "header",
                        rowspan=depth - level,
                        colspan=span,
                        html_id=hid,
                    )
                )
                ids[col.id].append(hid)
            i += 1
    for r in range(top, top + depth):
        b.header_rows.add(r)
    b.row = top + depth
    return ids


def _column_text(col: Column) -> str:
    return col.display_label


def _body(
    b: _Builder,
    table: Table,
    label_cols: int,
    width: int,
    col_ids: dict[str, list[str]],
    totals: Totals,
    prefix: str,
) -> None:
    printed_rows = [r for r in table.rows if r.printed]
    label_depth = _label_depth(table)
    # the label column a row of level L starts in: spread the levels over the label columns
    first_row_of: dict[str, int] = {}
    row_ids: dict[str, list[str]] = {}
    y = b.row
    number_y: dict[str, int] = {}
    for r in table.rows:
        if r.group:
            continue
        number_y[r.id] = y
        y += 1
    # a group's rows are its number descendants; it starts where the first one is drawn
    for r in table.rows:
        leaves = table.leaves(r.id)
        first_row_of[r.id] = number_y[leaves[0]]
    for r in table.rows:
        chain: list[str] = []
        parent = r.parent
        while parent is not None:
            chain.insert(0, f"{prefix}-r-{parent}")
            parent = table.row(parent).parent
        row_ids[r.id] = [*chain, f"{prefix}-r-{r.id}"]
    if label_cols and printed_rows:
        for r in printed_rows:
            x = (
                min(r.level, label_cols - 1)
                if label_depth <= label_cols
                else r.level * label_cols // label_depth
            )
            leaves = table.leaves(r.id)
            if r.group:
                rowspan, colspan = len(leaves), 1
            else:
                rowspan, colspan = 1, label_cols - x
            b.add(
                GridCell(
                    first_row_of[r.id],
                    x,
                    r.label,
                    "label",
                    rowspan=rowspan,
                    colspan=colspan,
                    html_id=f"{prefix}-r-{r.id}",
                    level=r.level,
                )
            )
    columns = list(table.columns)
    for r in table.number_rows:
        for i, col in enumerate(columns):
            cell = Cell(table.id, r.id, col.id)
            span = width - (label_cols + i) if i == len(columns) - 1 else 1
            labels = row_ids[r.id] if r.printed else []
            b.add(
                GridCell(
                    number_y[r.id],
                    label_cols + i,
                    format_number(value_of(totals, cell, table)),
                    "number",
                    colspan=span,
                    headers=(*col_ids[col.id], *labels),
                    cell=cell,
                )
            )
    b.row = y


def section_grid(spec: FormatSpec, section: str, totals: Totals) -> Grid:
    """The drawn table of a table section (二, 三 or 四), with the totals filled in."""
    tables = [t for t in spec.tables if t.section == section]
    if not tables:
        raise ReportError(f"格式 {spec.version} 的第{section}部分没有表格")
    label_cols = max((t.label_columns if _has_label_column(t) else 0) for t in tables)
    n_cols = label_cols + max(len(t.columns) for t in tables)
    b = _Builder(n_cols)
    combined = len(tables) > 1
    for t in tables:
        prefix = t.id.replace("_", "-")
        if combined:
            b.add(GridCell(b.row, 0, t.title, "clause", colspan=n_cols, html_id=f"{prefix}-clause"))
            b.row += 1
        col_ids = _header_block(b, t, label_cols, n_cols, prefix)
        _body(b, t, label_cols, n_cols, col_ids, totals, prefix)
    heading = spec.section(section).heading
    grid = Grid(
        section=section,
        caption=heading,
        n_rows=b.row,
        n_cols=n_cols,
        label_cols=label_cols,
        cells=tuple(b.cells),
        header_rows=frozenset(b.header_rows) if not combined else frozenset(),
    )
    _check_coverage(grid)
    return grid


def table_sections(spec: FormatSpec) -> list[str]:
    """The numbers of the sections that hold tables, in order (二、三、四)."""
    return [s.number for s in spec.sections if s.kind == "tables"]


def section_grids(spec: FormatSpec, totals: Totals) -> list[Grid]:
    return [section_grid(spec, number, totals) for number in table_sections(spec)]


def _check_coverage(grid: Grid) -> None:
    # every position is drawn exactly once: a spec whose tree the layout cannot draw fails loudly here
    seen = [[0] * grid.n_cols for _ in range(grid.n_rows)]
    for c in grid.cells:
        for y in range(c.row, c.row + c.rowspan):
            for x in range(c.col, c.col + c.colspan):
                seen[y][x] += 1
    bad = [(y, x) for y in range(grid.n_rows) for x in range(grid.n_cols) if seen[y][x] != 1]
    if bad:
        raise ReportError(f"第{grid.section}部分表格版式有重叠或空缺位置：{bad[:5]}")


def row_label_path(table: Table, row_id: str) -> list[str]:
    """Labels from the top group down to the row (for exports)."""
    out: list[str] = []
    row = table.row(row_id)
    while True:
        out.insert(0, row.label)
        if row.parent is None:
            return out
        row = table.row(row.parent)


def column_label_path(column: Column) -> list[str]:
    return [*column.header, column.display_label]


def caption_rows(spec: FormatSpec, sections: Sequence[str]) -> list[str]:
    return [spec.section(s).heading for s in sections]
