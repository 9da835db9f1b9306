"""The reader: label-anchored figures from returned workbooks, and a clear problem for every kind of bad input.

Workbooks are made with the project's own template writer and filler, then edited with openpyxl the way units
edit them (blank rows inserted, columns moved, sheets renamed, labels retyped) or broken on purpose.
"""

from __future__ import annotations

import re
import shutil
import struct
import tempfile
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.utils import column_index_from_string
from openpyxl.worksheet.cell_range import CellRange

from disclosure.errors import ReturnReadError
from disclosure.formats import Cell, ColumnKind, FormatSpec, load_spec
from disclosure.settings import Limits
from disclosure.workbook.identity import IDENTITY_SHEET, TEMPLATE_REVISION
from disclosure.workbook.reader import read_return
from disclosure.workbook.template import fill_workbook, template_layout, write_template

pytestmark = pytest.mark.unit

VERSIONS = {"gov-2019": 2020, "gov-2021": 2022}
PROPERTY_SETTINGS = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# ------------------------------------------------------------------------------------------------ helpers


def make_template(version: str, folder: Path) -> Path:
    return write_template(
        load_spec(version), VERSIONS[version], "U03", "测试单位", folder / f"template-{version}.xlsx"
    )


def valid_values(spec: FormatSpec) -> dict[Cell, int | Decimal]:
    """A fixed, valid set of figures: every kind of column gets a value of its kind."""
    values: dict[Cell, int | Decimal] = {}
    for i, cell in enumerate(spec.cells()):
        kind = spec.table(cell.table).column(cell.column).kind
        if kind is ColumnKind.AMOUNT:
            values[cell] = Decimal("3421.7") + i
        elif kind is ColumnKind.SIGNED_COUNT:
            values[cell] = -i
        else:
            values[cell] = i
    return values


def filled(version: str, folder: Path, values=None, name: str = "return.xlsx") -> Path:
    spec = load_spec(version)
    template = make_template(version, folder)
    values = valid_values(spec) if values is None else values
    return fill_workbook(template, folder / name, values, contact="张三", phone="0951-2036626")


def edit(path: Path, change) -> Path:
    wb = load_workbook(path)
    change(wb)
    wb.save(path)
    return path


def find_cell(ws, text: str):
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == text:
                return cell
    raise LookupError(text)


def value_strategy(spec: FormatSpec):
    def one(cell: Cell):
        column = spec.table(cell.table).column(cell.column)
        if column.kind is ColumnKind.AMOUNT:
            return st.decimals(min_value=0, max_value=10**7, places=column.decimals, allow_nan=False)
        if column.kind is ColumnKind.SIGNED_COUNT:
            return st.integers(-(10**6), 10**6)
        return st.integers(0, 10**6)

    return st.fixed_dictionaries({cell: one(cell) for cell in spec.cells()})


def read_values(path: Path, **kwargs) -> dict[tuple[str, str, str], object]:
    return read_return(path, **kwargs).values()


def insert_blank_rows(ws, index: int, amount: int) -> None:
    """Insert rows as Excel does: merged ranges below move down, ranges spanning the insertion grow."""
    ranges = [r.coord for r in ws.merged_cells.ranges]
    for coord in ranges:
        ws.unmerge_cells(coord)
    ws.insert_rows(index, amount)
    for coord in ranges:
        cr = CellRange(coord)
        if cr.min_row >= index:
            cr.shift(row_shift=amount)
        elif cr.max_row >= index:
            cr.expand(down=amount)
        ws.merge_cells(cr.coord)


def swap_columns(ws, a: int, b: int) -> None:
    """Move two columns past each other, headers and figures together with their number formats, as Excel moves
    a column (cells inside merges stay put)."""
    for row in range(1, ws.max_row + 1):
        first, second = ws.cell(row, a), ws.cell(row, b)
        if isinstance(first, MergedCell) or isinstance(second, MergedCell):
            continue
        first.value, second.value = second.value, first.value
        first.number_format, second.number_format = second.number_format, first.number_format


