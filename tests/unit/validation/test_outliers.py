"""Outlier warnings (O1 偏离往年, O2 金额数量级突变, O3 与上年报表相同): a return that adds up and is still wrong,
judged against the unit's own accepted figures of earlier years, the history quoted in the message; a
justification on the cover turns the warning into an accepted one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import make_return, valid_values

from disclosure.formats import Cell, ColumnKind, OutlierTest, load_spec
from disclosure.validation import validate_returns
from disclosure.validation.outliers import differing_figures, magnitude_bounds, spread_bounds

pytestmark = pytest.mark.unit

SPEC = load_spec("gov-2021")
YEAR = 2022
DECISIONS = Cell("t2_5", "licensing", "decisions")
FEES = Cell("t2_8", "fees", "fee_amount")
#: the outlier rules a test below breaks (test_rules.py asks every rule of the specs to be broken somewhere)
BROKEN_WITH_HISTORY = ("O1", "O2", "O3")


def _history(values, changes_per_year: dict[int, dict[Cell, object]]):
    """The unit's accepted figures per year: this year's valid figures with the given cells changed."""
    return {"U01": {year: {**values, **changes} for year, changes in changes_per_year.items()}}


def _outliers(values, history, justification: str = ""):
    ret = make_return(SPEC, values, year=YEAR, justification=justification)
    findings = validate_returns([ret], SPEC, history=history)
    return [f for f in findings if f.rule.startswith("O")]


def test_a_figure_far_from_the_units_history_is_a_warning_with_the_history_in_the_message():
    values = {**valid_values(SPEC), DECISIONS: 400}
    history = _history(values, {2019: {DECISIONS: 3}, 2020: {DECISIONS: 5}, 2021: {DECISIONS: 4}})
    (finding,) = _outliers(values, history)
    assert finding.rule == "O1" and finding.key == DECISIONS
    assert finding.blocks_acceptance and not finding.justified
    assert (
        "（行政许可·本年处理决定数量）近三年为 3、5、4，今年为 400，明显偏离本单位往年数据。"
        in finding.message
    )
    assert finding.message.endswith("如数字无误，请在封面“差异说明”中写明原因。")
    assert (finding.expected, finding.actual) == ("3、5、4", "400")


def test_a_justification_on_the_cover_turns_the_outlier_into_an_accepted_warning():
    values = {**valid_values(SPEC), DECISIONS: 400}
    history = _history(values, {2019: {DECISIONS: 3}, 2020: {DECISIONS: 5}, 2021: {DECISIONS: 4}})
    (finding,) = _outliers(values, history, justification="本年度集中办理地质勘查资质延续，许可决定大幅增加")
    assert finding.justified and not finding.blocks_acceptance
    assert finding.message.endswith(
        "单位已在封面“差异说明”中说明：本年度集中办理地质勘查资质延续，许可决定大幅增加"
    )


@pytest.mark.parametrize(
    ("past", "now"),
    [((0, 0, 0), 2), ((0, 0), 15), ((3, 5, 4), 19), ((100, 110, 90), 170)],
    ids=["0-to-2", "floor-of-small-counts", "at-the-upper-bound", "relative-floor"],
)
def test_small_or_moderate_changes_are_no_outlier(past, now):
    values = {**valid_values(SPEC), DECISIONS: now}
    history = _history(values, {2021 - i: {DECISIONS: v} for i, v in enumerate(reversed(past))})
    assert _outliers(values, history) == []


def test_the_spread_rule_needs_two_years_of_history():
    values = {**valid_values(SPEC), DECISIONS: 400}
    assert _outliers(values, _history(values, {2021: {DECISIONS: 4}})) == []
    (finding,) = _outliers(values, _history(values, {2019: {DECISIONS: 3}, 2021: {DECISIONS: 4}}))
    assert "2019、2021年为 3、4，今年为 400" in finding.message


@pytest.mark.parametrize(("last", "now"), [("25.1", "251000"), ("25.1", "0.2")], ids=["up", "down"])
def test_an_amount_whose_magnitude_jumps_by_100_is_a_warning(last, now):
    values = {**valid_values(SPEC), FEES: Decimal(now)}
    (finding,) = _outliers(values, _history(values, {2021: {FEES: Decimal(last)}}))
    assert finding.rule == "O2" and finding.key == FEES
    assert (
        f"上年为 {last}，今年为 {now}，相差 100 倍以上：请核对是否以“元”误填（本栏以万元计）。"
        in finding.message
    )


@pytest.mark.parametrize(("last", "now"), [("25.1", "2.51"), ("0", "1000"), ("12", "0"), ("10", "999.99")])
def test_no_magnitude_jump_below_the_factor_or_from_nothing(last, now):
    values = {**valid_values(SPEC), FEES: Decimal(now)}
    assert _outliers(values, _history(values, {2021: {FEES: Decimal(last)}})) == []


def test_a_return_identical_to_last_years_is_a_warning_on_the_cover():
    values = valid_values(SPEC)
    (finding,) = _outliers(values, _history(values, {2021: {}}))
    assert finding.rule == "O3" and finding.sheet == "封面" and finding.key is None
    assert "与本单位2021年度已采用的报表完全相同" in finding.message
    assert finding.blocks_acceptance


def test_an_empty_year_after_an_empty_year_is_no_copy():
    zeros = dict.fromkeys(SPEC.cells(), 0)
    assert _outliers(zeros, _history(zeros, {2021: {}})) == []


def test_without_history_no_outlier_rule_applies():
    values = {**valid_values(SPEC), DECISIONS: 400}
    assert _outliers(values, None) == [] and _outliers(values, {"U99": {2021: values}}) == []


def test_thresholds_are_the_specs():
    (o1,) = [r for r in SPEC.outlier_rules if r.test.method == "spread"]
    assert (o1.test.years, o1.test.min_years, o1.test.k) == (3, 2, 3)
    low, high = spread_bounds(o1.test, ColumnKind.COUNT, [3, 5, 4])
    assert (low, high) == (Decimal(-11), Decimal(19))  # spread = max(MAD 1, floor 5, 25% of 4)
    (o2,) = [r for r in SPEC.outlier_rules if r.test.method == "magnitude"]
    assert magnitude_bounds(o2.test, Decimal("25.1")) == (Decimal("0.251"), Decimal("2510"))
    assert magnitude_bounds(o2.test, 0) is None
    assert differing_figures({DECISIONS: 1, FEES: 0}, {DECISIONS: 1, FEES: 2}) == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"method": "spread", "k": 3},  # no floor for its kinds
        {"method": "magnitude"},  # no factor
        {"method": "identical", "factor": 100},
        {"method": "spread", "years": 1, "min_years": 2, "k": 3, "floor": {"count": 5}, "kinds": ["count"]},
    ],
)
def test_a_malformed_outlier_test_fails_at_load_time(bad):
    with pytest.raises(ValueError):
        OutlierTest.model_validate(bad)
