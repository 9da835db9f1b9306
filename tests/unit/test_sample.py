"""Sample returns: the 2020 set adds up to the published seed, later years are valid and carried over, faults are
precise mutations of exactly the intended units."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from disclosure.formats import Cell, load_spec
from disclosure.workbook.identity import IDENTITY_SHEET, NOTHING_TO_REPORT_CHOICE
from disclosure.workbook.sample import (
    FAULTS,
    JUSTIFICATION,
    assign_faults,
    broken_rules,
    faults_for,
    sample_figures,
    write_sample,
    write_sample_returns,
)
from disclosure.workbook.template import template_layout
from tests.seed_2020 import seed_figures

pytestmark = pytest.mark.unit


def _all_values(path: Path) -> dict[tuple[str, str], object]:
    """Every non-empty cell of every sheet, by (sheet, coordinate)."""
    book = load_workbook(path, read_only=True)
    try:
        return {
            (ws.title, c.coordinate): c.value
            for ws in book.worksheets
            for row in ws.iter_rows()
            for c in row
            if getattr(c, "value", None) is not None
        }
    finally:
        book.close()


def _read(path: Path, spec) -> dict[Cell, object]:
    """The figure cells of a filled return, by the template layout (numbers as int / Decimal; blank as None, or
    as 0 when the cover declares 无事项声明, as the reader counts them)."""
    values = _all_values(path)
    declared = NOTHING_TO_REPORT_CHOICE in values.values()
    out: dict[Cell, object] = {}
    for cell, key in template_layout(spec).items():
        value = values.get(key)
        if value is None and declared:
            value = 0
        out[cell] = Decimal(str(value)) if isinstance(value, float) else value
    return out


def _small_registry(registry, count: int, path: Path | None = None):
    """The first ``count`` units of the sample registry (as a model, and written as a YAML file when ``path``)."""
    import yaml

    small = registry.model_copy(update={"units": registry.units[:count]})
    if path is not None:
        path.write_text(yaml.safe_dump(small.model_dump(mode="json"), allow_unicode=True), encoding="utf-8")
    return small


@pytest.fixture(scope="module")
def returns_2020(tmp_path_factory, registry):
    return write_sample_returns(2020, tmp_path_factory.mktemp("s2020"), registry)


@pytest.fixture(scope="module")
def returns_2021(tmp_path_factory, registry):
    return write_sample_returns(2021, tmp_path_factory.mktemp("s2021"), registry)


@pytest.fixture(scope="module")
def faulty_2021(tmp_path_factory, registry):
    return write_sample_returns(2021, tmp_path_factory.mktemp("f2021"), registry, faulty=True)


def test_2020_sample_adds_up_to_the_seed_exactly(returns_2020, spec2019, registry):
    assert [r.unit for r in returns_2020] == registry.codes
    totals: dict[tuple[str, str, str], Decimal] = {}
    contributors: dict[tuple[str, str, str], int] = {}
    for r in returns_2020:
        for cell, value in _read(r.path, spec2019).items():
            assert isinstance(value, int | Decimal), (r.unit, cell, value)
            totals[tuple(cell)] = totals.get(tuple(cell), Decimal(0)) + Decimal(value)
            contributors[tuple(cell)] = contributors.get(tuple(cell), 0) + (value != 0)
    assert totals == {k: Decimal(v) for k, v in seed_figures().items()}
    # spread over several units, with decimal amounts
    assert contributors[("t2_9", "central_procurement", "purchase_amount")] >= 3


def test_2020_sample_has_a_justified_unit_and_a_declared_empty_return(returns_2020, spec2019):
    """U01 explains its 采购总金额 jump on the cover (差异说明); U02 ticks 无事项声明 and leaves its tables blank; no
    other unit writes either."""
    layout = set(template_layout(spec2019).values())
    for r in returns_2020:
        values = _all_values(r.path)
        assert (JUSTIFICATION in values.values()) is (r.unit == "U01"), r.unit
        assert (NOTHING_TO_REPORT_CHOICE in values.values()) is (r.unit == "U02"), r.unit
        assert (layout.isdisjoint(values)) is (r.unit == "U02"), r.unit  # untouched tables


def test_2020_sample_every_return_valid(returns_2020, spec2019):
    for r in returns_2020:
        assert broken_rules(spec2019, _read(r.path, spec2019)) == [], r.unit


def test_2021_sample_every_return_valid_nontrivial_and_carried_over(
    returns_2021, returns_2020, spec2021, spec2019
):
    last_year = {r.unit: _read(r.path, spec2019) for r in returns_2020}
    per_table: dict[str, int] = {}
    for r in returns_2021:
        figures = _read(r.path, spec2021)
        assert all(isinstance(v, int | Decimal) for v in figures.values()), r.unit
        previous = {c: v for c, v in last_year[r.unit].items()}
        problems = broken_rules(spec2021, figures, previous)
        # X2 (a warning) cannot hold against a 2019-format year, which has no 现行有效件数: every other rule must.
        assert [p for p in problems if not p.startswith("X2")] == [], r.unit
        for cell, value in figures.items():
            per_table[cell.table] = per_table.get(cell.table, 0) + (value != 0)
    assert set(per_table) == {t.id for t in spec2021.tables}
    assert all(count > 0 for count in per_table.values()), per_table


def test_x1_and_x2_hold_from_2021_to_2022(registry):
    spec = load_spec("gov-2021")
    y2021, y2022 = sample_figures(2021, registry), sample_figures(2022, registry)
    for code in registry.codes:
        assert broken_rules(spec, y2022[code], y2021[code]) == [], code
    # carried-over applications are really non-zero somewhere, so X1 is exercised
    assert any(y2022[c][Cell("t3", "carried_in", "total")] for c in registry.codes)


def test_sample_is_deterministic(registry, returns_2021, spec2021):
    again = sample_figures(2021, registry)
    for r in returns_2021[:2]:
        read = _read(r.path, spec2021)
        assert {c: Decimal(v) for c, v in read.items()} == {c: Decimal(v) for c, v in again[r.unit].items()}


def test_fault_catalogue_covers_the_real_world_errors():
    ids = {f.id for f in FAULTS}
    assert len(FAULTS) >= 12 and len(ids) == len(FAULTS)
    for needed in (
        "r1_broken",
        "r3_broken",
        "r4_total_blank",
        "r5_total_zero",
        "blank_cell",
        "text_in_number",
        "amount_with_unit",
        "negative_count",
        "decimal_in_count",
        "altered_label",
        "old_format_row",
        "wrong_year",
        "formula_no_cache",
        "missing_sheet",
    ):
        assert needed in ids
    assert all(f.description and f.triggers for f in FAULTS)


def test_faulty_true_gives_each_unit_a_distinct_class(faulty_2021, registry):
    faults = [r.fault for r in faulty_2021]
    assert None not in faults and len(set(faults)) == len(registry.codes)
    assert "old_format_row" in faults


def test_old_format_row_only_where_the_format_split_the_row(spec2019, spec2021):
    assert "old_format_row" not in {f.id for f in faults_for(spec2019)}
    assert "old_format_row" in {f.id for f in faults_for(spec2021)}


def test_faulty_units_only_those_mutated(tmp_path, registry, returns_2020):
    small = _small_registry(registry, 4)
    chosen = ["U02", "U04"]
    results = write_sample_returns(2020, tmp_path, small, faulty=chosen)
    assigned = assign_faults(load_spec("gov-2019"), small, chosen)
    assert {r.unit: r.fault for r in results if r.fault} == {"U02": FAULTS[0].id, "U04": FAULTS[1].id}
    assert {u: f.id for u, f in assigned.items()} == {"U02": FAULTS[0].id, "U04": FAULTS[1].id}
    valid = {r.unit: r.path for r in returns_2020}  # the 2020 figures of a unit depend only on its position
    for r in results:
        same = _all_values(r.path) == _all_values(valid[r.unit])
        assert same is (r.unit not in chosen), r.unit


def test_faulty_units_must_be_in_the_registry(tmp_path, registry):
    with pytest.raises(KeyError, match="U99"):
        write_sample(2020, tmp_path, registry, faulty=["U99"])


def _reader_codes(path: Path) -> tuple[set[str], object]:
    from disclosure.errors import ReturnReadError
    from disclosure.workbook.reader import read_return

    try:
        ret = read_return(path, strict=False)
    except ReturnReadError as exc:
        return {p.code for p in exc.problems}, None
    return {p.code for p in ret.problems}, ret


def test_each_fault_is_caught_as_catalogued(faulty_2021, returns_2021, spec2021, registry):
    """Every fault shows up as the rule or reader problem it names; the valid file of the same unit does not."""
    from disclosure.workbook.reader import figures_by_key

    for r in faulty_2021:
        fault = next(f for f in FAULTS if f.id == r.fault)
        codes, ret = _reader_codes(r.path)
        rules: set[str] = set()
        if ret is not None:
            figures = {Cell(*k): v for k, v in figures_by_key(ret.figures).items() if v is not None}
            rules = {p.split(":")[0] for p in broken_rules(spec2021, figures)}
        found = codes | rules
        if "year_mismatch" in fault.triggers:
            assert ret.meta.year == 2020, (
                r.unit
            )  # the identity says last year: the caller compares with the run
            continue
        assert found & set(fault.triggers), (r.unit, fault.id, found)
    for r in returns_2021:
        codes, ret = _reader_codes(r.path)
        assert codes == set() and ret.meta.year == 2021, r.unit


@pytest.mark.parametrize("fault_id", ["r1_broken", "r3_broken", "r5_total_zero"])
def test_rule_faults_break_exactly_their_rule(fault_id, faulty_2021, spec2021):
    r = next(r for r in faulty_2021 if r.fault == fault_id)
    figures = _read(r.path, spec2021)
    broken = {p.split(":")[0] for p in broken_rules(spec2021, figures)}
    expected = next(f for f in FAULTS if f.id == fault_id).triggers
    assert broken == set(expected)


def test_wrong_year_fault_changes_cover_and_identity(faulty_2021):
    r = next(r for r in faulty_2021 if r.fault == "wrong_year")
    book = load_workbook(r.path)
    ws = book[IDENTITY_SHEET]
    assert {ws.cell(i, 1).value: ws.cell(i, 2).value for i in range(1, 7)}["year"] == "2020"
    assert {p.name: p.value for p in book.custom_doc_props.props}["disclosure_year"] == "2020"


def test_cli_sample(tmp_path, registry):
    from disclosure.cli import main

    units_file = tmp_path / "units.yaml"
    _small_registry(registry, 3, units_file)
    out = tmp_path / "out"
    args = ["sample", "--year", "2020", "--out", str(out), "--units-file", str(units_file)]
    result = CliRunner().invoke(main, [*args, "--faulty-units", "U02"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 3 and len(list(out.glob("*.xlsx"))) == 3
    assert next(line for line in lines if "\t" in line).startswith(str(out / "2020_U02_"))
    bad = CliRunner().invoke(main, [*args, "--faulty-units", "U77"])
    assert bad.exit_code == 2 and "U77" in bad.output


def test_sample_years_form_one_series(registry):
    """2019 is generated backwards from the seed's 2020, 2021 on from it: X1 holds between every pair of years."""
    years = {year: sample_figures(year, registry) for year in (2019, 2020, 2021, 2022)}
    for year in (2020, 2021, 2022):
        spec = load_spec("gov-2019" if year <= 2020 else "gov-2021")
        for code in registry.codes:
            broken = broken_rules(spec, years[year][code], years[year - 1][code])
            # X2's stock (现行有效件数) starts in 2021: the 2019 format has no last-year stock to continue
            assert [b for b in broken if not (year == 2021 and b.startswith("X2"))] == [], (year, code)


@pytest.mark.slow
def test_accepting_the_samples_2019_to_2022_into_one_store_accepts_all_48(tmp_path, data_dir):
    """The series passes every rule, the cross-year and outlier rules included, against the years before it in
    the store: the one finding is U01's justified 2020 jump of 采购总金额 (O2, accepted)."""
    import json

    from disclosure.cli import main

    runner = CliRunner()
    accepted, findings = [], []
    for year in (2019, 2020, 2021, 2022):
        out = tmp_path / str(year)
        made = runner.invoke(main, ["sample", "--year", str(year), "--out", str(out)])
        assert made.exit_code == 0, made.output
        result = runner.invoke(main, ["accept", *sorted(map(str, out.glob("*.xlsx"))), "--json", "--no-docs"])
        assert result.exit_code == 0, result.output
        rows = json.loads(result.output)
        accepted += [(r["year"], r["unit"]) for r in rows if r["accepted"]]
        findings += [(r["year"], f["unit"], f["rule"], f["justified"]) for r in rows for f in r["findings"]]
    assert len(accepted) == 48 and len(set(accepted)) == 48
    assert findings == [(2020, "U01", "O2", True)]
