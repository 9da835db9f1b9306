"""The cover's "nothing to report" declaration (无事项声明): a declared empty return is accepted as zeros; an
untouched template is still blank (R6); a declaration with figures filled in contradicts itself."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from disclosure.formats import Cell, ColumnKind, load_spec
from disclosure.workbook.identity import COVER_FIELDS, COVER_SHEET, NOTHING_TO_REPORT_CHOICE
from disclosure.workbook.reader import read_return
from disclosure.workbook.template import fill_workbook, template_layout, write_template

pytestmark = pytest.mark.unit

YEAR = 2021
NEW_NATURAL = Cell("t3", "new", "natural")


def _return(tmp_path: Path, *, declared: bool, values=None) -> Path:
    spec = load_spec("gov-2021")
    template = write_template(spec, YEAR, "U05", "地质环境监测院", tmp_path / "template.xlsx")
    return fill_workbook(
        template,
        tmp_path / "2021_U05.xlsx",
        values or {},
        contact="张三",
        phone="010-12345678",
        nothing_to_report=declared,
    )


def test_the_template_offers_the_declaration_as_a_drop_down(tmp_path: Path):
    spec = load_spec("gov-2021")
    wb = load_workbook(write_template(spec, YEAR, "U05", "地质环境监测院", tmp_path / "t.xlsx"))
    cover = wb[COVER_SHEET]
    row = 2 + list(COVER_FIELDS).index("nothing_to_report")
    assert cover.cell(row, 1).value == "无事项声明" and cover.cell(row, 2).value is None
    assert not cover.cell(row, 2).protection.locked
    [dv] = [dv for dv in cover.data_validations.dataValidation if f"B{row}" in str(dv.sqref)]
    assert dv.type == "list" and dv.formula1 == f'"{NOTHING_TO_REPORT_CHOICE}"'


def test_a_declared_empty_return_is_read_and_accepted_as_zeros(data_dir, tmp_path: Path):
    from disclosure.validation import validate_files

    spec = load_spec("gov-2021")
    ret = read_return(_return(tmp_path, declared=True))
    assert ret.meta.nothing_to_report
    assert len(ret.figures) == len(list(spec.cells()))
    for figure in ret.figures:
        kind = spec.table(figure.table).column(figure.column).kind
        assert figure.value == 0 and isinstance(figure.value, Decimal if kind is ColumnKind.AMOUNT else int)
    (result,) = validate_files([_return(tmp_path, declared=True)], docs=False).files
    assert [f for f in result.findings if f.is_error] == []


def test_an_untouched_template_is_still_blank(data_dir, tmp_path: Path):
    from disclosure.validation import validate_files

    (result,) = validate_files([_return(tmp_path, declared=False)], docs=False).files
    assert result.findings and {f.rule for f in result.findings if f.is_error} == {"R6"}


def test_a_declaration_with_figures_filled_in_is_a_contradiction(data_dir, tmp_path: Path):
    from disclosure.validation import validate_files

    sheet, coordinate = template_layout(load_spec("gov-2021"))[NEW_NATURAL]
    path = _return(tmp_path, declared=True, values={NEW_NATURAL: 5})
    (result,) = validate_files([path], docs=False).files
    [finding] = [f for f in result.findings if f.sheet == COVER_SHEET]
    assert finding.is_error
    assert "声明“本年度无依申请公开等事项，各表均为 0”" in finding.message
    assert f"{sheet}!{coordinate}（5）" in finding.message
    assert any(f.rule == "R6" for f in result.findings)  # the blanks are not made 0 then


def test_an_unclear_declaration_is_reported(data_dir, tmp_path: Path):
    path = _return(tmp_path, declared=False)
    wb = load_workbook(path)
    row = 2 + list(COVER_FIELDS).index("nothing_to_report")
    wb[COVER_SHEET].cell(row, 2).value = "也许"
    wb.save(path)
    ret = read_return(path, strict=False)
    assert not ret.meta.nothing_to_report
    assert [p.code for p in ret.problems if p.sheet == COVER_SHEET] == ["declaration_unclear"]


def test_a_declared_empty_return_is_accepted_and_shown_as_declared(data_dir, tmp_path: Path, registry):
    from disclosure.intake import take_in
    from disclosure.settings import Settings
    from disclosure.status import year_summary
    from disclosure.store import Store

    store = Store.open()
    try:
        [result] = take_in([_return(tmp_path, declared=True)], store=store, registry=registry)
        assert result.accepted, [f.message for f in result.findings]
        accepted = store.current_figures(YEAR)["U05"]
        assert len(accepted) == len(list(load_spec("gov-2021").cells())) and set(accepted.values()) == {0}
        view = year_summary(YEAR, store=store, registry=registry, settings=Settings.from_env())
    finally:
        store.dispose()
    assert view.unit("U05").nothing_to_report and not view.unit("U04").nothing_to_report