def swappable_pairs(spec: FormatSpec) -> list[tuple[str, int, int]]:
    """(sheet, column a, column b) of two figure columns of one table under the same parent headers."""
    layout = template_layout(spec)
    pairs = []
    for table in spec.tables:
        row = table.number_rows[0].id
        for i, x in enumerate(table.columns):
            for y in table.columns[i + 1 :]:
                if x.header != y.header:
                    continue
                sheet, ax = layout[Cell(table.id, row, x.id)]
                _, ay = layout[Cell(table.id, row, y.id)]
                col = lambda coord: column_index_from_string(re.match(r"[A-Z]+", coord).group())  # noqa: E731
                pairs.append((sheet, col(ax), col(ay)))
    return pairs


def label_variant(text: str) -> str:
    """How a unit's copy of a label may come back: other commas, brackets, quotes, numbering, spaces."""
    text = text.replace("、", "，").replace("（", "(").replace("）", ") ").replace("“", '"').replace("”", '"')
    text = re.sub(r"^(\d+)\.", r"\1、", text)
    return f" {text}\n"


# ------------------------------------------------------------------------------------------------ round trips


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_reads_back_exactly_what_was_filled(version, tmp_path):
    spec = load_spec(version)
    values = valid_values(spec)
    result = read_return(filled(version, tmp_path, values))
    assert result.problems == []
    assert result.values() == {tuple(c): v for c, v in values.items()}
    assert len(result.figures) == len(values)
    assert result.meta.format_version == version
    assert (result.meta.year, result.meta.unit_code, result.meta.unit_name) == (
        VERSIONS[version],
        "U03",
        "测试单位",
    )
    assert (result.meta.contact, result.meta.phone) == ("张三", "0951-2036626")
    layout = template_layout(spec)
    for figure in result.figures:
        assert (figure.sheet, figure.cell) == layout[Cell(*figure.key)]
        kind = spec.table(figure.table).column(figure.column).kind
        assert isinstance(figure.value, Decimal if kind is ColumnKind.AMOUNT else int)
        assert not isinstance(figure.value, bool)


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_property_filled_figures_read_back_unchanged(version):
    spec = load_spec(version)
    with tempfile.TemporaryDirectory() as tmp:
        template = make_template(version, Path(tmp))

        @PROPERTY_SETTINGS
        @given(values=value_strategy(spec))
        def check(values):
            out = fill_workbook(template, Path(tmp) / "r.xlsx", values, contact="李四", phone="13800000000")
            result = read_return(out)
            assert result.values() == {tuple(c): v for c, v in values.items()}

        check()


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_property_survives_inserted_rows_moved_columns_renamed_sheet(version):
    spec = load_spec(version)
    pairs = swappable_pairs(spec)
    layout = template_layout(spec)
    with tempfile.TemporaryDirectory() as tmp:
        template = make_template(version, Path(tmp))

        @PROPERTY_SETTINGS
        @given(
            values=value_strategy(spec),
            inserts=st.lists(
                st.tuples(st.sampled_from(spec.sheets), st.integers(1, 40), st.integers(1, 2)), max_size=4
            ),
            swap=st.sampled_from(pairs),
            renamed=st.sampled_from(spec.sheets),
            new_name=st.sampled_from(["Sheet1", "表二", "填报数据", "复议诉讼"]),
        )
        def check(values, inserts, swap, renamed, new_name):
            out = fill_workbook(template, Path(tmp) / "r.xlsx", values, contact="李四", phone="13800000000")

            def change(wb):
                for sheet, index, amount in inserts:
                    insert_blank_rows(wb[sheet], min(index, wb[sheet].max_row + 1), amount)
                swap_columns(wb[swap[0]], swap[1], swap[2])
                wb[renamed].title = new_name

            edit(out, change)
            result = read_return(out)
            assert result.values() == {tuple(c): v for c, v in values.items()}
            moved = [f for f in result.figures if f.cell != layout[Cell(*f.key)][1]]
            assert moved, "the swap moves figures away from the template's coordinates"
            assert {
                f.sheet for f in result.figures if f.table in {t.id for t in spec.tables_on(renamed)}
            } == {new_name}

        check()


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_label_punctuation_variants_are_read(version, tmp_path):
    spec = load_spec(version)
    path = filled(version, tmp_path)

    def change(wb):
        for sheet in spec.sheets:
            for row in wb[sheet].iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and not cell.value.startswith("="):
                        cell.value = label_variant(cell.value)

    edit(path, change)
    assert read_values(path) == {tuple(c): v for c, v in valid_values(spec).items()}


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_check_cells_are_ignored(version, tmp_path):
    """The 校验提示 column/row holds formulas; once Excel calculates them they hold text. Neither is a figure."""
    spec = load_spec(version)
    path = filled(version, tmp_path)
    touched = []

    def change(wb):
        for sheet in spec.sheets:
            for row in wb[sheet].iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        cell.value = "R4 不符：总计应为 7"
                        touched.append(cell.coordinate)

    edit(path, change)
    assert touched, "the template has live checks"
    result = read_return(path)
    assert result.values() == {tuple(c): v for c, v in valid_values(spec).items()}


