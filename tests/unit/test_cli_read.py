"""``disclosure read``: figures with their official labels; exit 0 clean, 1 problems, 2 unusable file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from disclosure.cli import main
from disclosure.formats import Cell, load_spec
from disclosure.workbook.template import fill_workbook, template_layout, write_template

pytestmark = pytest.mark.unit


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    spec = load_spec("gov-2021")
    template = write_template(spec, 2022, "U05", "测试单位", tmp_path / "t.xlsx")
    values = {cell: 1 for cell in spec.cells()}
    values[Cell("t2_8", "fees", "fee_amount")] = "0.25"
    return fill_workbook(template, tmp_path / "r.xlsx", values, contact="张三", phone="1")


def test_csv_lists_every_figure_with_labels(filled):
    result = CliRunner().invoke(main, ["read", str(filled)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == len(list(load_spec("gov-2021").cells()))
    after = next(r for r in rows if r["table"] == "t4" and r["column"] == "after_upheld")
    assert after["column_label"] == "行政诉讼 / 复议后起诉 / 结果维持"
    assert after["table_title"] == "四、政府信息公开行政复议、行政诉讼情况"
    assert (after["sheet"], after["cell"]) == template_layout(load_spec("gov-2021"))[
        Cell("t4", "cases", "after_upheld")
    ]
    law = next(r for r in rows if r["row"] == "withheld_law" and r["column"] == "total")
    assert law["row_label"] == "2.其他法律行政法规禁止公开"
    assert law["column_label"] == "申请人情况 / 总计"


def test_json_keeps_amounts_exact(filled):
    result = CliRunner().invoke(main, ["read", "--format", "json", str(filled)])
    assert result.exit_code == 0, result.output
    fee = next(r for r in json.loads(result.stdout) if r["column"] == "fee_amount")
    assert fee["value"] == "0.25" and fee["unit"] == "U05"
    assert fee["table_title"] == "二、主动公开政府信息情况 第二十条第（八）项"


def test_problems_exit_1_and_go_to_stderr_in_chinese(filled, tmp_path):
    spec = load_spec("gov-2021")
    from openpyxl import load_workbook

    sheet, coord = template_layout(spec)[Cell("t3", "new", "natural")]
    wb = load_workbook(filled)
    wb[sheet][coord] = "三件"
    wb.save(filled)
    result = CliRunner().invoke(main, ["read", str(filled)])
    assert result.exit_code == 1
    assert f"{sheet}!{coord}" in result.stderr and "“三件”不是数字" in result.stderr


def test_unusable_file_exits_2(filled, tmp_path):
    bad = tmp_path / "r.csv"
    bad.write_text("a,b\n")
    result = CliRunner().invoke(main, ["read", str(filled), str(bad)])
    assert result.exit_code == 2
    assert "CSV 文本文件" in result.stderr
