"""Consolidation: exact sums of the latest accepted returns, the stock rule, drafts, provenance, resubmission."""

from __future__ import annotations

from decimal import Decimal

import pytest

from disclosure.consolidation import consolidate, provenance
from disclosure.formats import Cell
from disclosure.registry import Registry
from disclosure.store import Store
from tests.unit.store.factories import YEAR, as_figures, unit_values

pytestmark = pytest.mark.unit

NEW_NATURAL = Cell("t3", "new", "natural")
FEE = Cell("t2_8", "fees", "fee_amount")
IN_FORCE = Cell("t2_1", "rules", "in_force")


def with_bureau_return(registry: Registry, in_force: str) -> Registry:
    bureau = registry.bureau.model_copy(
        update={"reports_own_return": True, "in_force_consolidation": in_force}
    )
    return registry.model_copy(update={"bureau": bureau})


def test_totals_are_the_exact_sum_of_every_units_figures(store: Store, submit, spec2021, registry):
    values = {code: unit_values(spec2021, seed) for seed, code in enumerate(registry.codes, start=1)}
    values["U01"][FEE] = Decimal("0.1")
    values["U02"][FEE] = Decimal("0.2")  # 0.1 + 0.2 is 0.3 exactly, not 0.30000000000000004
    for code, unit_figures in values.items():
        submit(code, unit_figures)
    totals = consolidate(YEAR, store, registry, spec2021)
    assert set(totals.values) == set(spec2021.cells())
    for cell in spec2021.cells():
        assert totals.values[cell] == sum(v[cell] for v in values.values())
    assert isinstance(totals.values[FEE], Decimal) and isinstance(totals.values[NEW_NATURAL], int)
    assert totals.values[FEE] - sum(v[FEE] for c, v in values.items() if c not in ("U01", "U02")) == Decimal(
        "0.3"
    )
    assert not totals.is_draft and totals.draft_label == ""
    assert totals.contributing_units == tuple(registry.codes)


def test_missing_and_invalid_units_make_a_draft(store: Store, submit, received_file, spec2021, registry):
    for seed, code in enumerate(registry.codes[3:], start=4):
        submit(code, unit_values(spec2021, seed))
    failed = store.archive_file(received_file("u02.xlsx", "bad"), year=YEAR, unit="U02")
    store.record_validation(failed.id, [{"rule": "R1", "severity": "error", "message": "不平衡"}])
    totals = consolidate(YEAR, store, registry, spec2021)
    assert totals.missing_units == ("U01", "U03")
    assert totals.invalid_units == ("U02",)
    assert totals.is_draft
    assert (
        totals.draft_label
        == "草稿（未完成：未报送 U01 地质调查院、U03 矿产地质调查院；校验未通过（无可用数据） U02 基础地质调查院）"
    )
    assert totals.values[NEW_NATURAL] == sum(unit_values(spec2021, s)[NEW_NATURAL] for s in range(4, 13))


def test_a_unit_whose_resubmission_failed_still_counts_but_keeps_the_report_a_draft(
    store: Store, submit, received_file, spec2021, registry
):
    for seed, code in enumerate(registry.codes, start=1):
        submit(code, unit_values(spec2021, seed))
    broken = store.archive_file(received_file("u05-v2.xlsx", "broken"), year=YEAR, unit="U05")
    store.record_validation(broken.id, [{"rule": "READ", "severity": "error", "message": "无法打开"}])
    totals = consolidate(YEAR, store, registry, spec2021)
    assert "U05" in totals.contributing_units and totals.invalid_units == ("U05",)
    assert totals.values[NEW_NATURAL] == sum(unit_values(spec2021, s)[NEW_NATURAL] for s in range(1, 13))
    assert totals.draft_label == "草稿（未完成：校验未通过（沿用此前已采用的数据） U05 水文环境地质调查院）"


