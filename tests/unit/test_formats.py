"""The format specs: complete, consistent, chosen by year, and extensible by a data file only."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from disclosure.errors import SpecError
from disclosure.formats import ColumnKind, available_versions, load_spec, spec_for_year, version_for_year
from disclosure.formats.loader import BUNDLED_SPECS_DIR, _load_file
from disclosure.formats.model import parse_equation

pytestmark = pytest.mark.unit


def test_both_official_versions_are_bundled():
    assert {"gov-2019", "gov-2021"} <= set(available_versions())


@pytest.mark.parametrize(
    ("year", "version"), [(2019, "gov-2019"), (2020, "gov-2019"), (2021, "gov-2021"), (2035, "gov-2021")]
)
def test_version_is_chosen_by_report_year(year, version):
    assert version_for_year(year) == version


def test_version_can_be_overridden():
    assert spec_for_year(2021, override="gov-2019").version == "gov-2019"


def test_year_before_any_format_is_an_error():
    with pytest.raises(SpecError, match="no format version covers report year 2007"):
        version_for_year(2007)


def test_unknown_version_names_the_available_ones():
    with pytest.raises(SpecError, match=r"unknown format version .gov-1999.*gov-2019"):
        load_spec("gov-1999")


@pytest.mark.parametrize(("version", "rows"), [("gov-2019", 23), ("gov-2021", 25)])
def test_table_three_has_the_official_number_rows(version, rows):
    t3 = load_spec(version).table("t3")
    assert len(t3.number_rows) == rows
    assert [c.label for c in t3.columns] == [
        "自然人",
        "商业企业",
        "科研机构",
        "社会公益组织",
        "法律服务机构",
        "其他",
        "总计",
    ]
    assert t3.columns[1].header == ("申请人情况", "法人或其他组织")


@pytest.mark.parametrize("version", ["gov-2019", "gov-2021"])
def test_group_rows_hold_no_number_and_labels_are_full(version):
    t3 = load_spec(version).table("t3")
    groups = {r.id for r in t3.rows if r.group}
    assert {"results", "withheld", "unable", "not_processed"} <= groups
    assert not groups & {r.id for r in t3.number_rows}
    labels = {r.label for r in t3.rows}
    assert "3.危及“三安全一稳定”" in labels and "4.保护第三方合法权益" in labels
    assert "（二）部分公开（区分处理的，只计这一情形，不计其他情形）" in labels


def test_other_handling_is_one_row_in_2019_and_a_group_in_2021(spec2019, spec2021):
    assert spec2019.table("t3").leaves("other_handling") == ("other_handling",)
    assert spec2021.table("t3").leaves("other_handling") == (
        "other_no_correction",
        "other_fee_unpaid",
        "other_misc",
    )


def test_table_four_has_fifteen_columns_in_three_groups(spec2021):
    t4 = spec2021.table("t4")
    assert len(t4.columns) == 15
    assert {c.header for c in t4.columns} == {
        ("行政复议",),
        ("行政诉讼", "未经复议直接起诉"),
        ("行政诉讼", "复议后起诉"),
    }


def test_column_kinds(spec2019, spec2021):
    assert spec2019.table("t2_5").column("items_change").kind is ColumnKind.SIGNED_COUNT
    amount = spec2019.table("t2_9").column("purchase_amount")
    assert (amount.kind, amount.unit, amount.decimals) == (ColumnKind.AMOUNT, "万元", 4)
    assert amount.display_label == "采购总金额（万元）"
    assert spec2021.table("t2_8").column("fee_amount").display_label == "本年收费金额（单位：万元）"
    assert [t.id for t in spec2021.tables] == ["t2_1", "t2_5", "t2_6", "t2_8", "t3", "t4"]


@pytest.mark.parametrize(("version", "rules"), [("gov-2019", 10), ("gov-2021", 11)])
def test_rules_are_data(version, rules):
    spec = load_spec(version)
    assert len(spec.rules) == rules
    assert {"R1", "R3", "R4", "R5", "R6", "X1", "O1", "O2", "O3"} <= {r.id for r in spec.rules}
    assert all(r.description for r in spec.rules)
    outliers = {r.id: r.test.method for r in spec.outlier_rules}
    assert outliers == {"O1": "spread", "O2": "magnitude", "O3": "identical"}
    assert all(r.severity.value == "warning" for r in spec.outlier_rules) and spec.history_years == 3


def test_r3_expands_to_every_outcome_row(spec2019, spec2021):
    for spec, terms in ((spec2019, 19), (spec2021, 21)):
        rule = spec.rule("R3")
        instances = list(spec.expand(rule, rule.equations[0]))
        assert len(instances) == 7  # one per column
        line, sides = instances[0]
        assert line == "natural"
        assert [c.row for c, _, _ in sides["left"]] == ["total"]
        assert len(sides["right"]) == terms


def test_x2_is_a_cross_year_warning(spec2021):
    rule = spec2021.rule("X2")
    assert rule.cross_year and rule.severity == "warning"
    (_, sides), *_ = spec2021.expand(rule, rule.equations[0])
    assert [(c.column, sign, prev) for c, sign, prev in sides["right"]] == [
        ("in_force", 1, True),
        ("issued", 1, False),
        ("repealed", -1, False),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a + b", "exactly one '=='"),
        ("a == b == c", "exactly one '=='"),
        ("a == b c", "missing \\+ or -"),
        ("a == 3", "cannot parse"),
        ("a == ", "empty side"),
    ],
)
def test_bad_expressions_are_rejected(text, message):
    with pytest.raises(SpecError, match=message):
        parse_equation(text)


def _copy_specs(tmp_path: Path) -> Path:
    folder = tmp_path / "specs"
    shutil.copytree(BUNDLED_SPECS_DIR, folder)
    return folder


def test_a_third_version_is_a_new_data_file_only(tmp_path, monkeypatch):
    folder = _copy_specs(tmp_path)
    data = yaml.safe_load((folder / "gov-2021.yaml").read_text(encoding="utf-8"))
    data.update(version="gov-2027", title="假设的新格式", first_year=2027)
    data["rules"].append(
        {
            "id": "R8",
            "name": "新增规则",
            "table": "t3",
            "each": "column",
            "checks": ["carried_out == carried_out"],
            "description": "示例。",
        }
    )
    (folder / "gov-2027.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    # the old open-ended format now ends where the new one starts
    old = yaml.safe_load((folder / "gov-2021.yaml").read_text(encoding="utf-8"))
    old["last_year"] = 2026
    (folder / "gov-2021.yaml").write_text(yaml.safe_dump(old, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("DISCLOSURE_SPECS_DIR", str(folder))
    _load_file.cache_clear()
    try:
        assert version_for_year(2026) == "gov-2021"
        assert version_for_year(2027) == "gov-2027"
        assert spec_for_year(2028).rule("R8").name == "新增规则"
    finally:
        _load_file.cache_clear()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["rules"][0].update(checks=["new + nowhere == total"]), "unknown 'nowhere'"),
        (lambda d: d["rules"][0].update(table="t9"), "unknown table 't9'"),
        (
            lambda d: d["tables"][0]["columns"].append(dict(d["tables"][0]["columns"][0])),
            "duplicate row or column",
        ),
        (lambda d: d["tables"][0]["columns"][0].update(kind="amount"), "needs unit and decimals"),
        (lambda d: d["tables"][0].update(colour="red"), "Extra inputs are not permitted"),
    ],
)
def test_malformed_specs_fail_at_load_time(tmp_path, monkeypatch, mutate, message):
    folder = _copy_specs(tmp_path)
    data = yaml.safe_load((folder / "gov-2019.yaml").read_text(encoding="utf-8"))
    mutate(data)
    (folder / "gov-2019.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("DISCLOSURE_SPECS_DIR", str(folder))
    _load_file.cache_clear()
    try:
        with pytest.raises(SpecError, match=message):
            load_spec("gov-2019")
    finally:
        _load_file.cache_clear()


@pytest.mark.parametrize("version", ["gov-2019", "gov-2021"])
def test_specs_declare_plausible_maxima_and_stay_hashable(version):
    spec = load_spec(version)
    assert {kind: spec.maxima[kind] for kind in ColumnKind} == dict.fromkeys(ColumnKind, Decimal(10_000_000))
    assert hash(spec) == hash(load_spec(version))  # layouts may be cached by spec


def test_maxima_must_be_positive():
    from pydantic import ValidationError

    from disclosure.formats.model import Maxima

    with pytest.raises(ValidationError, match="maxima must be positive"):
        Maxima(amount=Decimal(0))
