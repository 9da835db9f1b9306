"""The feedback workbook: a copy of the unit's own workbook with every finding marked on its cell (a fill colour
and a Chinese comment) and a ``校验结果`` sheet listing them all. This is what the admin sends back to the unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from disclosure.formats import Severity
from disclosure.validation.findings import SEVERITY_LABELS, Finding
from disclosure.workbook.cells import put_text

RESULTS_SHEET = "校验结果"
ERROR_FILL = "FFC7CE"  # light red: must be corrected
WARNING_FILL = "FFEB9C"  # light yellow: correct, or explain on the cover (差异说明)
COMMENT_AUTHOR = "校验"
RESULTS_HEADERS = ("序号", "规则", "级别", "工作表", "单元格", "应为", "实为", "说明", "已说明原因")
RESULTS_WIDTHS = (6, 9, 6, 22, 8, 12, 12, 60, 8)


def feedback_path(folder: Path, source: Path, unit: str | None = None) -> Path:
    """Where the feedback workbook of ``source`` goes: ``<folder>/<stem>-校验结果.xlsx``, with the unit code in
    front when the file name lacks it (two units both sending «年报.xlsx» must not overwrite each other)."""
    stem = Path(source).stem
    if unit and unit not in stem:
        stem = f"{unit}_{stem}"
    return Path(folder) / f"{stem}-{RESULTS_SHEET}.xlsx"


def _append_text(ws, row: int, values) -> None:
    for column, value in enumerate(values, start=1):
        put_text(ws.cell(row, column), value)


def fill_colour(finding: Finding) -> str:
    return WARNING_FILL if finding.severity is Severity.WARNING else ERROR_FILL


def write_feedback(source: Path, findings: Sequence[Finding], out_path: Path) -> Path:
    """Copy ``source`` to ``out_path`` with the findings marked; returns ``out_path``.

    Findings on a sheet and cell of the workbook get the fill and a comment (several on one cell share it; an
    error's colour wins over a warning's). Every finding, located or not, is listed on the ``校验结果`` sheet.
    """
    from openpyxl import load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    from disclosure.workbook.printing import line_count, set_up_printing

    wb = load_workbook(source)
    by_cell: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        if finding.sheet and finding.cell and finding.sheet in wb.sheetnames:
            by_cell.setdefault((finding.sheet, finding.cell), []).append(finding)
    for (sheet, coordinate), here in by_cell.items():
        cell = wb[sheet][coordinate]
        colour = ERROR_FILL if any(f.is_error for f in here) else WARNING_FILL
        cell.fill = PatternFill(fill_type="solid", start_color=colour, end_color=colour)
        text = "\n".join(f"【{f.rule} {SEVERITY_LABELS[f.severity]}】{f.message}" for f in here)
        comment = Comment(text, COMMENT_AUTHOR)
        comment.width, comment.height = 320, 40 + 18 * max(2, len(text) // 18)
        cell.comment = comment

    if RESULTS_SHEET in wb.sheetnames:
        del wb[RESULTS_SHEET]
    ws = wb.create_sheet(RESULTS_SHEET, 0)
    _append_text(ws, 1, RESULTS_HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for number, f in enumerate(findings, start=1):
        # a finding quotes the unit's own content ("=1/0", "=HYPERLINK(…)"): every field is written as text
        _append_text(
            ws,
            number + 1,
            [
                number,
                f.rule,
                SEVERITY_LABELS[f.severity],
                f.sheet or "",
                f.cell or "",
                f.expected or "",
                f.actual or "",
                f.message,
                "是" if f.justified else "",
            ],
        )
        colour = fill_colour(f)
        ws.cell(number + 1, 3).fill = PatternFill(fill_type="solid", start_color=colour, end_color=colour)
    if not findings:
        put_text(ws.cell(2, 8), "校验通过，未发现问题。")
    # Widths that fit a landscape A4 page at near full size; the messages (and long sheet names) wrap.
    for letter, width in zip("ABCDEFGHI", RESULTS_WIDTHS, strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        # tall enough for the wrapped message (or a long sheet name): printed whole, never cut
        lines = max(line_count(str(c.value or ""), w) for c, w in zip(row, RESULTS_WIDTHS, strict=False))
        ws.row_dimensions[row[0].row].height = 15 * lines
    ws.freeze_panes = "A2"
    set_up_printing(ws, landscape=True, title_rows=(1, 1))
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = False
    wb.active = 0
    ws.sheet_view.tabSelected = True
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out_path)
    return out_path
