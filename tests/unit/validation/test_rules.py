"""Every rule of both format specs: a return that breaks exactly that rule yields exactly that finding, on the
checked cell, with a Chinese message; a valid return yields none. All cases of a spec are validated in one
batch run (one GX run), which also proves that failures map back to the right unit."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from conftest import make_return, previous_values, valid_values
from test_outliers import BROKEN_WITH_HISTORY

from disclosure.formats import Cell, ColumnKind, FormatSpec, Severity, load_spec
from disclosure.validation import TEMPLATE_RULE, validate_returns
from disclosure.validation.suite import compile_expectations

pytestmark = pytest.mark.unit

VERSIONS = ("gov-2019", "gov-2021")


def _plain_count_cell(spec: FormatSpec) -> Cell:
    """A count cell no equation reads (二's 第（五）项): breaking it breaks R6 only."""
    table = spec.table("t2_5")
    column = next(c for c in table.columns if c.kind is ColumnKind.COUNT)
    return Cell(table.id, table.number_rows[0].id, column.id)


def _amount_cell(spec: FormatSpec) -> Cell:
    return next(c for c in spec.cells() if spec.table(c.table).column(c.column).kind is ColumnKind.AMOUNT)


def _bump(values, *cells_and_deltas):
    for cell, delta in cells_and_deltas:
        values[cell] += delta


# Each case: (rule id, how to break a valid return) -> the cells expected to carry the finding.
# A breaker gets (spec, values, previous, raw) and returns (cells, meta overrides).
Breaker = Callable[[FormatSpec, dict, dict, dict], tuple[set[Cell], dict]]


def _r1(spec, values, previous, raw):
    _bump(values, (Cell("t3", "carried_out", "natural"), 1), (Cell("t3", "carried_out", "total"), 1))
    return {Cell("t3", "new", "natural"), Cell("t3", "new", "total")}, {}


def _r3(spec, values, previous, raw):
    _bump(values, (Cell("t3", "disclosed", "natural"), 1), (Cell("t3", "disclosed", "total"), 1))
    return {Cell("t3", "total", "natural"), Cell("t3", "total", "total")}, {}


def _r4(spec, values, previous, raw):
    _bump(values, (Cell("t3", "disclosed", "natural"), -1), (Cell("t3", "partial", "natural"), 1))
    return {Cell("t3", "disclosed", "total"), Cell("t3", "partial", "total")}, {}


def _r5(spec, values, previous, raw):
    _bump(values, (Cell("t4", "cases", "direct_total"), 1))
    return {Cell("t4", "cases", "direct_total")}, {}


def _r6_blank(spec, values, previous, raw):
    cell = _plain_count_cell(spec)
    values[cell] = None
    return {cell}, {}


def _x1(spec, values, previous, raw):
    previous[Cell("t3", "carried_out", "research")] += 1
    return {Cell("t3", "carried_in", "research")}, {}


def _x2(spec, values, previous, raw):
    previous[Cell("t2_1", "normative", "in_force")] += 2
    return {Cell("t2_1", "normative", "in_force")}, {}


def _template(spec, values, previous, raw):
    other = next(v for v in VERSIONS if v != spec.version)
    return set(), {"format_version": other}


BREAKERS: dict[str, Breaker] = {
    "R1": _r1,
    "R3": _r3,
    "R4": _r4,
    "R5": _r5,
    "R6": _r6_blank,
    "X1": _x1,
    "X2": _x2,
    TEMPLATE_RULE: _template,
}
#: R6's other faces: (case id, breaker)
R6_CASES: dict[str, Breaker] = {
    "negative": lambda spec, v, p, r: (
        v.__setitem__(_plain_count_cell(spec), -1),
        ({_plain_count_cell(spec)}, {}),
    )[1],
    "not_whole": lambda spec, v, p, r: (
        v.__setitem__(_plain_count_cell(spec), Decimal("2.5")),
        ({_plain_count_cell(spec)}, {}),
    )[1],
    "too_many_decimals": lambda spec, v, p, r: (
        v.__setitem__(_amount_cell(spec), Decimal("1.23456")),
        ({_amount_cell(spec)}, {}),
    )[1],
    "unit_in_amount": lambda spec, v, p, r: (
        v.__setitem__(_amount_cell(spec), None),
        r.__setitem__(_amount_cell(spec), "251000元"),
        ({_amount_cell(spec)}, {}),
    )[2],
}


def _cases(spec: FormatSpec) -> dict[str, tuple[str, Breaker]]:
    """unit code -> (rule id, breaker); one unit per case, plus a valid unit."""
    cases: dict[str, tuple[str, Breaker]] = {}
    for rule_id, breaker in BREAKERS.items():
        if rule_id == TEMPLATE_RULE or any(r.id == rule_id for r in spec.rules):
            cases[f"B-{rule_id}"] = (rule_id, breaker)
    for name, breaker in R6_CASES.items():
        cases[f"B-R6-{name}"] = ("R6", breaker)
    return cases


@pytest.fixture(scope="module")
def outcomes():
    """For each version: {unit: (rule id, expected cells, findings of that unit)}, from one batch run."""
    out = {}
    for version in VERSIONS:
        spec = load_spec(version)
        returns, previous, expected = [], {}, {}
        for index, (unit, (rule_id, breaker)) in enumerate({"VALID": ("", None), **_cases(spec)}.items()):
            values = valid_values(spec, seed=index)
            last_year = previous_values(spec, values)
            raw: dict = {}
            cells, meta = breaker(spec, values, last_year, raw) if breaker else (set(), {})
            returns.append(make_return(spec, values, unit=unit, raw=raw, **meta))
            previous[unit] = last_year
            expected[unit] = (rule_id, cells)
        findings = validate_returns(returns, spec, previous=previous)
        out[version] = {
            unit: (rule_id, cells, [f for f in findings if f.unit == unit])
            for unit, (rule_id, cells) in expected.items()
        }
        out[version]["_spec"] = spec
    return out


@pytest.mark.parametrize("version", VERSIONS)
def test_valid_return_has_no_findings(outcomes, version):
    assert outcomes[version]["VALID"][2] == []


@pytest.mark.parametrize("version", VERSIONS)
def test_every_rule_has_a_breaking_case(version):
    spec = load_spec(version)
    for rule in spec.rules:
        if rule.kind == "prose":
            continue  # R7 compares the report's prose with its tables: the report renderer checks it
        if rule.kind == "outlier":  # they need the unit's history: broken in test_outliers.py
            assert rule.id in BROKEN_WITH_HISTORY, f"no test breaks {rule.id}"
            continue
        assert rule.id in BREAKERS, f"no test breaks {rule.id}"


@pytest.mark.parametrize("version", VERSIONS)
def test_prose_rules_compile_to_no_expectation(version):
    spec = load_spec(version)
    prose = {r.id for r in spec.rules if r.kind == "prose"}
    compiled = {e.meta["rule"] for e in compile_expectations(spec)}
    assert prose and not prose & compiled
    assert {r.id for r in spec.rules if r.kind != "prose"} <= compiled


def _case_ids():
    for version in VERSIONS:
        for unit in _cases(load_spec(version)):
            yield pytest.param(version, unit, id=f"{version}-{unit}")


@pytest.mark.parametrize(("version", "unit"), list(_case_ids()))
def test_breaking_one_rule_gives_exactly_its_findings(outcomes, version, unit):
    spec = outcomes[version]["_spec"]
    rule_id, cells, findings = outcomes[version][unit]
    assert findings, f"{unit}: no finding"
    assert {f.rule for f in findings} == {rule_id}
    if cells:
        assert {f.key for f in findings} == cells
        for f in findings:
            table = spec.table(f.key.table)
            assert f.sheet == table.sheet
            assert f.cell and f.message.startswith(f"第{table.section}表")
            assert f" {f.cell}（" in f.message
            assert f.unit == unit


def _findings(outcomes, version, unit):
    return outcomes[version][unit][2]


@pytest.mark.parametrize("version", VERSIONS)
def test_equation_message_names_expected_actual_and_terms(outcomes, version):
    (finding,) = _findings(outcomes, version, "B-R5")
    assert finding.severity is Severity.ERROR
    assert int(finding.expected) == int(finding.actual) - 1
    assert finding.message.startswith(
        f"第四表 {finding.cell}（未经复议直接起诉·总计）应为 {finding.expected}（结果维持 "
    )
    assert f"实为 {finding.actual}" in finding.message


@pytest.mark.parametrize("version", VERSIONS)
def test_r1_message_lists_both_sides(outcomes, version):
    findings = _findings(outcomes, version, "B-R1")
    assert len(findings) == 2
    for f in findings:
        assert "一、本年新收政府信息公开申请数量" in f.message
        assert "应等于（七）总计" in f.message and "四、结转下年度继续办理" in f.message


@pytest.mark.parametrize("version", VERSIONS)
def test_x1_names_last_years_carry_over(outcomes, version):
    (finding,) = _findings(outcomes, version, "B-X1")
    assert "上年度四、结转下年度继续办理" in finding.message
    assert int(finding.expected) == int(finding.actual) + 1


def test_x2_is_a_warning_asking_for_an_explanation(outcomes):
    (finding,) = _findings(outcomes, "gov-2021", "B-X2")
    assert finding.severity is Severity.WARNING and not finding.justified
    assert finding.blocks_acceptance
    assert "差异说明" in finding.message
    assert "上年度现行有效件数" in finding.message and "本年废止件数" in finding.message


@pytest.mark.parametrize(
    ("case", "expected_text"),
    [
        ("B-R6", "未填写：没有发生的请填 0，不得留空"),
        ("B-R6-negative", "不能为负数"),
        ("B-R6-not_whole", "件数应为整数"),
        ("B-R6-too_many_decimals", "最多保留4位小数"),
        ("B-R6-unit_in_amount", "25.1"),
    ],
)
@pytest.mark.parametrize("version", VERSIONS)
def test_r6_messages_say_what_to_write(outcomes, version, case, expected_text):
    (finding,) = _findings(outcomes, version, case)
    assert expected_text in finding.message


@pytest.mark.parametrize("version", VERSIONS)
def test_other_format_is_one_template_finding(outcomes, version):
    (finding,) = _findings(outcomes, version, f"B-{TEMPLATE_RULE}")
    assert finding.severity is Severity.ERROR
    assert finding.expected == version and finding.actual != version
    assert "模板" in finding.message and finding.sheet == "封面"


def test_justified_warning_is_reported_but_does_not_block():
    spec = load_spec("gov-2021")
    values = valid_values(spec)
    last_year = previous_values(spec, values)
    last_year[Cell("t2_1", "rules", "in_force")] += 1
    ret = make_return(spec, values, justification="本年清理规章 1 件")
    (finding,) = validate_returns([ret], spec, previous={"U01": last_year})
    assert finding.rule == "X2" and finding.justified and not finding.blocks_acceptance
    assert "本年清理规章 1 件" in finding.message


def test_bureau_return_is_checked_like_a_unit(spec):
    """The consolidated return (the bureau code as unit, figures not read from a workbook) is validated too,
    located where a fresh template puts its figures."""
    from disclosure.workbook.template import template_layout

    values = valid_values(spec, seed=7)
    values[Cell("t4", "cases", "review_total")] = 0
    ret = make_return(spec, values, unit="NXDZJ")
    ret.figures = [_unlocated(f) for f in ret.figures]
    (finding,) = validate_returns([ret], spec)
    assert finding.rule == "R5" and finding.unit == "NXDZJ"
    assert (finding.sheet, finding.cell) == template_layout(spec)[Cell("t4", "cases", "review_total")]


def _unlocated(figure):
    from dataclasses import replace

    return replace(figure, sheet=None, cell=None)
