"""The reader's layout cache (``workbook.layouts``): a remembered layout is used only when the workbook still has
the fingerprint of the one it was found in, and then reads exactly what the label search reads.

"Reads as today" is the label search itself: the same file read with the cache emptied. Workbooks are made with
the project's own template writer and filler, then edited with openpyxl the way units edit them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.worksheet.cell_range import CellRange

from disclosure.figures import UnitReturn
from disclosure.formats import Cell, Column, ColumnKind, FormatSpec, load_spec
from disclosure.workbook import values as values_module
from disclosure.workbook.identity import IDENTITY_SHEET, TEMPLATE_REVISION
from disclosure.workbook.layouts import Layout, LayoutCache, layouts
from disclosure.workbook.reader import read_return
from disclosure.workbook.sheet_view import _formula_text, _parse_sheet
from disclosure.workbook.template import fill_workbook, template_layout, write_template
from disclosure.workbook.values import parse_figure

pytestmark = pytest.mark.unit

VERSIONS = {"gov-2019": 2020, "gov-2021": 2022}
PROPERTY_SETTINGS = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


@pytest.fixture(autouse=True)
def cold_cache() -> Iterator[None]:
    layouts.clear()
    yield
    layouts.clear()


# ------------------------------------------------------------------------------------------------ helpers


def _values(spec: FormatSpec) -> dict[Cell, int | Decimal]:
    out: dict[Cell, int | Decimal] = {}
    for i, cell in enumerate(spec.cells()):
        kind = spec.table(cell.table).column(cell.column).kind
        out[cell] = Decimal("12.5") + i if kind is ColumnKind.AMOUNT else i % 7
    return out


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("layouts")
    return {
        version: write_template(load_spec(version), year, "U03", "测试单位", folder / f"{version}.xlsx")
        for version, year in VERSIONS.items()
    }


def _fill(template: Path, out: Path, values=None) -> Path:
    spec_values = _values(load_spec(_version_of(template))) if values is None else values
    return fill_workbook(template, out, spec_values, contact="张三", phone="0951-2036626")


def _version_of(template: Path) -> str:
    return template.stem


def _edit(path: Path, change: Callable) -> Path:
    wb = load_workbook(path)
    change(wb)
    wb.save(path)
    return path


def searched(path: Path) -> UnitReturn:
    """The file read by the label search (no layout remembered)."""
    layouts.clear()
    result = read_return(path, strict=False)
    assert layouts.hits == 0
    return result


def after_warm_up(path: Path, warm: Path) -> tuple[UnitReturn, bool]:
    """The file read after ``warm`` was read (its layout remembered); True when the remembered layout was used."""
    layouts.clear()
    read_return(warm, strict=False)
    assert len(layouts) == 1, "a clean return's layout is remembered"
    hits = layouts.hits
    result = read_return(path, strict=False)
    return result, layouts.hits == hits + 1


def _sheet_of(spec: FormatSpec, table_id: str) -> str:
    return next(sheet for sheet in spec.sheets if any(t.id == table_id for t in spec.tables_on(sheet)))


def _coordinate(spec: FormatSpec, cell: Cell) -> tuple[str, str]:
    return template_layout(spec)[cell]


def _row_of(coordinate: str) -> int:
    return int("".join(ch for ch in coordinate if ch.isdigit()))


def _shift_merges(ws, index: int, amount: int) -> None:
    """Move the merged ranges at or below ``index`` by ``amount`` rows, as Excel does on insert/delete."""
    ranges = [r.coord for r in ws.merged_cells.ranges]
    for coord in ranges:
        ws.unmerge_cells(coord)
    if amount > 0:
        ws.insert_rows(index, amount)
    else:
        ws.delete_rows(index, -amount)
    for coord in ranges:
        cr = CellRange(coord)
        if cr.min_row >= index:
            cr.shift(row_shift=amount)
        elif cr.max_row >= index:
            cr.expand(down=amount)
        ws.merge_cells(cr.coord)


# ------------------------------------------------------------------------------------------------ hits


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_property_a_hit_reads_exactly_what_the_label_search_reads(version, templates, tmp_path):
    spec = load_spec(version)
    cells = list(spec.cells())
    warm = _fill(templates[version], tmp_path / "warm.xlsx")
    junk = st.sampled_from([None, "", "abc", "5件", "3.5", "-2", " 7 ", "#N/A", "１２"])

    def one(cell: Cell):
        column = spec.table(cell.table).column(cell.column)
        if column.kind is ColumnKind.AMOUNT:
            number = st.decimals(min_value=0, max_value=10**6, places=column.decimals, allow_nan=False)
        else:
            number = st.integers(-(10**5), 10**6)
        return st.one_of(number, junk)

    @PROPERTY_SETTINGS
    @given(
        values=st.fixed_dictionaries({cell: one(cell) for cell in cells[:40]}),
        rest=st.integers(0, 9),
        checks=st.lists(st.sampled_from(["不平衡", "✓", "", "总计不等于各项之和"]), max_size=6),
    )
    def check(values, rest, checks):
        out = tmp_path / "r.xlsx"
        _fill(templates[version], out, {**dict.fromkeys(cells, rest), **values})

        def cached_check_results(wb):
            # what Excel leaves in the live checks' cells: their results, which change with the figures
            texts = iter(checks)
            for sheet in spec.sheets:
                for row in wb[sheet].iter_rows():
                    for cell in row:
                        if isinstance(cell.value, str) and cell.value.startswith("="):
                            cell.value = next(texts, cell.value)

        _edit(out, cached_check_results)
        expected = searched(out)
        got, hit = after_warm_up(out, warm)
        assert hit, "a return of the template's layout uses the remembered layout"
        assert got == expected

    check()


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_a_clean_edited_layout_is_remembered_too(version, templates, tmp_path):
    """A unit's inserted blank rows: the first read searches (and remembers), the next reads hit, same result."""
    spec = load_spec(version)
    sheet = spec.sheets[0]
    out = _edit(_fill(templates[version], tmp_path / "r.xlsx"), lambda wb: _shift_merges(wb[sheet], 3, 2))
    layouts.clear()
    first = read_return(out, strict=False)
    assert (layouts.hits, layouts.misses) == (0, 1)
    again = read_return(out, strict=False)
    assert (layouts.hits, layouts.misses) == (1, 1)
    assert again == first
    assert first.problems == []


