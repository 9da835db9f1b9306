"""The report's tables as an Excel workbook: one sheet per table section, official labels and merges.

Row 1 holds the report title (with the draft marking when the report is not final), row 2 the section heading;
the table starts on row 4 exactly as drawn in the .docx (same grid). Figures are numbers, not text.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from disclosure.report.layout import Grid
from disclosure.workbook.cells import put_text
from disclosure.workbook.printing import set_up_printing

FIRST_TABLE_ROW = 4
_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_FONT = Font(name="宋体", size=10.5)
_BOLD = Font(name="宋体", size=10.5, bold=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
#: column widths in Excel characters: label columns, number columns
_LABEL_WIDTH = {1: (24,), 2: (14, 24), 3: (10, 14, 30)}
_NUMBER_WIDTH = 11


def write_xlsx(path: Path, *, title: str, grids: Sequence[Grid]) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for grid in grids:
        sheet = workbook.create_sheet(grid.caption[:31])
        put_text(sheet["A1"], title)
        sheet["A1"].font = Font(name="宋体", size=14, bold=True, color="C00000" if "草稿" in title else None)
        put_text(sheet["A2"], grid.caption)
        sheet["A2"].font = Font(name="黑体", size=12)
        for gc in grid.cells:
            row, col = FIRST_TABLE_ROW + gc.row, 1 + gc.col
            target = sheet.cell(row=row, column=col)
            if gc.role == "number" and gc.cell is not None:
                target.value = int(gc.text) if gc.text.lstrip("-").isdigit() else Decimal(gc.text)
            else:
                put_text(target, gc.text or None)  # labels and prose are text, never formulas
            alignment = _LEFT if gc.role == "label" else _CENTER
            font = _BOLD if gc.role == "clause" else _FONT
            for y in range(row, row + gc.rowspan):
                for x in range(col, col + gc.colspan):
                    c = sheet.cell(row=y, column=x)
                    c.border = _BORDER
                    c.font = font
                    c.alignment = alignment
            if gc.rowspan > 1 or gc.colspan > 1:
                sheet.merge_cells(
                    start_row=row,
                    start_column=col,
                    end_row=row + gc.rowspan - 1,
                    end_column=col + gc.colspan - 1,
                )
        widths = [
            *_LABEL_WIDTH.get(grid.label_cols, ()),
            *([_NUMBER_WIDTH] * (grid.n_cols - grid.label_cols)),
        ]
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        # Title and heading rows plus the table's header rows repeat on every page; scaled to the page's width,
        # so a wide table (三) prints row by row, not column by column.
        last = FIRST_TABLE_ROW + max(grid.header_rows) if grid.header_rows else 2
        set_up_printing(sheet, landscape=grid.n_cols > 10, title_rows=(1, last))
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path
