"""The fill-in template: structure derived from the spec, protection, validation, live checks, filling."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from disclosure.formats import Cell, ColumnKind
from disclosure.workbook.identity import (
    CHECK_LABEL,
    COVER_FIELDS,
    COVER_INPUT_FIELDS,
    COVER_SHEET,
    IDENTITY_KEYS,
    IDENTITY_SHEET,
    INSTRUCTIONS_SHEET,
    TEMPLATE_REVISION,
)
from disclosure.workbook.sample import sample_figures
from disclosure.workbook.template import (
    fill_workbook,
    plan_sheet,
    template_layout,
    write_template,
    write_templates,
)
from tests.unit.excel_formula import evaluate

pytestmark = pytest.mark.unit

UNIT = ("U05", "宁夏回族自治区水文环境地质调查院")


@pytest.fixture(scope="module", params=[("gov-2019", 2020), ("gov-2021", 2021)], ids=["gov-2019", "gov-2021"])
def case(request, tmp_path_factory):
    """(spec, year, template path) for each format."""
    from disclosure.formats import load_spec

    version, year = request.param
    spec = load_spec(version)
    path = write_template(spec, year, *UNIT, tmp_path_factory.mktemp(version) / "t.xlsx")
    return spec, year, path


@pytest.fixture(scope="module")
def book(case):
    return load_workbook(case[2])


def _merged_range(ws, coordinate: str):
    for rng in ws.merged_cells.ranges:
        if coordinate in rng:
            return rng
    return None


def test_sheets_in_layout_order(case, book):
    spec, _, _ = case
    assert book.sheetnames == [COVER_SHEET, INSTRUCTIONS_SHEET, *spec.sheets, IDENTITY_SHEET]
    assert book[IDENTITY_SHEET].sheet_state == "veryHidden"
    assert all(book[name].sheet_state == "visible" for name in book.sheetnames[:-1])


def test_identity_in_hidden_sheet_and_document_properties(case, book):
    spec, year, _ = case
    ws = book[IDENTITY_SHEET]
    hidden = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    expected = {
        "generator": "disclosure",
        "format_version": spec.version,
        "year": str(year),
        "unit_code": UNIT[0],
        "unit_name": UNIT[1],
        "template_revision": TEMPLATE_REVISION,
    }
    assert tuple(hidden) == IDENTITY_KEYS
    signature = hidden.pop("signature")
    assert hidden == expected
    props = {p.name: p.value for p in book.custom_doc_props.props}
    assert props == {f"disclosure_{k}": v for k, v in {**expected, "signature": signature}.items()}


def test_the_identity_is_signed_for_its_unit_with_the_newest_key(case, book):
    from disclosure.settings import get_settings
    from disclosure.workbook.signature import verify_signature

    spec, year, _ = case
    ws = book[IDENTITY_SHEET]
    hidden = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    signed = verify_signature(hidden["signature"], get_settings().secret_keys[:1])
    assert signed is not None
    assert (signed.unit_code, signed.year, signed.format_version, signed.template_revision) == (
        UNIT[0],
        str(year),
        spec.version,
        TEMPLATE_REVISION,
    )
    assert verify_signature(hidden["signature"], ["another-key-that-did-not-sign-0123456789"]) is None


def test_cover_prefilled_and_locked_inputs_unlocked(case, book):
    spec, year, _ = case
    ws = book[COVER_SHEET]
    rows = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    prefilled = {"unit_code": UNIT[0], "unit_name": UNIT[1], "year": year, "format_version": spec.version}
    for key, label in COVER_FIELDS.items():
        value = ws.cell(rows[label], 2)
        if key in COVER_INPUT_FIELDS:
            assert value.value is None and value.protection.locked is False, key
        else:
            assert value.value == prefilled[key] and value.protection.locked is True, key
    assert ws.protection.sheet is True


def test_row_labels_in_their_label_column(case, book):
    spec, _, _ = case
    for sheet in spec.sheets:
        ws = book[sheet]
        assert ws.cell(1, 1).value == sheet
        for block in plan_sheet(spec, sheet).blocks:
            table = block.table
            if len(spec.tables_on(sheet)) > 1:
                assert ws.cell(block.title_row, 1).value == table.title
            for row in table.rows:
                col = min(row.level, table.label_columns - 1) + 1
                expected = row.label if row.printed else None
                assert ws.cell(block.rows[row.id], col).value == expected, (table.id, row.id)


def test_headers_merged_as_printed(case, book):
    spec, _, _ = case
    for sheet in spec.sheets:
        ws = book[sheet]
        for block in plan_sheet(spec, sheet).blocks:
            table, top, depth = block.table, block.header_top, block.header_depth
            assert ws.cell(top, 1).value == (table.corner or None)
            corner = _merged_range(ws, f"A{top}")
            if depth > 1 or table.label_columns > 1:
                assert (corner.min_row, corner.max_row, corner.max_col) == (
                    top,
                    top + depth - 1,
                    table.label_columns,
                )
            for col in table.columns:
                c = block.columns[col.id]
                leaf_row = top + len(col.header)
                assert ws.cell(leaf_row, c).value == col.display_label
                if leaf_row < top + depth - 1:  # shorter header path: merged down to the deepest header row
                    assert _merged_range(ws, ws.cell(leaf_row, c).coordinate).max_row == top + depth - 1
                for level, name in enumerate(col.header):
                    siblings = [x for x in table.columns if x.header[: level + 1] == col.header[: level + 1]]
                    rng = _merged_range(ws, ws.cell(top + level, c).coordinate)
                    assert ws.cell(rng.min_row, rng.min_col).value == name
                    assert rng.max_col - rng.min_col + 1 == len(siblings)
            assert ws.cell(top, block.check_column).value == CHECK_LABEL


def test_applicant_header_of_table_three(spec2021, tmp_path):
    # The printed 三: 申请人情况 over all seven columns, 法人或其他组织 over five, 自然人 and 总计 merged downwards.
    path = write_template(spec2021, 2021, *UNIT, tmp_path / "t.xlsx")
    sheet = spec2021.table("t3").sheet
    ws = load_workbook(path)[sheet]
    spans = {ws.cell(r.min_row, r.min_col).value: str(r) for r in ws.merged_cells.ranges}
    assert spans["申请人情况"] == "D2:J2"
    assert spans["法人或其他组织"] == "E3:I3"
    assert spans["自然人"] == "D3:D4" and spans["总计"] == "J3:J4"
    assert spans["三、本年度办理结果"].startswith("A")  # merged vertically over its descendants
    assert spans["一、本年新收政府信息公开申请数量"] == "A5:C5"


def test_protection_and_unlocked_figure_cells(case, book):
    spec, _, _ = case
    layout = template_layout(spec)
    assert len(layout) == sum(len(t.number_rows) * len(t.columns) for t in spec.tables)
    figure_cells = {(sheet, coord) for sheet, coord in layout.values()}
    for name in book.sheetnames:
        ws = book[name]
        assert ws.protection.sheet is True, name
        assert not ws.protection.password
        for row in ws.iter_rows():
            for cell in row:
                if (name, cell.coordinate) in figure_cells:
                    assert cell.protection.locked is False, cell.coordinate
                elif name in spec.sheets:
                    assert cell.protection.locked is True, cell.coordinate


def _validation_of(ws, coordinate: str):
    hits = [dv for dv in ws.data_validations.dataValidation if coordinate in dv.sqref]
    assert len(hits) == 1, coordinate
    return hits[0]


def test_data_validation_by_column_kind(case, book):
    spec, _, _ = case
    layout = template_layout(spec)
    # up to the spec's plausible maximum (10,000,000), as the reader checks it
    expected = {
        ColumnKind.COUNT: ("whole", "between", "0", "10000000"),
        ColumnKind.SIGNED_COUNT: ("whole", "between", "-10000000", "10000000"),
        ColumnKind.AMOUNT: ("decimal", "between", "0", "10000000"),
    }
    seen = set()
    for cell, (sheet, coord) in layout.items():
        kind = spec.table(cell.table).column(cell.column).kind
        dv = _validation_of(book[sheet], coord)
        assert (dv.type, dv.operator, dv.formula1, dv.formula2) == expected[kind], (cell, coord)
        assert dv.showErrorMessage and "填" in dv.error
        seen.add(kind)
    assert ColumnKind.COUNT in seen and ColumnKind.AMOUNT in seen


def _sheet_values(path: Path) -> dict[str, dict[str, object]]:
    wb = load_workbook(path)
    return {ws.title: {c.coordinate: c.value for row in ws.iter_rows() for c in row} for ws in wb}


def _check_cells(spec, book) -> list[tuple[str, str, str]]:
    """(sheet, coordinate, formula) of every live-check cell."""
    out = []
    for sheet in spec.sheets:
        ws = book[sheet]
        for block in plan_sheet(spec, sheet).blocks:
            for row in block.table.number_rows:
                coord = ws.cell(block.rows[row.id], block.check_column).coordinate
                out.append((sheet, coord, ws[coord].value))
            if block.check_row:
                for col in block.table.columns:
                    coord = ws.cell(block.check_row, block.columns[col.id]).coordinate
                    out.append((sheet, coord, ws[coord].value))
    return out


def test_every_in_sheet_rule_has_a_live_check_and_cross_year_rules_none(case, book):
    spec, _, _ = case
    formulas = " ".join(f for _, _, f in _check_cells(spec, book) if f)
    for rule in spec.rules:
        if rule.kind != "equation":
            continue
        if rule.cross_year:
            assert f'"{rule.id} ' not in formulas
        else:
            assert f'"{rule.id} ' in formulas, rule.id


def _filled(case, tmp_path, changes: dict[Cell, object] | None = None) -> Path:
    from disclosure.registry import load_registry

    _spec, year, template = case
    values = dict(sample_figures(year, load_registry())["U05"])
    values.update(changes or {})
    return fill_workbook(template, tmp_path / "filled.xlsx", values, contact="刘洋", phone="0951-2000005")


def _evaluate_checks(case, path: Path) -> dict[tuple[str, str], object]:
    spec = case[0]
    values = _sheet_values(path)
    book = load_workbook(path)
    return {
        (sheet, coord): evaluate(formula, values[sheet].get)
        for sheet, coord, formula in _check_cells(spec, book)
        if formula
    }


def test_live_checks_silent_for_a_valid_return(case, tmp_path):
    results = _evaluate_checks(case, _filled(case, tmp_path))
    assert results and set(results.values()) == {""}


def test_live_check_names_the_broken_row_and_expected_total(case, tmp_path):
    spec = case[0]
    layout = template_layout(spec)
    rule = spec.rule("R4")
    _, sides = next(iter(spec.expand(rule, rule.equations[0])))  # first row of 三
    target = sides["left"][0][0]
    path = _filled(case, tmp_path, {target: 999})
    expected_total = sum(sample_figures(case[1], _registry())["U05"][c] for c, _, _ in sides["right"])
    results = _evaluate_checks(case, path)
    sheet, coord = layout[target]
    row = int("".join(ch for ch in coord if ch.isdigit()))
    broken = {k: v for k, v in results.items() if v}
    row_message = next(v for (s, c), v in broken.items() if s == sheet and c.endswith(str(row)) and "R4" in v)
    assert row_message == f"R4 不符：总计应为 {expected_total}"
    # The per-column checks under 三 flag the same cell through R1/R3 of the 总计 column.
    assert any("R3" in v or "R1" in v for v in broken.values())


def test_live_check_reports_blank_cells(case, tmp_path):
    spec = case[0]
    first = next(iter(template_layout(spec)))
    results = _evaluate_checks(case, _filled(case, tmp_path, {first: None}))
    messages = [v for v in results.values() if v]
    assert any("格未填数字" in m for m in messages)


def test_conditional_formatting_covers_every_rule_instance(case, book):
    spec = case[0]
    layout = template_layout(spec)
    for rule in spec.rules:
        if rule.kind != "equation" or rule.cross_year:
            continue
        sheet = spec.table(rule.table).sheet
        ws = book[sheet]
        ranges = {str(cf.sqref): cf for cf in ws.conditional_formatting}
        for eq in rule.equations:
            for _, sides in spec.expand(rule, eq):
                coords = {layout[c][1] for c, _, _ in (*sides["left"], *sides["right"])}
                assert any(set(r.split()) == coords for r in ranges), (rule.id, coords)


def test_fill_workbook_round_trip(case, tmp_path):
    spec, _year, template = case
    layout = template_layout(spec)
    values = {cell: i for i, cell in enumerate(layout)}
    amount = next((c for c in layout if spec.table(c.table).column(c.column).kind is ColumnKind.AMOUNT), None)
    if amount:
        values[amount] = Decimal("3421.7")
    blank, text = list(layout)[:2]
    values[blank] = None
    values[text] = "无"
    path = fill_workbook(
        template, tmp_path / "f.xlsx", values, contact="刘洋", phone="123", justification="清理"
    )
    book = load_workbook(path)
    for cell, value in values.items():
        sheet, coord = layout[cell]
        got = book[sheet][coord].value
        assert (Decimal(str(got)) if cell == amount else got) == value, cell
    cover = book[COVER_SHEET]
    filled = {cover.cell(r, 1).value: cover.cell(r, 2).value for r in range(2, cover.max_row + 1)}
    assert filled[COVER_FIELDS["contact"]] == "刘洋" and filled[COVER_FIELDS["justification"]] == "清理"
    # Filling keeps what protects the template.
    assert book[IDENTITY_SHEET].sheet_state == "veryHidden"
    assert all(book[s].protection.sheet for s in spec.sheets)
    assert len(book.custom_doc_props.props) == len(IDENTITY_KEYS)


def test_fill_workbook_rejects_cells_of_another_format(case, tmp_path):
    _spec, _, template = case
    foreign = Cell("t3", "no_such_row", "natural")
    with pytest.raises(KeyError, match="not in this template"):
        fill_workbook(template, tmp_path / "f.xlsx", {foreign: 1}, contact="a", phone="b")


def test_instructions_quote_every_rule(case, book):
    spec = case[0]
    text = "\n".join(str(c.value) for row in book[INSTRUCTIONS_SHEET].iter_rows() for c in row if c.value)
    for rule in spec.rules:
        assert rule.description in text, rule.id
    assert "填 0" in text and "万元" in text and "报送" in text


def _registry():
    from disclosure.registry import load_registry

    return load_registry()


def test_write_templates_names_files_by_year_and_unit(spec2019, tmp_path):
    registry = _registry()
    paths = write_templates(spec2019, 2020, registry.units[3:5], tmp_path)
    assert [p.name for p in paths] == ["2020_U04_物化探勘查院.xlsx", "2020_U05_水文环境地质调查院.xlsx"]
    ws = load_workbook(paths[1])[IDENTITY_SHEET]
    assert ws["B4"].value == "U05"


def test_cli_template_one_unit_and_all(tmp_path):
    from disclosure.cli import main

    runner = CliRunner()
    one = runner.invoke(
        main, ["template", "--year", "2021", "--unit", "U05", "--out", str(tmp_path / "u5.xlsx")]
    )
    assert one.exit_code == 0, one.output
    assert one.output.strip() == str(tmp_path / "u5.xlsx")
    every = runner.invoke(main, ["template", "--year", "2020", "--all", "--out", str(tmp_path / "all")])
    assert every.exit_code == 0, every.output
    assert len(every.output.split()) == len(_registry().units)
    override = runner.invoke(
        main,
        [
            "template",
            "--year",
            "2020",
            "--unit",
            "U01",
            "--format-version",
            "gov-2021",
            "--out",
            str(tmp_path),
        ],
    )
    assert override.exit_code == 0
    ws = load_workbook(override.output.strip())[IDENTITY_SHEET]
    assert ws["B2"].value == "gov-2021"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--year", "2021", "--unit", "U99", "--out", "x.xlsx"], "不在单位名册中"),
        (["--year", "2021", "--out", "x.xlsx"], "--unit CODE 或 --all"),
        (["--year", "2021", "--unit", "U01", "--format-version", "gov-1999", "--out", "x.xlsx"], "gov-1999"),
    ],
)
def test_cli_template_usage_errors(args, message, tmp_path):
    from disclosure.cli import main

    result = CliRunner().invoke(main, ["template", *args])
    assert result.exit_code == 2
    assert message in result.output