# ------------------------------------------------------------------------------------------------ misses


def _label_changed(spec: FormatSpec):
    table = next(t for t in spec.tables if len([r for r in t.rows if r.printed]) > 1)
    label = next(r.label for r in table.rows if r.printed and not r.group)

    def change(wb):
        for row in wb[_sheet_of(spec, table.id)].iter_rows():
            for cell in row:
                if cell.value == label:
                    cell.value = label + "（另）"

    return change


def _row_inserted(spec: FormatSpec):
    return lambda wb: _shift_merges(wb[spec.sheets[-1]], 2, 1)


def _row_deleted(spec: FormatSpec):
    # the blank row after the first figure table of a sheet with several tables
    sheet = next(s for s in spec.sheets if len(spec.tables_on(s)) > 1)
    table = spec.tables_on(sheet)[0]
    last = _row_of(_coordinate(spec, Cell(table.id, table.number_rows[-1].id, table.columns[0].id))[1])
    return lambda wb: _shift_merges(wb[sheet], last + 1, -1)


def _column_moved(spec: FormatSpec):
    table = next(t for t in spec.tables if len(t.columns) > 2 and len({c.header for c in t.columns}) == 1)
    first = _coordinate(spec, Cell(table.id, table.number_rows[0].id, table.columns[0].id))[1]
    second = _coordinate(spec, Cell(table.id, table.number_rows[0].id, table.columns[1].id))[1]
    a, b = (ord(first[0]) - 64, ord(second[0]) - 64)

    def change(wb):
        ws = wb[_sheet_of(spec, table.id)]
        for row in range(1, ws.max_row + 1):
            x, y = ws.cell(row, a), ws.cell(row, b)
            if type(x).__name__ == "MergedCell" or type(y).__name__ == "MergedCell":
                continue
            x.value, y.value = y.value, x.value
            x.number_format, y.number_format = y.number_format, x.number_format

    return change


def _typed_below(spec: FormatSpec):
    sheet = spec.sheets[0]
    return lambda wb: wb[sheet].cell(wb[sheet].max_row + 3, 2, 8)


def _typed_in_a_blank_row(spec: FormatSpec):
    sheet = next(s for s in spec.sheets if len(spec.tables_on(s)) > 1)
    table = spec.tables_on(sheet)[0]
    sheet_name, coord = _coordinate(spec, Cell(table.id, table.number_rows[-1].id, table.columns[0].id))
    return lambda wb: wb[sheet_name].cell(_row_of(coord) + 1, 2, 8)