def test_resubmission_changes_the_totals_by_exactly_its_delta(store: Store, submit, spec2021, registry):
    for seed, code in enumerate(registry.codes, start=1):
        submit(code, unit_values(spec2021, seed), name=f"{code}.xlsx")
    before = consolidate(YEAR, store, registry, spec2021)
    old_id = store.latest_submission(YEAR, "U05").id

    resubmitted = unit_values(spec2021, 5)
    resubmitted[NEW_NATURAL] += 3
    resubmitted[FEE] += Decimal("0.0125")
    new_id = submit("U05", resubmitted, name="U05-更正.xlsx")
    after = consolidate(YEAR, store, registry, spec2021)

    deltas = {cell: after.values[cell] - before.values[cell] for cell in spec2021.cells()}
    assert {cell: d for cell, d in deltas.items() if d} == {NEW_NATURAL: 3, FEE: Decimal("0.0125")}
    assert [s.id for s in store.submissions(YEAR, "U05")] == [old_id, new_id]  # the old one is kept
    entry = next(e for e in provenance(YEAR, FEE, store, registry, spec2021).entries if e.unit == "U05")
    assert (entry.file, entry.submission_id, entry.value) == ("U05-更正.xlsx", new_id, resubmitted[FEE])
    new_cell = next(f.cell for f in as_figures(YEAR, "U05", resubmitted, spec2021) if f.key == FEE)
    assert (entry.sheet, entry.cell) == (spec2021.table("t2_8").sheet, new_cell)


def test_provenance_adds_up_to_the_total(store: Store, submit, spec2021, registry):
    for seed, code in enumerate(registry.codes[:4], start=1):
        submit(code, unit_values(spec2021, seed))
    explained = provenance(YEAR, NEW_NATURAL, store, registry, spec2021)
    assert explained.rule == "sum"
    assert [e.unit for e in explained.entries] == registry.codes[:4]
    assert explained.total == sum(e.value for e in explained.entries)
    assert explained.missing_units == tuple(registry.codes[4:])
    assert explained.to_dict()["entries"][0]["file"] == explained.entries[0].file


def test_provenance_of_a_cell_the_format_does_not_have_is_an_error(store: Store, spec2021, registry):
    with pytest.raises(KeyError, match="has no column 'nonsense'"):
        provenance(YEAR, Cell("t3", "new", "nonsense"), store, registry, spec2021)
    with pytest.raises(KeyError, match="has no number row 'results'"):
        provenance(YEAR, Cell("t3", "results", "natural"), store, registry, spec2021)


@pytest.mark.parametrize(("mode", "expected"), [("sum", "units_and_bureau"), ("bureau", "bureau_only")])
def test_in_force_stock_is_consolidated_as_configured(
    store: Store, submit, spec2021, registry, mode, expected
):
    reg = with_bureau_return(registry, mode)
    codes = reg.reporting_codes()
    assert codes[-1] == reg.bureau.code
    values = {code: unit_values(spec2021, seed) for seed, code in enumerate(codes, start=1)}
    for code, unit_figures in values.items():
        submit(code, unit_figures)
    totals = consolidate(YEAR, store, reg, spec2021)
    summed = sum(v[IN_FORCE] for v in values.values())
    assert totals.values[IN_FORCE] == (
        summed if expected == "units_and_bureau" else values["NXDZJ"][IN_FORCE]
    )
    # flows are summed either way, the bureau's own return included
    assert totals.values[NEW_NATURAL] == sum(v[NEW_NATURAL] for v in values.values())
    explained = provenance(YEAR, IN_FORCE, store, reg, spec2021)
    assert explained.rule == mode
    assert [e.unit for e in explained.entries] == (codes if mode == "sum" else ["NXDZJ"])
    assert explained.total == totals.values[IN_FORCE]


def test_totals_can_be_saved_and_read_back(store: Store, submit, spec2021, registry):
    submit("U01", unit_values(spec2021, 1))
    totals = consolidate(YEAR, store, registry, spec2021)
    run_id = totals.save(store)
    saved = store.latest_totals(YEAR)
    assert saved.run_id == run_id and saved.values == totals.values
    assert saved.draft_label == totals.draft_label and saved.missing_units == totals.missing_units
