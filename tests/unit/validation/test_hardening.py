"""The checks never raise on a number a spreadsheet can hold, one return's fault never stops the others, and
messages say what is wrong and what it should be.

The batch tests go through the real road (``disclosure accept``: archive → read → validate → accept) with the
project's own sample returns.
"""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_return, valid_values
from openpyxl import load_workbook

from disclosure.cli import main
from disclosure.formats import Cell, load_spec
from disclosure.validation import validate_returns
from disclosure.validation.checks import value_has_kind_shape
from disclosure.validation.findings import SYSTEM_RULE
from disclosure.workbook.sample import write_sample_returns
from disclosure.workbook.template import template_layout

pytestmark = pytest.mark.unit

FEE = Cell("t2_8", "fees", "fee_amount")
LICENSING = Cell("t2_5", "licensing", "decisions")


@pytest.mark.parametrize(
    "number",
    [
        Decimal("1E+308"),
        Decimal("-1E+308"),
        Decimal("1E+400"),
        Decimal("NaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        Decimal("-0"),
        Decimal("1234567890123456789012345678901234.5"),
        10**400,
    ],
)
def test_checks_never_raise_on_any_number(number):
    spec = load_spec("gov-2021")
    values = valid_values(spec)
    values[FEE] = number
    values[LICENSING] = number if isinstance(number, int) else values[LICENSING]
    findings = validate_returns([make_return(spec, values)], spec)  # no exception
    fee = [f for f in findings if f.key == FEE]
    if isinstance(number, Decimal) and not number.is_finite():
        assert fee and all(f.rule == "R6" for f in fee)  # never a figure
    else:
        # an exact number (the reader reports implausible magnitudes of workbooks; a return built in memory,
        # like the bureau's totals, is checked exactly)
        assert all(f.rule == "R6" for f in fee)


def test_kind_shape_is_exact_for_huge_numbers():
    assert value_has_kind_shape(Decimal("1E+308"), spec_kind("amount"), 4)
    assert value_has_kind_shape(Decimal("12345678901234567890123456789012.1234"), spec_kind("amount"), 4)
    assert not value_has_kind_shape(Decimal("12345678901234567890123456789012.12345"), spec_kind("amount"), 4)
    assert not value_has_kind_shape(Decimal("1" + "0" * 308 + ".5"), spec_kind("count"), None)
    assert not value_has_kind_shape(Decimal("NaN"), spec_kind("count"), None)


def spec_kind(name: str):
    from disclosure.formats import ColumnKind

    return ColumnKind(name)


def test_a_blank_total_says_what_it_should_be():
    spec = load_spec("gov-2021")
    values = valid_values(spec)
    values[Cell("t3", "new", "natural")], values[Cell("t3", "new", "business")] = 250, 22
    for column in ("research", "nonprofit", "legal", "other_org"):
        values[Cell("t3", "new", column)] = 0
    values[Cell("t3", "new", "total")] = None  # published reports do leave 总计 blank
    findings = validate_returns([make_return(spec, values)], spec)
    (finding,) = [f for f in findings if f.key == Cell("t3", "new", "total")]
    assert finding.rule == "R6" and finding.expected == "272" and finding.actual == "空白"
    assert finding.message == (
        f"第三表 {finding.cell}（一、本年新收政府信息公开申请数量·总计）未填写：按R4 申请人合计"
        "（自然人 250 + 法人或其他组织·商业企业 22 + 法人或其他组织·科研机构 0 + 法人或其他组织·社会公益组织 0"
        " + 法人或其他组织·法律服务机构 0 + 法人或其他组织·其他 0）应为 272。请填写 272（报表中的数字不得留空）。"
    )


def test_a_blank_term_says_what_it_should_be():
    spec = load_spec("gov-2021")
    values = valid_values(spec)
    natural = Cell("t3", "new", "natural")
    expected = values[natural]
    values[natural] = None
    findings = validate_returns([make_return(spec, values)], spec)
    (finding,) = [f for f in findings if f.key == natural]
    assert finding.expected == str(expected)
    assert re.search(rf"未填写：按R\d \S+（.*本格.*）应为 {expected}。", finding.message), finding.message


def test_an_undetermined_blank_keeps_the_plain_message():
    spec = load_spec("gov-2021")
    values = valid_values(spec)
    values[LICENSING] = None
    (finding,) = validate_returns([make_return(spec, values)], spec)
    assert finding.message.endswith("未填写：没有发生的请填 0，不得留空。")


def test_text_error_code_is_named_not_called_blank():
    spec = load_spec("gov-2021")
    values = valid_values(spec)
    values[LICENSING] = None
    ret = make_return(spec, values, raw={LICENSING: "#DIV/0!"})
    (finding,) = validate_returns([ret], spec)
    assert finding.actual == "#DIV/0!" and "未填写" not in finding.message
    assert "内容“#DIV/0!”不是数字" in finding.message


# ------------------------------------------------------------------------------------------- one bad file


def _accept(data_dir: Path, paths: list[Path]) -> list[dict]:
    result = CliRunner().invoke(main, ["accept", *map(str, paths), "--json", "--no-docs"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


@pytest.fixture(scope="module")
def sample_2021(tmp_path_factory, registry):
    return write_sample_returns(2021, tmp_path_factory.mktemp("batch"), registry)


def _poison(path: Path, value) -> None:
    spec = load_spec("gov-2021")
    sheet, coord = template_layout(spec)[FEE]
    wb = load_workbook(path)
    wb[sheet][coord].value = value
    wb.save(path)


@pytest.mark.slow
def test_a_batch_of_twelve_with_one_poisoned_file_accepts_the_other_eleven(data_dir, sample_2021, tmp_path):
    paths = []
    for sample in sample_2021:
        paths.append(shutil.copy(sample.path, tmp_path / sample.path.name))
    _poison(Path(paths[4]), 1e308)
    results = _accept(data_dir, paths)
    assert len(results) == 12
    poisoned = results[4]
    assert not poisoned["accepted"]
    (finding,) = poisoned["findings"]
    assert "数字 1E+308 超出合理范围：金额不应超过 10000000万元" in finding["message"]
    assert [r["unit"] for r in results if r["accepted"]] == [
        r["unit"] for i, r in enumerate(results) if i != 4
    ]


@pytest.mark.slow
def test_a_fault_while_checking_one_return_is_that_returns_system_finding(
    data_dir, sample_2021, tmp_path, monkeypatch
):
    """Whatever goes wrong inside the checks of one return (here: a fault planted in its cell check) becomes a
    SYSTEM finding of that return alone; the other eleven are judged and accepted as usual."""
    import disclosure.validation.checks as checks

    poisoned_unit = sample_2021[7].unit
    real = checks._return_items

    def faulty(items, index, ret, *args):
        if ret.unit == poisoned_unit:
            raise ArithmeticError("planted fault")
        return real(items, index, ret, *args)

    monkeypatch.setattr(checks, "_return_items", faulty)
    paths = [shutil.copy(s.path, tmp_path / s.path.name) for s in sample_2021]
    results = _accept(data_dir, paths)
    by_unit = {r["unit"]: r for r in results}
    (finding,) = by_unit[poisoned_unit]["findings"]
    assert finding["rule"] == SYSTEM_RULE and not by_unit[poisoned_unit]["accepted"]
    assert finding["message"].startswith(
        "系统校验本表时出错（ArithmeticError），本表暂时无法判定是否通过。这不是填报错误"
    )
    assert all(r["accepted"] for u, r in by_unit.items() if u != poisoned_unit)


@pytest.mark.slow
def test_a_gx_run_that_fails_with_one_return_judges_the_others_one_by_one(
    data_dir, sample_2021, tmp_path, monkeypatch
):
    import disclosure.validation.validate as validate

    poisoned_unit = sample_2021[2].unit
    real = validate.run_suite

    def run_suite(frame, suite, **kwargs):
        if poisoned_unit in set(frame["unit"]):
            raise RuntimeError("GX could not evaluate")
        return real(frame, suite, **kwargs)

    monkeypatch.setattr(validate, "run_suite", run_suite)
    paths = [shutil.copy(s.path, tmp_path / s.path.name) for s in sample_2021[:4]]
    results = _accept(data_dir, paths)
    by_unit = {r["unit"]: r for r in results}
    assert [f["rule"] for f in by_unit[poisoned_unit]["findings"]] == [SYSTEM_RULE]
    assert all(r["accepted"] for u, r in by_unit.items() if u != poisoned_unit)


def test_findings_quote_what_the_unit_sees(data_dir, sample_2021, tmp_path):
    """Through ``validate_files``: the R6 finding of a cell carries the reader's advice, located in the table."""
    from disclosure.validation import validate_files

    spec = load_spec("gov-2021")
    layout = template_layout(spec)
    path = Path(shutil.copy(sample_2021[0].path, tmp_path / sample_2021[0].path.name))
    wb = load_workbook(path)
    sheet, fee = layout[FEE]
    wb[sheet][fee].value = 7.051
    wb[sheet][fee].number_format = "0.00%"
    sheet3, total = layout[Cell("t3", "new", "total")]
    wb[sheet3][total].value = "#DIV/0!"  # typed: an error value, not a blank
    wb.save(path)
    (result,) = validate_files([path], docs=False).files
    by_cell = {f.cell: f for f in result.findings}
    assert by_cell[fee].rule == "R6" and by_cell[fee].message == (
        f"第二表（第二十条第（八）项） {fee}（行政事业性收费·本年收费金额（单位：万元））显示为“705.10%”（单元格格式为百分比），"
        "而单元格中的数字是 7.051。请将单元格格式设为“常规”或“数值”，再按本表的含义填写。"
        "请只填写以万元计的数字（最多 4 位小数），不要填写文字或单位；没有发生的填 0。"
    )
    assert by_cell[total].rule == "R6" and "未填写" not in by_cell[total].message
    assert "内容是错误值“#DIV/0!”（除数为 0），不是数字" in by_cell[total].message