def test_signed_count_may_be_negative_and_number_text_is_a_number(tmp_path):
    spec = load_spec("gov-2019")
    values = valid_values(spec)
    values[Cell("t2_5", "licensing", "items_change")] = -7
    values[Cell("t3", "new", "natural")] = "12"  # typed as text
    result = read_return(filled("gov-2019", tmp_path, values))
    assert result.figure("t2_5", "licensing", "items_change").value == -7
    figure = result.figure("t3", "new", "natural")
    assert (figure.value, figure.raw) == (12, "12")


def test_identity_falls_back_to_document_properties(tmp_path):
    path = edit(filled("gov-2021", tmp_path), lambda wb: wb.remove(wb[IDENTITY_SHEET]))
    result = read_return(path)
    assert (result.meta.format_version, result.meta.year, result.meta.unit_code) == ("gov-2021", 2022, "U03")


# ------------------------------------------------------------------------------------------------ bad cells


def _set(version: str, cell: Cell, value):
    def change(wb):
        sheet, coord = template_layout(load_spec(version))[cell]
        wb[sheet][coord].value = value

    return change


CELL_CASES = [
    ("gov-2019", Cell("t3", "new", "natural"), "abc", "text_in_number_cell", r"“abc”不是数字"),
    (
        "gov-2019",
        Cell("t2_9", "central_procurement", "purchase_amount"),
        "251000元",
        "unit_in_cell",
        r"“251000元”带有单位“元”.*删除单位并换算为万元.*25\.1",
    ),
    (
        "gov-2021",
        Cell("t2_8", "fees", "fee_amount"),
        "3.5万元",
        "unit_in_cell",
        r"请删除单位“万元”，只填写数字 3\.5",
    ),
    ("gov-2021", Cell("t3", "new", "total"), "5件", "unit_in_cell", r"请删除“件”，只填写数字 5"),
    (
        "gov-2021",
        Cell("t3", "total", "total"),
        "=SUM(1,2)",
        "formula_without_value",
        r"含有公式但没有计算结果",
    ),
    ("gov-2021", Cell("t4", "cases", "review_upheld"), -2, "negative_count", r"件数 -2 为负数"),
    ("gov-2019", Cell("t3", "new", "natural"), 1.5, "decimal_in_count", r"“1\.5”不是整数"),
    (
        "gov-2019",
        Cell("t2_9", "central_procurement", "purchase_amount"),
        Decimal("1.23456"),
        "too_many_decimals",
        r"有 5 位小数.*最多保留 4 位小数",
    ),
    (
        "gov-2021",
        Cell("t2_8", "fees", "fee_amount"),
        Decimal("-1.5"),
        "negative_amount",
        r"金额 -1\.5 为负数",
    ),
    ("gov-2021", Cell("t2_1", "rules", "issued"), None, "blank_cell", r"未填写。没有发生的请填 0，不得留空"),
]


@pytest.mark.parametrize(("version", "cell", "written", "code", "message"), CELL_CASES)
def test_bad_cell_is_reported_where_it_is(version, cell, written, code, message, tmp_path):
    path = edit(filled(version, tmp_path), _set(version, cell, written))
    sheet, coord = template_layout(load_spec(version))[cell]

    with pytest.raises(ReturnReadError, match=message) as raised:
        read_return(path)
    assert not raised.value.fatal

    result = read_return(path, strict=False)
    assert [(p.code, p.sheet, p.cell) for p in result.problems] == [(code, sheet, coord)]
    problem = result.problems[0]
    assert re.search(message, problem.message)
    assert path.name in problem.message and sheet in problem.message and coord in problem.message
    figure = result.figure(*cell)
    assert figure.value is None  # never a 0
    assert (figure.sheet, figure.cell) == (sheet, coord)
    assert figure.raw == (None if written is None else str(written))


