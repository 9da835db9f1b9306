"""The suite compiler: a format spec becomes a Great Expectations suite over the check frame (``checks.py``).

Nothing here is specific to one format: every expectation comes from a rule or a column kind of the spec, so a
rule added to a spec file is checked everywhere. Each expectation carries ``meta`` saying which rule and which
aspect of it it checks (``blank``, ``range``, ``shape``, ``equation``, ``version``); the findings are written
from that.

- ``cell_type`` rule (R6): the figure is filled in and readable (not null), counts and amounts are not negative
  (between 0 and ∞; ``signed_count`` columns are exempt), and the exact value has the kind's shape (``ok`` = 1).
- ``equation`` rules (R1, R3, R4, R5, X1, X2…): one ``ExpectColumnPairValuesToBeEqual(left, right)`` per
  equation, over the rows of its instances (per column, per row or per group, as the rule says).
- ``outlier`` rules (O1, O2, O3): the figure keeps the bounds its history gives (``low`` ≤ value ≤ ``high`` as
  two ``ExpectColumnPairValuesAToBeGreaterThanB``, strict for ``magnitude``: a jump *by* the factor is one);
  for ``identical``, at least one figure differs from last year's (``ExpectColumnValuesToBeBetween``).
- the template: the return's format version is the spec's.
- ``prose`` rules (R7) concern the report's narrative, not a return: the report renderer checks them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from disclosure.formats import ColumnKind, FormatSpec, Rule, Severity
from disclosure.validation.checks import TEMPLATE_CHECK, cell_check, equation_check, outlier_check
from disclosure.validation.findings import TEMPLATE_RULE

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation

BLANK, RANGE, SHAPE, EQUATION, VERSION = "blank", "range", "shape", "equation", "version"
OUTLIER = "outlier"

#: column kinds that may not be negative
NON_NEGATIVE_KINDS = (ColumnKind.COUNT, ColumnKind.AMOUNT)


def suite_name(spec: FormatSpec) -> str:
    return f"disclosure-{spec.version}"


def _meta(rule_id: str, aspect: str, severity: Severity, checks: list[str]) -> dict[str, Any]:
    return {"rule": rule_id, "aspect": aspect, "severity": severity.value, "checks": checks}


def _gx_severity(severity: Severity) -> str:
    return "warning" if severity is Severity.WARNING else "critical"


def spec_kinds(spec: FormatSpec) -> list[ColumnKind]:
    """The column kinds the spec uses, in a stable order."""
    used = {c.kind for t in spec.tables for c in t.columns}
    return [k for k in ColumnKind if k in used]


def cell_type_expectations(spec: FormatSpec, rule: Rule) -> list[Expectation]:
    """R6: every figure filled in, readable, not negative where the kind forbids it, of the kind's shape."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    kinds = spec_kinds(spec)
    every = [cell_check(rule, k) for k in kinds]
    non_negative = [cell_check(rule, k) for k in kinds if k in NON_NEGATIVE_KINDS]
    common = {"severity": _gx_severity(rule.severity)}
    out: list[Expectation] = [
        gxe.ExpectColumnValuesToNotBeNull(
            column="value",
            row_condition=Column("check").is_in(every),
            description=f"{rule.id} {rule.name}：数字单元格不得留空或填写文字",
            meta=_meta(rule.id, BLANK, rule.severity, every),
            **common,
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="ok",
            value_set=[1.0],
            row_condition=Column("check").is_in(every),
            description=f"{rule.id} {rule.name}：件数为整数，金额不超过规定的小数位数",
            meta=_meta(rule.id, SHAPE, rule.severity, every),
            **common,
        ),
    ]
    if non_negative:
        out.append(
            gxe.ExpectColumnValuesToBeBetween(
                column="value",
                min_value=0,
                row_condition=Column("check").is_in(non_negative),
                description=f"{rule.id} {rule.name}：件数与金额不得为负数",
                meta=_meta(rule.id, RANGE, rule.severity, non_negative),
                **common,
            )
        )
    return out


def equation_expectations(rule: Rule) -> list[Expectation]:
    """One pair-equality expectation per equation of the rule, over all its per-column/row/group instances."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    out: list[Expectation] = []
    for index, equation in enumerate(rule.equations):
        check = equation_check(rule, index)
        out.append(
            gxe.ExpectColumnPairValuesToBeEqual(
                column_A="left",
                column_B="right",
                row_condition=Column("check") == check,
                ignore_row_if="both_values_are_missing",
                description=f"{rule.id} {rule.name}：{equation.text}",
                meta=_meta(rule.id, EQUATION, rule.severity, [check]),
                severity=_gx_severity(rule.severity),
            )
        )
    return out


def outlier_expectations(rule: Rule) -> list[Expectation]:
    """An outlier rule over its check items: the figure within its bounds, or the return not last year's."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    assert rule.test is not None
    check = outlier_check(rule)
    common: dict[str, Any] = {
        "row_condition": Column("check") == check,
        "severity": _gx_severity(rule.severity),
    }
    if rule.test.method == "identical":
        return [
            gxe.ExpectColumnValuesToBeBetween(
                column="value",
                min_value=1,
                description=f"{rule.id} {rule.name}：至少一项数字与上年不同",
                meta=_meta(rule.id, OUTLIER, rule.severity, [check]),
                **common,
            )
        ]
    inclusive = rule.test.method == "spread"
    return [
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=a,
            column_B=b,
            or_equal=inclusive,
            ignore_row_if="either_value_is_missing",
            description=f"{rule.id} {rule.name}：{text}",
            meta=_meta(rule.id, OUTLIER, rule.severity, [check]),
            **common,
        )
        for a, b, text in (
            ("value", "low", "不低于往年数据给出的下限"),
            ("high", "value", "不高于往年数据给出的上限"),
        )
    ]


def template_expectations(spec: FormatSpec) -> list[Expectation]:
    """The return is in the format in force for its year (an old template is an error)."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    return [
        gxe.ExpectColumnValuesToBeInSet(
            column="text",
            value_set=[spec.version],
            row_condition=Column("check") == TEMPLATE_CHECK,
            description=f"模板格式版本应为 {spec.version}",
            meta=_meta(TEMPLATE_RULE, VERSION, Severity.ERROR, [TEMPLATE_CHECK]),
        )
    ]


def compile_expectations(spec: FormatSpec) -> list[Expectation]:
    """Every expectation of the spec's suite, in spec order (template first)."""
    out = template_expectations(spec)
    for rule in spec.rules:
        if rule.kind == "cell_type":
            out.extend(cell_type_expectations(spec, rule))
        elif rule.kind == "equation":
            out.extend(equation_expectations(rule))
        elif rule.kind == "outlier":
            out.extend(outlier_expectations(rule))
    return out


def compile_suite(spec: FormatSpec):
    """The spec's rules as a GX ``ExpectationSuite`` (not yet added to any context)."""
    import great_expectations as gx

    return gx.ExpectationSuite(
        name=suite_name(spec), expectations=compile_expectations(spec), meta={"format_version": spec.version}
    )
