"""Generated workbooks never contain a formula the project did not write: text from data (registry names and
contact fields, findings quoting a unit's content, report labels) is written as text, whatever it starts with.

Each workbook is scanned cell by cell as Excel would load it: no formula (and no error value) may hold the
injected text, and the text itself must be there as a string.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from disclosure.consolidation import Totals, write_consolidated_return
from disclosure.formats import Severity, load_spec
from disclosure.report.layout import Grid, GridCell
from disclosure.report.tables_xlsx import write_xlsx
from disclosure.validation.feedback import write_feedback
from disclosure.validation.findings import Finding
from disclosure.workbook.template import fill_workbook, write_template

pytestmark = pytest.mark.unit

HYPERLINK = '=HYPERLINK("http://example.invalid/x","点击查看")'
SUM = "=1+1"
ERROR = "#N/A"
INJECTED = (HYPERLINK, SUM, ERROR)


def _cells(path: Path):
    wb = load_workbook(path)
    try:
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is not None:
                        yield ws.title, cell
    finally:
        wb.close()


def assert_only_text(path: Path, *texts: str) -> None:
    found = set()
    for sheet, cell in _cells(path):
        value = str(cell.value)
        for text in texts:
            if text in value:
                assert cell.data_type in ("s", "inlineStr"), (sheet, cell.coordinate, value, cell.data_type)
                found.add(text)
        assert not (cell.data_type == "f" and any(t.lstrip("=") in value for t in texts)), (
            sheet,
            cell.coordinate,
        )
        assert cell.data_type != "e", (sheet, cell.coordinate, value)
    assert found == set(texts), set(texts) - found


def test_template_and_filled_cover_keep_registry_text_as_text(tmp_path):
    spec = load_spec("gov-2021")
    template = write_template(spec, 2022, "U03", HYPERLINK, tmp_path / "template.xlsx")
    assert_only_text(template, HYPERLINK)
    filled = fill_workbook(template, tmp_path / "filled.xlsx", {}, contact=SUM, phone=ERROR)
    assert_only_text(filled, HYPERLINK, SUM, ERROR)
    # the project's own live checks are still formulas
    assert any(cell.data_type == "f" for _, cell in _cells(filled))


def test_consolidated_return_keeps_bureau_text_as_text(tmp_path, registry):
    spec = load_spec("gov-2021")
    bureau = registry.bureau.model_copy(update={"name": HYPERLINK, "office": SUM, "phone": ERROR})
    registry = registry.model_copy(update={"bureau": bureau})
    totals = Totals(
        year=2022,
        format_version=spec.version,
        bureau=bureau.code,
        values=dict.fromkeys(spec.cells(), 0),
        contributing_units=tuple(registry.codes),
        missing_units=(),
        invalid_units=(),
    )
    path = write_consolidated_return(totals, spec, registry, tmp_path / "bureau.xlsx")
    assert_only_text(path, HYPERLINK, SUM, ERROR)


def test_feedback_workbook_keeps_findings_as_text(tmp_path):
    spec = load_spec("gov-2021")
    source = write_template(spec, 2022, "U03", "测试单位", tmp_path / "return.xlsx")
    finding = Finding(
        rule="R6",
        severity=Severity.ERROR,
        message=f"内容“{HYPERLINK}”不是数字。",
        unit="U03",
        sheet="封面",
        cell="B9",
        expected=ERROR,
        actual=SUM,
    )
    out = write_feedback(source, [finding], tmp_path / "feedback.xlsx")
    assert_only_text(out, HYPERLINK, SUM, ERROR)


def test_report_tables_workbook_keeps_labels_as_text(tmp_path):
    grid = Grid(
        section="二",
        caption="二、主动公开政府信息情况",
        n_rows=1,
        n_cols=2,
        label_cols=1,
        cells=(GridCell(0, 0, SUM, "label"), GridCell(0, 1, HYPERLINK, "header")),
    )
    path = write_xlsx(tmp_path / "tables.xlsx", title=f"{ERROR} 政府信息公开工作年度报告", grids=[grid])
    assert_only_text(path, HYPERLINK, SUM, ERROR)