def _typed_right_of_the_table(spec: FormatSpec):
    sheet = spec.sheets[0]
    return lambda wb: wb[sheet].cell(3, wb[sheet].max_column + 2, 8)


def _row_hidden(spec: FormatSpec):
    table = spec.tables[0]
    sheet, coord = _coordinate(spec, Cell(table.id, table.number_rows[0].id, table.columns[0].id))

    def change(wb):
        wb[sheet].row_dimensions[_row_of(coord)].hidden = True

    return change


def _sheet_renamed(spec: FormatSpec):
    def change(wb):
        wb[spec.sheets[1]].title = "表二"

    return change


def _label_typed_as_a_figure(spec: FormatSpec):
    table = spec.tables[0]
    cell = Cell(table.id, table.number_rows[0].id, table.columns[0].id)
    sheet, coord = _coordinate(spec, cell)

    def change(wb):
        wb[sheet][coord].value = table.columns[0].label

    return change


def _merge_undone(spec: FormatSpec):
    def change(wb):
        ws = wb[spec.sheets[-1]]
        ws.unmerge_cells(next(iter(ws.merged_cells.ranges)).coord)

    return change


EDITS = {
    "label changed": _label_changed,
    "row inserted": _row_inserted,
    "row deleted": _row_deleted,
    "column moved": _column_moved,
    "figure typed below the table": _typed_below,
    "figure typed in a blank row": _typed_in_a_blank_row,
    "figure typed right of the table": _typed_right_of_the_table,
    "row hidden": _row_hidden,
    "sheet renamed": _sheet_renamed,
    "label typed in a figure cell": _label_typed_as_a_figure,
    "merged range undone": _merge_undone,
}


@pytest.mark.parametrize("edit", sorted(EDITS))
@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_each_edit_misses_and_reads_as_the_label_search(version, edit, templates, tmp_path):
    spec = load_spec(version)
    warm = _fill(templates[version], tmp_path / "warm.xlsx")
    out = _edit(_fill(templates[version], tmp_path / "r.xlsx"), EDITS[edit](spec))
    expected = searched(out)
    got, hit = after_warm_up(out, warm)
    assert not hit
    assert got == expected


def test_the_edits_are_seen_by_the_label_search(templates, tmp_path):
    """The edits above are real: the label search reports or places them differently from the template."""
    spec = load_spec("gov-2019")
    clean = searched(_fill(templates["gov-2019"], tmp_path / "clean.xlsx"))
    assert clean.problems == []
    for edit in (
        "label changed",
        "row hidden",
        "label typed in a figure cell",
        "figure typed in a blank row",
    ):
        out = _edit(_fill(templates["gov-2019"], tmp_path / f"{edit}.xlsx"), EDITS[edit](spec))
        assert searched(out).problems, edit
    for edit in ("row inserted", "column moved", "sheet renamed"):
        out = _edit(_fill(templates["gov-2019"], tmp_path / f"{edit}.xlsx"), EDITS[edit](spec))
        result = searched(out)
        assert result.values() == clean.values(), edit
        assert [(f.sheet, f.cell) for f in result.figures] != [(f.sheet, f.cell) for f in clean.figures], edit


def test_nothing_is_remembered_from_a_return_with_location_problems(templates, tmp_path):
    spec = load_spec("gov-2021")
    out = _edit(_fill(templates["gov-2021"], tmp_path / "r.xlsx"), _label_changed(spec))
    read_return(out, strict=False)
    assert len(layouts) == 0


# ------------------------------------------------------------------------------------------------ no leaks


def test_layouts_do_not_leak_between_formats(templates, tmp_path):
    warm = _fill(templates["gov-2019"], tmp_path / "warm.xlsx")
    other = _fill(templates["gov-2021"], tmp_path / "other.xlsx")
    expected = searched(other)
    got, hit = after_warm_up(other, warm)
    assert not hit
    assert got == expected


def test_layouts_do_not_leak_between_template_revisions(templates, tmp_path):
    warm = _fill(templates["gov-2021"], tmp_path / "warm.xlsx")
    old = _fill(templates["gov-2021"], tmp_path / "old.xlsx")

    def older_revision(wb):
        for row in wb[IDENTITY_SHEET].iter_rows():
            if row[0].value == "template_revision":
                row[1].value = "2026.1"

    _edit(old, older_revision)
    expected = searched(old)
    assert "old_template_revision" in {p.code for p in expected.problems}
    got, hit = after_warm_up(old, warm)
    assert not hit
    assert got == expected
    assert len(layouts) == 2  # one per revision
    assert TEMPLATE_REVISION != "2026.1"