def test_every_problem_is_listed_not_only_the_first(tmp_path):
    spec = load_spec("gov-2019")
    layout = template_layout(spec)
    bad = {
        Cell("t2_1", "rules", "made"): "无",
        Cell("t3", "partial", "business"): None,
        Cell("t4", "cases", "after_total"): 2.5,
    }

    def change(wb):
        for cell, value in bad.items():
            sheet, coord = layout[cell]
            wb[sheet][coord].value = value

    path = edit(filled("gov-2019", tmp_path), change)
    with pytest.raises(ReturnReadError) as raised:
        read_return(path)
    assert sorted(p.cell for p in raised.value.problems) == sorted(layout[c][1] for c in bad)
    assert {p.code for p in raised.value.problems} == {
        "text_in_number_cell",
        "blank_cell",
        "decimal_in_count",
    }
    text = str(raised.value)
    assert "发现 3 处问题" in text and all(layout[c][1] in text for c in bad)


# ------------------------------------------------------------------------------------------------ bad structure


def test_changed_row_label_names_the_official_label(tmp_path):
    spec = load_spec("gov-2021")
    sheet = spec.table("t3").sheet
    where = {}

    def change(wb):
        cell = find_cell(wb[sheet], "2.其他法律行政法规禁止公开")
        cell.value = "2.其他法律行政止公开"
        where["cell"] = cell.coordinate

    path = edit(filled("gov-2021", tmp_path), change)
    with pytest.raises(ReturnReadError, match=r"“2\.其他法律行政止公开”.*应为“2\.其他法律行政法规禁止公开”"):
        read_return(path)
    result = read_return(path, strict=False)
    assert [(p.code, p.sheet, p.cell) for p in result.problems] == [
        ("changed_row_label", sheet, where["cell"])
    ]
    assert all(result.figure("t3", "withheld_law", c.id).value is None for c in spec.table("t3").columns)
    # its neighbours are untouched
    assert (
        result.figure("t3", "withheld_safety", "total").value
        == valid_values(spec)[Cell("t3", "withheld_safety", "total")]
    )


def test_missing_row(tmp_path):
    spec = load_spec("gov-2019")
    layout = template_layout(spec)

    def change(wb):
        ws = wb[spec.table("t2_5").sheet]
        find_cell(ws, "其他对外管理服务事项").value = None
        for column in spec.table("t2_5").columns:
            ws[layout[Cell("t2_5", "other_services", column.id)][1]].value = None

    path = edit(filled("gov-2019", tmp_path), change)
    result = read_return(path, strict=False)
    assert [p.code for p in result.problems] == ["missing_row"]
    assert re.search(r"找不到行“其他对外管理服务事项”（应位于“行政许可”之后）", result.problems[0].message)
    assert result.figure("t2_5", "other_services", "decisions").value is None


def test_missing_sheet(tmp_path):
    spec = load_spec("gov-2021")
    sheet = spec.table("t4").sheet
    path = edit(filled("gov-2021", tmp_path), lambda wb: wb.remove(wb[sheet]))
    with pytest.raises(ReturnReadError, match=rf"找不到工作表“{sheet}”"):
        read_return(path)
    result = read_return(path, strict=False)
    assert [(p.code, p.sheet) for p in result.problems] == [("missing_sheet", sheet)]
    assert all(f.value is None for f in result.figures if f.table == "t4")
    assert all(f.value is not None for f in result.figures if f.table != "t4")


def test_missing_column_header(tmp_path):
    spec = load_spec("gov-2019")
    sheet = spec.table("t2_1").sheet
    path = edit(
        filled("gov-2019", tmp_path),
        lambda wb: setattr(find_cell(wb[sheet], "本年新公开数量"), "value", "本年公开数"),
    )
    with pytest.raises(ReturnReadError, match=r"表“第二十条第（一）项”中找不到列标题“本年新公开数量”"):
        read_return(path)
    result = read_return(path, strict=False)
    assert [(p.code, p.sheet) for p in result.problems] == [("missing_column_header", sheet)]
    assert result.figure("t2_1", "rules", "published").value is None
    assert result.figure("t2_1", "rules", "made").value is not None


