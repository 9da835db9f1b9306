"""The reader reads what a person sees: hidden rows, columns and sheets are never read (their content is reported),
number formats that change what a number means are reported quoting what the cell shows, error values and
formula errors are named as such, only ASCII and full-width digits are digits, and implausible magnitudes are
reported before any arithmetic. A property test: for any content and number format, the figure is exactly what
the cell shows, or a problem names the cell; never an exception.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import shutil
import tempfile
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from disclosure.formats import Cell, load_spec
from disclosure.settings import Limits
from disclosure.workbook.reader import read_return
from disclosure.workbook.template import fill_workbook, template_layout, write_template

pytestmark = pytest.mark.unit

VERSION, YEAR = "gov-2021", 2022
NATURAL = Cell("t3", "new", "natural")  # a count: 自然人 of 一、本年新收
TOTAL = Cell("t3", "new", "total")
FEE = Cell("t2_8", "fees", "fee_amount")  # an amount in 万元, 4 decimals


def _values(spec):
    """Valid figures: every count 0 except 一、本年新收 (自然人 250, 商业企业 22, 总计 272) balanced by 予以公开."""
    values = dict.fromkeys(spec.cells(), 0)
    for row in ("new", "disclosed", "total"):
        values[Cell("t3", row, "natural")] = 250
        values[Cell("t3", row, "business")] = 22
        values[Cell("t3", row, "total")] = 272
    values[FEE] = Decimal("705.1")
    return values


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sees")
    spec = load_spec(VERSION)
    template = write_template(spec, YEAR, "U03", "测试单位", folder / "template.xlsx")
    return fill_workbook(template, folder / "clean.xlsx", _values(spec), contact="张三", phone="0951-2036626")


def _copy(clean: Path, tmp_path: Path, change=None) -> Path:
    path = tmp_path / "return.xlsx"
    shutil.copy(clean, path)
    if change is not None:
        wb = load_workbook(path)
        change(wb)
        wb.save(path)
    return path


def _place(cell: Cell) -> tuple[str, str]:
    return template_layout(load_spec(VERSION))[cell]


def _patch_cell_xml(path: Path, cell: Cell, inner: str, cell_type: str | None) -> None:
    """Replace one cell's XML (as Excel writes a cached formula error, NaN…), keeping its style."""
    sheet, coord = _place(cell)
    wb = load_workbook(path, read_only=True)
    index = wb.sheetnames.index(sheet) + 1
    wb.close()
    part = f"xl/worksheets/sheet{index}.xml"
    with zipfile.ZipFile(path) as archive:
        members = {i.filename: archive.read(i.filename) for i in archive.infolist()}
    xml = members[part].decode()
    match = re.search(rf'<c r="{coord}"( s="\d+")?[^>]*?(/>|>.*?</c>)', xml)
    assert match, coord
    kind = f' t="{cell_type}"' if cell_type else ""
    members[part] = xml.replace(
        match.group(0), f'<c r="{coord}"{match.group(1) or ""}{kind}>{inner}</c>'
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _problem(result, code: str):
    found = [p for p in result.problems if p.code == code]
    assert found, [(p.code, p.message) for p in result.problems]
    return found[0]


# ------------------------------------------------------------------------------------------- hidden content


def test_hidden_duplicate_column_is_not_read_the_visible_one_is(clean, tmp_path):
    """The unit hid its 自然人 column and typed other figures in a visible copy of it: the visible copy is read;
    the hidden column is an error naming its cells."""
    sheet, coord = _place(NATURAL)
    hidden_letter = re.match(r"[A-Z]+", coord).group(0)

    def change(wb):
        ws = wb[sheet]
        ws.column_dimensions[hidden_letter].hidden = True
        copy = get_column_letter(ws.max_column + 2)
        for row in range(1, ws.max_row + 1):
            ws[f"{copy}{row}"] = ws[f"{hidden_letter}{row}"].value
        ws[f"{copy}{coord[len(hidden_letter) :]}"] = 249  # what the unit sees as 自然人

    result = read_return(_copy(clean, tmp_path, change), strict=False)
    figure = result.figure(*NATURAL)
    assert figure.value == 249 and not figure.cell.startswith(hidden_letter)
    problem = _problem(result, "hidden_content")
    assert problem.sheet == sheet and problem.cell.startswith(hidden_letter)
    assert f"第 {hidden_letter} 列被隐藏，其中有数字" in problem.message
    assert "隐藏的行、列不会被采用：请取消隐藏并核对" in problem.message


def test_hidden_duplicate_row_is_not_read_and_the_visible_row_is_not_called_stray(clean, tmp_path):
    sheet, coord = _place(NATURAL)
    row = int(re.search(r"\d+", coord).group(0))

    def change(wb):
        ws = wb[sheet]
        ws.row_dimensions[row].hidden = True
        copy = ws.max_row + 2
        for column in range(1, ws.max_column + 1):
            value = ws.cell(row, column).value
            if value is not None:
                ws.cell(copy, column).value = value
        ws[f"{re.match(r'[A-Z]+', coord).group(0)}{copy}"] = 251

    result = read_return(_copy(clean, tmp_path, change), strict=False)
    assert result.figure(*NATURAL).value == 251
    assert not [
        p for p in result.problems if p.code == "unexpected_row"
    ]  # never "请删除该行" for the visible row
    problem = _problem(result, "hidden_content")
    assert f"第 {row} 行被隐藏，其中有数字" in problem.message and problem.cell.endswith(str(row))


def test_hiding_the_live_check_column_and_empty_rows_is_fine(clean, tmp_path):
    sheet, _ = _place(NATURAL)

    def change(wb):
        ws = wb[sheet]
        for row in ws.iter_rows():
            for cell in row:
                if cell.value == "校验提示" and cell.column > 3:  # not the 校验提示 row label
                    ws.column_dimensions[cell.column_letter].hidden = True
        ws.row_dimensions[ws.max_row + 3].hidden = True

    result = read_return(_copy(clean, tmp_path, change), strict=False)
    assert not result.problems and result.figure(*NATURAL).value == 250


def test_hidden_sheet_with_a_table_is_reported(clean, tmp_path):
    sheet, _ = _place(NATURAL)

    def change(wb):
        copy = wb.copy_worksheet(wb[sheet])
        copy.title = "三（旧）"
        copy.sheet_state = "hidden"

    result = read_return(_copy(clean, tmp_path, change), strict=False)
    assert result.figure(*NATURAL).value == 250
    problem = _problem(result, "hidden_sheet")
    assert problem.message.endswith(
        "工作表“三（旧）”被隐藏，其中有报表内容。报表只按看得见的内容读取：请取消隐藏并核对该工作表，或将其删除。"
    )


# ------------------------------------------------------------------------------------------- number formats


FORMAT_CASES = [
    (FEE, 7.051, "0.00%", "显示为“705.10%”（单元格格式为百分比），而单元格中的数字是 7.051"),
    (NATURAL, 44000, "yyyy-mm-dd", "显示为日期或时间“2020-06-18”，不是数字"),
    (NATURAL, 0.5, "h:mm", "显示为日期或时间“12:00:00”，不是数字"),
    (FEE, 1.5, "# ?/?", "显示为“1 1/2”（单元格格式为分数），而单元格中的数字是 1.5"),
    (FEE, 1234.5, "0.0E+00", "显示为“1.2E+03”（单元格格式为科学记数），而单元格中的数字是 1234.5"),
    (FEE, 705.1, ";;;", "显示为“”（单元格格式为隐藏内容（;;;）），而单元格中的数字是 705.1"),
    (FEE, 3421.7, "0", "显示为“3422”，而单元格中的数字是 3421.7（单元格格式隐藏或改变了部分数字）"),
    (FEE, 3421700, "#,##0,", "显示为“3,422”，而单元格中的数字是 3421700"),
    (NATURAL, 12, "@", "单元格格式为“文本”，其中的“12”是以文本保存的数字"),
    (NATURAL, "12", "@", "单元格格式为“文本”，其中的“12”是以文本保存的数字"),
]


@pytest.mark.parametrize(("cell", "value", "number_format", "message"), FORMAT_CASES)
def test_number_format_that_changes_the_meaning_is_reported_quoting_what_is_shown(
    clean, tmp_path, cell, value, number_format, message
):
    sheet, coord = _place(cell)

    def change(wb):
        wb[sheet][coord].value = value
        wb[sheet][coord].number_format = number_format

    result = read_return(_copy(clean, tmp_path, change), strict=False)
    figure = result.figure(*cell)
    assert figure.value is None and figure.cell == coord
    (problem,) = [p for p in result.problems if p.cell == coord]
    assert message in problem.message, problem.message


def test_formats_that_show_the_number_itself_are_read(clean, tmp_path):
    sheet, coord = _place(FEE)

    def change(wb):
        wb[sheet][coord].value = 3421.7
        wb[sheet][coord].number_format = "#,##0.00"

    result = read_return(_copy(clean, tmp_path, change), strict=False)
    assert result.figure(*FEE).value == Decimal("3421.7")
    assert not result.problems


# ------------------------------------------------------------------------------------------- digits and values


@pytest.mark.parametrize(
    ("text", "value"), [("٣", None), ("१२", None), ("①", None), ("2²", None), ("１２", 12), ("12", 12)]
)
def test_only_ascii_and_full_width_digits_are_digits(clean, tmp_path, text, value):
    sheet, coord = _place(NATURAL)
    result = read_return(
        _copy(clean, tmp_path, lambda wb: setattr(wb[sheet][coord], "value", text)), strict=False
    )
    assert result.figure(*NATURAL).value == value
    if value is None:
        problem = _problem(result, "foreign_digits")
        assert problem.cell == coord
        assert f"内容“{text}”含有不是阿拉伯数字的字符" in problem.message
        assert "请用半角阿拉伯数字 0—9 重新输入" in problem.message


@pytest.mark.parametrize(
    ("cell", "value", "shown"),
    [
        (NATURAL, 1e15, "1000000000000000"),
        (NATURAL, 1e308, "1E+308"),
        (FEE, 1e308, "1E+308"),
        (FEE, -1e308, "-1E+308"),
    ],
)
def test_implausible_magnitudes_are_reported_before_any_arithmetic(clean, tmp_path, cell, value, shown):
    sheet, coord = _place(cell)
    result = read_return(
        _copy(clean, tmp_path, lambda wb: setattr(wb[sheet][coord], "value", value)), strict=False
    )
    assert result.figure(*cell).value is None
    problem = _problem(result, "implausible_magnitude")
    assert f"数字 {shown} 超出合理范围" in problem.message and "不应超过 10000000" in problem.message


def test_the_admin_can_lower_the_maximum(clean, tmp_path, monkeypatch):
    sheet, coord = _place(NATURAL)
    path = _copy(clean, tmp_path, lambda wb: setattr(wb[sheet][coord], "value", 5000))
    assert read_return(path, strict=False).figure(*NATURAL).value == 5000
    monkeypatch.setenv("DISCLOSURE_MAX_COUNT", "1000")
    assert Limits.from_env().max_count == 1000
    result = read_return(path, strict=False)
    assert "件数不应超过 1000。" in _problem(result, "implausible_magnitude").message


@pytest.mark.parametrize(("inner", "message"), [("<v>NaN</v>", "不是有效的数字"), ("<v>inf</v>", "")])
def test_nan_and_infinity_in_the_file_are_never_figures(clean, tmp_path, inner, message):
    path = _copy(clean, tmp_path)
    _patch_cell_xml(path, FEE, inner, "n")
    result = read_return(path, strict=False)
    assert result.figure(*FEE).value is None
    (problem,) = [p for p in result.problems if p.cell == _place(FEE)[1]]
    assert message in problem.message


def test_negative_zero_is_zero(clean, tmp_path):
    sheet, coord = _place(FEE)
    result = read_return(
        _copy(clean, tmp_path, lambda wb: setattr(wb[sheet][coord], "value", -0.0)), strict=False
    )
    value = result.figure(*FEE).value
    assert value == 0 and not value.is_signed()


def test_a_cached_formula_error_is_named_as_a_formula_error(clean, tmp_path):
    path = _copy(clean, tmp_path)
    _patch_cell_xml(path, TOTAL, "<f>1/0</f><v>#DIV/0!</v>", "e")
    result = read_return(path, strict=False)
    figure = result.figure(*TOTAL)
    assert figure.value is None and figure.raw == "#DIV/0!"
    problem = _problem(result, "formula_error")
    assert (
        "公式“=1/0”的计算结果是错误值 #DIV/0!（除数为 0），不是数字。请改正公式，或直接填写数字。"
        in problem.message
    )


def test_an_error_value_typed_in_is_not_called_blank(clean, tmp_path):
    sheet, coord = _place(TOTAL)
    result = read_return(
        _copy(clean, tmp_path, lambda wb: setattr(wb[sheet][coord], "value", "#DIV/0!")), strict=False
    )
    assert not [p for p in result.problems if p.code == "blank_cell"]
    problem = _problem(result, "error_value")
    assert "内容是错误值“#DIV/0!”（除数为 0），不是数字" in problem.message


# ------------------------------------------------------------------------------------------- property

FORMATS = [
    None,
    "General",
    "0",
    "0.00",
    "#,##0",
    "#,##0.00",
    '0"件"',
    "[Red]0.00",
    "0;-0",
    "0.00%",
    "0%",
    "yyyy-mm-dd",
    "h:mm",
    "# ?/?",
    "0.0E+00",
    "@",
    ";;;",
    "#,##0,",
    "0;0",
]
#: formats under which Excel shows a number as the number itself, rounded to this many decimals
SHOWS_NUMBER = {
    None: None,
    "General": None,
    "0": 0,
    "0.00": 2,
    "#,##0": 0,
    "#,##0.00": 2,
    '0"件"': 0,
    "[Red]0.00": 2,
    "0;-0": 0,
}


def _text_value():
    digits = st.text(alphabet="0123456789０１２３４５６７８９٣१①².-+ ", min_size=1, max_size=8)
    return st.one_of(digits, st.text(max_size=12)).map(lambda t: ILLEGAL_CHARACTERS_RE.sub("", t))


CONTENT = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -0.0, 1e308, -1e308, 5e-324, 0.1, 3421.7, 705.1, 1.5, 10**7, 10**7 + 1]),
    _text_value(),
    st.booleans(),
    st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.none(),
)