def test_a_spec_given_by_the_caller_is_another_layout(templates, tmp_path):
    warm = _fill(templates["gov-2021"], tmp_path / "warm.xlsx")
    spec = load_spec("gov-2021").model_copy()
    expected = (layouts.clear(), read_return(warm, strict=False, spec=spec))[1]
    got, hit = after_warm_up(warm, warm)
    assert hit
    layouts.clear()
    read_return(warm, strict=False)
    hits = layouts.hits
    assert read_return(warm, strict=False, spec=spec) == expected
    assert layouts.hits == hits  # remembered for the loaded spec object, not for a copy of it
    assert got.values() == expected.values()


def test_the_cache_is_bounded():
    cache = LayoutCache(per_key=2, max_keys=2)
    spec = object()

    def layout() -> Layout:
        return Layout(spec, (), {}, {}, frozenset(), False)

    for version in ("a", "b", "c"):
        for _ in range(3):
            cache.remember((version, "r"), layout())
    assert len(cache) == 4
    assert cache.find(("a", "r"), spec, (), lambda name: ((), (), set(), set())) is None


# ------------------------------------------------------------------------------------------------ fast roads


def _full_road(raw, column, number_format, maximum):
    with mock.patch.object(values_module, "whole_figure", lambda *args: None):
        return parse_figure(raw, column, number_format=number_format, maximum=maximum)


@pytest.mark.parametrize("kind", list(ColumnKind))
def test_property_the_usual_figure_is_decided_as_the_full_road_decides_it(kind):
    column = Column(
        id="x",
        label="x",
        kind=kind,
        unit="万元" if kind is ColumnKind.AMOUNT else None,
        decimals=4 if kind is ColumnKind.AMOUNT else None,
    )

    @settings(max_examples=300, deadline=None, derandomize=True, database=None)
    @given(
        raw=st.one_of(
            st.integers(-(10**16), 10**16).map(float),
            st.floats(allow_nan=False, allow_infinity=False),
            st.sampled_from([0.0, -0.0, 1e15, -1e15, 999999999999999.0, 5.0, -3.0]),
        ),
        number_format=st.sampled_from(
            [None, "General", "0", "0.00", "#,##0", "0%", "0.0,", "yyyy-mm-dd", "@", ";;;"]
        ),
        maximum=st.sampled_from([Decimal(10**9), Decimal(5), Decimal("1E+15")]),
    )
    def check(raw, number_format, maximum):
        assert parse_figure(raw, column, number_format=number_format, maximum=maximum) == _full_road(
            raw, column, number_format, maximum
        )

    check()


@pytest.mark.parametrize(
    ("width", "hidden"),
    [
        ("12", False),
        ("0.5", False),
        ("10.25", False),
        ("0", True),
        ("0.0", True),
        ("0e1", True),
        (" 0 ", True),
        ("00.000", True),
        ("1e-400", True),
    ],
)
def test_a_column_of_zero_width_is_hidden_however_the_width_is_written(width, hidden):
    data = (
        f'<worksheet><cols><col min="2" max="2" width="{width}" customWidth="1"/></cols>'
        '<sheetData><row r="1"><c r="A1" s="0"><v>1</v></c></row></sheetData></worksheet>'
    ).encode()
    assert (1 in _parse_sheet(data, ("General",)).hidden_columns) is hidden


#: what the fast path's ``_formula_text`` stands for
_FORMULA_TEXT = re.compile(rb"<f\b[^>]*?(?:/>|>(.*?)</f>)", re.DOTALL)


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(
    tail=st.lists(
        st.sampled_from(
            [b">", b"/", b"/>", b"</f>", b"</f", b"<f>", b"a", b" ", b"\n", b'"', b"&amp;", b"SUM(B4:G4)"]
        ),
        max_size=12,
    ).map(b"".join),
    # where the fast path calls it: at a "<f" followed by a space, "/" or ">"
    opening=st.sampled_from([b"<f\n", b"<f ", b"<f/", b"<f>", b'<f t="shared" si="0"']),
)
def test_property_the_formula_text_is_what_the_regular_expression_captures(opening, tail):
    data = b'<c r="A1">' + opening + tail
    match = _FORMULA_TEXT.match(data, 10)
    expected = (match.group(1) if match else None) or b""
    assert _formula_text(data, 10) == expected