def test_parent_header_tells_repeated_labels_apart(tmp_path):
    """四 prints 结果维持 three times; renaming a parent header leaves its three columns unidentifiable."""
    spec = load_spec("gov-2021")
    sheet = spec.table("t4").sheet
    path = edit(
        filled("gov-2021", tmp_path),
        lambda wb: setattr(find_cell(wb[sheet], "复议后起诉"), "value", "复议以后"),
    )
    result = read_return(path, strict=False)
    missing = [p for p in result.problems if p.code == "missing_column_header"]
    assert len(missing) == 5 and all("复议后起诉" in p.message for p in missing)
    assert all(f.value is None for f in result.figures if f.column.startswith("after_"))
    assert all(f.value is not None for f in result.figures if f.column.startswith(("review_", "direct_")))


def test_foreign_format_read_with_override_is_a_problem(tmp_path):
    path = filled("gov-2019", tmp_path)
    result = read_return(path, spec=load_spec("gov-2021"), strict=False)
    codes = {p.code for p in result.problems}
    assert "format_mismatch" in codes and "missing_row" in codes
    assert result.meta.format_version == "gov-2021"


def test_old_template_revision_is_a_problem(tmp_path):
    def change(wb):
        ws = wb[IDENTITY_SHEET]
        find_cell(ws, "template_revision").offset(column=1).value = "2019.1"

    path = edit(filled("gov-2021", tmp_path), change)
    with pytest.raises(
        ReturnReadError, match=rf"模板版本“2019\.1”生成，当前模板版本为“{re.escape(TEMPLATE_REVISION)}”"
    ):
        read_return(path)
    assert [p.code for p in read_return(path, strict=False).problems] == ["old_template_revision"]


# ------------------------------------------------------------------------------------------------ unusable files


def ole2_file(path: Path, streams: list[str]) -> Path:
    """A minimal valid OLE2 compound file (MS-CFB, v3) holding empty streams with the given names."""
    free, end, fat_sector, no_stream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, 1, 0, 4096, end, 0, end, 0)
    struct.pack_into("<109I", header, 76, 0, *([free] * 108))
    fat = struct.pack("<128I", fat_sector, end, *([free] * 126))

    def entry(name: str, kind: int, right: int, child: int) -> bytes:
        raw = bytearray(128)
        encoded = name.encode("utf-16-le")
        raw[0 : len(encoded)] = encoded
        struct.pack_into("<HBBIII", raw, 64, len(encoded) + 2, kind, 1, no_stream, right, child)
        struct.pack_into("<IQ", raw, 116, end, 0)
        return bytes(raw)

    entries = [entry("Root Entry", 5, no_stream, 1 if streams else no_stream)]
    for i, name in enumerate(streams):
        entries.append(entry(name, 2, i + 2 if i + 1 < len(streams) else no_stream, no_stream))
    directory = b"".join(entries).ljust(512, b"\0")
    path.write_bytes(bytes(header) + fat + directory)
    return path


def zip_bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    return path


def _copy_as(suffix: str):
    def make(tmp: Path) -> Path:
        source = filled("gov-2021", tmp)
        return source if source.suffix == suffix else Path(shutil.copy(source, tmp / f"return{suffix}"))

    return make