def _excel_shows(value, number_format) -> Decimal | None:
    """What Excel shows for a number under the formats that show a number; None when it shows something else."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | Decimal)
        or number_format not in SHOWS_NUMBER
    ):
        return None
    number = Decimal(format(value, ".15g")) if isinstance(value, float) else Decimal(value)
    places = SHOWS_NUMBER[number_format]
    if number_format == "0;-0" and number < 0:
        return number.quantize(Decimal(1))
    return number if places is None else number.quantize(Decimal(1).scaleb(-places))


@pytest.mark.parametrize("cell", [NATURAL, FEE], ids=["count", "amount"])
def test_property_reads_what_the_cell_shows_or_names_the_cell(clean, cell):
    sheet, coord = _place(cell)
    with tempfile.TemporaryDirectory() as tmp:

        @settings(
            max_examples=40,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        )
        @given(content=CONTENT, number_format=st.sampled_from(FORMATS))
        def check(content, number_format):
            path = Path(tmp) / "r.xlsx"
            shutil.copy(clean, path)
            wb = load_workbook(path)
            target = wb[sheet][coord]
            target.value = content
            if number_format is not None:
                target.number_format = number_format
            wb.save(path)
            result = read_return(path, strict=False)  # never an exception
            figure = result.figure(*cell)
            named = [p for p in result.problems if p.sheet == sheet and p.cell == coord]
            if figure.value is None:
                assert named, (content, number_format)
                return
            assert not named
            if isinstance(content, str):
                text = content.strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
                assert re.fullmatch(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", text), content
                assert figure.value == Decimal(text)
                return
            shows = _excel_shows(content, number_format)
            assert shows is not None, (content, number_format)
            assert figure.value == shows == _excel_shows(content, None), (content, number_format)
            assert not (isinstance(figure.value, Decimal) and figure.value.is_signed() and figure.value == 0)
            assert math.isfinite(float(figure.value))

        check()
