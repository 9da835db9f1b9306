"""The rendered 2020 report's tables equal the seed's tables cell by cell (.docx and .xlsx read back)."""

from __future__ import annotations

import re

import docx
import pytest

from tests.conftest import SEED_FILE
from tests.seed_2020 import seed_figures
from tests.unit.report.conftest import docx_grid, xlsx_grids

pytestmark = [
    pytest.mark.unit,
    pytest.mark.skipif(not SEED_FILE.exists(), reason="../shared/seed is not beside the checkout"),
]


def norm(text: str) -> str:
    """Compare labels as printed: the seed's extraction uses half-width brackets, spaces and lost quotes."""
    text = text.replace("(", "（").replace(")", "）").replace(",", "，")
    return re.sub(r"[\s“”\"]", "", text)


def seed_block(start: str, end: str) -> list[list[str]]:
    """The lines of the seed between two section headings, split into cells at tabs."""
    lines = SEED_FILE.read_text(encoding="utf-8").splitlines()
    block = lines[lines.index(start) + 1 : lines.index(end)]
    return [line.split("\t") for line in block if line.strip()]


@pytest.fixture(scope="module")
def docx_tables(seed_report):
    return [docx_grid(t) for t in docx.Document(str(seed_report.docx)).tables]


def assert_seed_row(seed_row: list[str], printed: list[str]) -> None:
    """Each seed cell (truncated labels allowed, unit stripped from amounts) starts the printed cell."""
    seed_row = seed_row + [""] * (len(printed) - len(seed_row))
    assert len(seed_row) == len(printed), (seed_row, printed)
    for seed_cell, cell in zip(seed_row, printed, strict=True):
        seed_cell = norm(seed_cell.removesuffix(" 万元"))
        if seed_cell == "":
            assert cell == "", (seed_row, printed)
        else:
            assert norm(cell).startswith(seed_cell), (seed_cell, cell)


def test_table_2_equals_seed_cell_by_cell(docx_tables):
    # the seed's 二 is one table: clause row, header row, rows, for each of the five clauses
    seed = seed_block("二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况")
    printed = docx_tables[0]
    assert len(printed) == len(seed) == 18
    for seed_row, row in zip(seed, printed, strict=True):
        assert_seed_row(seed_row, row)
    assert printed[-1] == ["政府集中采购", "50", "3421.7", ""]
    assert printed[-2] == ["信息内容", "采购项目数量", "采购总金额（万元）", ""]


def test_table_3_equals_seed_figures_labels_and_layout(docx_tables, spec2019):
    printed = docx_tables[1]
    corner = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    # the published header: corner over 3 label columns × 3 header rows; 申请人情况 over all 7 columns;
    # 自然人 and 总计 down two rows; 法人或其他组织 over its five kinds
    assert printed[0] == [corner, "", "", "申请人情况", "", "", "", "", "", ""]
    assert printed[1] == ["", "", "", "自然人", "法人或其他组织", "", "", "", "", "总计"]
    assert printed[2] == ["", "", "", "", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", ""]
    seed = seed_block("三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况")
    seed_headers = {norm(c) for row in seed[:3] for c in row if c}
    assert seed_headers == {norm(c) for row in printed[:3] for c in row if c}
    seed_rows = [row for row in seed[3:]]
    body = printed[3:]
    assert len(body) == len(seed_rows) == 23
    for seed_row, row in zip(seed_rows, body, strict=True):
        seed_cells = [c for c in seed_row if c != ""]
        seed_numbers, seed_labels = seed_cells[-7:], seed_cells[:-7]
        assert row[3:] == seed_numbers
        labels = [c for c in row[:3] if c]
        assert norm(labels[-1]).startswith(norm(seed_labels[-1]))
    # full official labels where the seed truncated them
    label_cells = {c for row in body for c in row[:3] if c}
    assert {
        "3.危及“三安全一稳定”",
        "4.保护第三方合法权益",
        "3.要求提供公开出版物",
        "7.属于行政执法案卷",
    } <= label_cells
    # group rows: 三、本年度办理结果 printed once, on its first row, spanning its descendants
    assert [row[0] for row in body].count("三、本年度办理结果") == 1
    assert body[2][:2] == ["三、本年度办理结果", "（一）予以公开"]
    # every figure, keyed by the spec: the seed's transcription
    figures = seed_figures()
    table = spec2019.table("t3")
    for row, spec_row in zip(body, table.number_rows, strict=True):
        assert row[3:] == [str(figures[("t3", spec_row.id, c.id)]) for c in table.columns]


def test_table_4_equals_seed_cell_by_cell(docx_tables):
    seed = seed_block("四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况")
    printed = docx_tables[2]
    assert len(printed) == len(seed) == 4
    for seed_row, row in zip(seed, printed, strict=True):
        assert row == seed_row + [""] * (15 - len(seed_row))


def test_docx_merges_are_real_merges(seed_report):
    table = docx.Document(str(seed_report.docx)).tables[1]
    corner = table._tbl.tr_lst[0].tc_lst[0]
    assert corner.grid_span == 3
    assert table.cell(0, 0)._tc is not table.cell(0, 3)._tc
    # 申请人情况 spans the 7 number columns
    assert table._tbl.tr_lst[0].tc_lst[1].grid_span == 7


def test_xlsx_tables_equal_docx_tables(seed_report, docx_tables, spec2019):
    from disclosure.report.tables_xlsx import FIRST_TABLE_ROW

    sheets = xlsx_grids(seed_report.xlsx, FIRST_TABLE_ROW)
    assert list(sheets) == [s.heading for s in spec2019.sections if s.kind == "tables"]
    for grid, printed in zip(sheets.values(), docx_tables, strict=True):
        assert grid == printed


def test_xlsx_figures_are_numbers_and_equal_the_seed(seed_report, spec2019):
    from openpyxl import load_workbook

    workbook = load_workbook(seed_report.xlsx)
    sheet = workbook["二、主动公开政府信息情况"]
    values = {row[0].value: [c.value for c in row[1:]] for row in sheet.iter_rows(min_row=4) if row[0].value}
    assert values["政府集中采购"][:2] == [50, 3421.7]
    figures = seed_figures()
    table = spec2019.table("t3")
    rows = list(workbook["三、收到和处理政府信息公开申请情况"].iter_rows(min_row=4 + 3, values_only=True))
    assert len(rows) == len(table.number_rows)
    for values_row, spec_row in zip(rows, table.number_rows, strict=True):
        assert list(values_row[3:]) == [figures[("t3", spec_row.id, c.id)] for c in table.columns]
        assert all(type(v) is int for v in values_row[3:])