FILE_CASES = [
    ("missing", lambda tmp: tmp / "nothing.xlsx", None, "not_a_file", r"找不到文件“nothing\.xlsx”"),
    (
        "xls",
        lambda tmp: ole2_file(tmp / "old.xls", ["Workbook"]),
        None,
        "unsupported_file_type",
        r"“old\.xls”是Excel 97-2003 工作簿（\.xls）.*另存为",
    ),
    (
        "xls-renamed",
        lambda tmp: ole2_file(tmp / "old.xlsx", ["Workbook"]),
        None,
        "unsupported_file_type",
        r"不是 \.xlsx 工作簿",
    ),
    ("xlsm", _copy_as(".xlsm"), None, "unsupported_file_type", r"启用宏的工作簿（\.xlsm）"),
    (
        "csv",
        lambda tmp: (tmp / "r.csv").write_text("a,b\n1,2\n") and tmp / "r.csv",
        None,
        "unsupported_file_type",
        r"CSV 文本文件（\.csv）",
    ),
    (
        "text",
        lambda tmp: (tmp / "r.xlsx").write_text("hello") and tmp / "r.xlsx",
        None,
        "not_a_workbook",
        r"不是 Excel 工作簿",
    ),
    (
        "docx-like zip",
        lambda tmp: _zip(tmp / "r.xlsx", {"word/document.xml": "<w/>"}),
        None,
        "not_a_workbook",
        r"不是 Excel 工作簿",
    ),
    (
        "encrypted",
        lambda tmp: ole2_file(tmp / "r.xlsx", ["EncryptionInfo", "EncryptedPackage"]),
        None,
        "password_protected",
        r"设置了打开密码.*取消文件密码",
    ),
    ("oversized", _copy_as(".xlsx"), Limits(max_file_bytes=2048), "file_too_large", r"超过允许的"),
    ("bomb", lambda tmp: zip_bomb(tmp / "r.xlsx"), None, "zip_bomb", r"解压后大小异常"),
    ("bomb-limit", _copy_as(".xlsx"), Limits(max_uncompressed_bytes=4096), "zip_bomb", r"解压后大小异常"),
    (
        "no identity",
        lambda tmp: edit(filled("gov-2021", tmp), _drop_identity),
        None,
        "template_identity_missing",
        r"不是本系统下发的填报模板",
    ),
    (
        "foreign generator",
        lambda tmp: edit(filled("gov-2021", tmp), _identity_value("generator", "wps")),
        None,
        "foreign_template",
        r"模板标识为“wps”",
    ),
    (
        "unknown format",
        lambda tmp: edit(filled("gov-2021", tmp), _identity_value("format_version", "gov-2099")),
        None,
        "foreign_template",
        r"格式版本“gov-2099”不是本系统已知的格式",
    ),
]


def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def _drop_identity(wb) -> None:
    wb.remove(wb[IDENTITY_SHEET])
    for name in list(wb.custom_doc_props.names):
        del wb.custom_doc_props[name]


def _identity_value(key: str, value: str):
    def change(wb):
        find_cell(wb[IDENTITY_SHEET], key).offset(column=1).value = value
        del wb.custom_doc_props[f"disclosure_{key}"]

    return change


@pytest.mark.parametrize(
    ("make", "limits", "code", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in FILE_CASES],
)
def test_unusable_file_always_raises(make, limits, code, message, tmp_path):
    path = make(tmp_path)
    for strict in (True, False):
        with pytest.raises(ReturnReadError, match=message) as raised:
            read_return(path, strict=strict, limits=limits or Limits())
        assert [p.code for p in raised.value.problems] == [code]
        assert raised.value.fatal
        assert path.name in raised.value.problems[0].message


@pytest.mark.parametrize(
    ("label", "written", "code", "message"),
    [
        ("单位代码", "U09", "unit_mismatch", r"单位代码为“U09”，而模板标识为“U03”"),
        ("报告年度", 2019, "year_mismatch", r"报告年度为“2019”，而模板标识为“2022”"),
    ],
)
def test_cover_contradicting_the_identity_is_a_problem(label, written, code, message, tmp_path):
    where = {}

    def change(wb):
        cell = find_cell(wb["封面"], label).offset(column=1)
        cell.value = written
        where["cell"] = cell.coordinate

    path = edit(filled("gov-2021", tmp_path), change)
    with pytest.raises(ReturnReadError, match=message):
        read_return(path)
    result = read_return(path, strict=False)
    assert [(p.code, p.sheet, p.cell) for p in result.problems] == [(code, "封面", where["cell"])]
    assert result.meta.unit_code == "U03" and result.meta.year == 2022  # the identity is what counts


def test_row_added_by_the_unit_is_reported_and_not_read(tmp_path):
    spec = load_spec("gov-2021")
    sheet = spec.table("t3").sheet
    where = {}

    def change(wb):
        ws = wb[sheet]
        last = find_cell(ws, "四、结转下年度继续办理")
        insert_blank_rows(ws, last.row + 1, 1)
        ws.cell(last.row + 1, 1).value = "五、其他情况"
        ws.cell(last.row + 1, 4).value = 3
        where["cell"] = ws.cell(last.row + 1, 1).coordinate

    path = edit(filled("gov-2021", tmp_path), change)
    result = read_return(path, strict=False)
    assert [(p.code, p.sheet, p.cell) for p in result.problems] == [("unexpected_row", sheet, where["cell"])]
    assert "“五、其他情况”不是官方格式中的行" in result.problems[0].message
    assert result.values() == {tuple(c): v for c, v in valid_values(spec).items()}
