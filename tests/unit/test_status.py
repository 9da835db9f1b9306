"""The one summary of a year (``disclosure.status``), assembled from the store and the data folder."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from disclosure.errors import SettingsError
from disclosure.pipeline import BUREAU_TZ
from disclosure.settings import Settings
from disclosure.status import (
    STATES,
    YearSummary,
    completeness_problems,
    deadline_from,
    draft_label,
    feedback_file,
    local_time,
    summary_email,
    year_summary,
)
from disclosure.store import Store
from tests import status_sample as sample

pytestmark = pytest.mark.unit

NOW = datetime(2021, 1, 25, tzinfo=UTC)


@pytest.fixture
def view(data_dir: Path, registry, tmp_path: Path) -> YearSummary:
    settings = Settings.from_env()
    store = Store.from_settings(settings)
    store.upgrade()
    sample.populate(store, settings, tmp_path)
    try:
        return year_summary(sample.YEAR, store=store, registry=registry, settings=settings, now=NOW)
    finally:
        store.dispose()


def test_one_row_per_unit_in_registry_order_with_its_state(view: YearSummary, registry):
    assert [r.unit for r in view.units] == registry.reporting_codes()
    for row in view.units:
        assert row.state == sample.EXPECTED_STATES.get(row.unit, "未报送"), row.unit
        assert row.state in STATES


def test_a_failed_unit_shows_why_in_chinese_with_its_feedback_workbook(view: YearSummary):
    row = view.unit("U02")
    assert (row.errors, row.warnings) == (1, 1)
    error = next(f for f in row.findings if f.severity == "error")
    assert error.severity_label == "错误"
    assert error.location == "三、收到和处理政府信息公开申请情况!D12"
    assert error.message == sample.R1_MESSAGE
    assert row.feedback_file == sample.FEEDBACK_NAME
    assert view.unit("U01").feedback_file is None


def test_summary_counts_accepted_units_and_the_deadline(view: YearSummary):
    assert view.headline == "1/12 已采用"  # only U01's latest file is accepted
    assert view.counts == {"未报送": 8, "已提交": 1, "校验未通过": 1, "已通过": 1, "已采用": 1, "已拒收": 0}
    assert (view.on_time, view.late, view.in_totals) == (3, 1, 1)
    assert view.unit("U04").on_time is False and view.unit("U01").on_time is True
    assert view.unit("U05").on_time is None
    assert view.past_deadline  # NOW is after 15 January 2021


def test_the_words_say_what_the_totals_hold_of_each_unit(view: YearSummary):
    assert view.unit("U01").state_text == "已采用" and view.unit("U01").in_totals
    assert view.unit("U02").state_text == "校验未通过（无可用数据）" and not view.unit("U02").in_totals
    assert view.unit("U05").state_text == "未报送"
    assert view.is_draft
    assert view.draft_label.startswith(
        "草稿（未完成：校验未通过（无可用数据） U02 基础地质调查院；已提交（无可用数据） U03 矿产地质调查院；"
    )
    assert "未报送 U05 水文环境地质调查院、U06" in view.draft_label


def test_a_rejected_resubmission_keeps_the_earlier_figures_and_says_so(
    data_dir: Path, registry, tmp_path: Path
):
    settings = Settings.from_env()
    store = Store.from_settings(settings)
    store.upgrade()
    sample.populate(store, settings, tmp_path)
    again = tmp_path / "U01-更正.xlsx"
    again.write_bytes(b"a broken resubmission")
    resubmitted = store.archive_file(again, year=sample.YEAR, unit="U01", received_at=sample.LATE)
    store.record_validation(resubmitted.id, [{"rule": "READ", "severity": "error", "message": "无法打开"}])
    summary = year_summary(sample.YEAR, store=store, registry=registry, settings=settings, now=NOW)
    store.dispose()
    u01 = summary.unit("U01")
    assert u01.state_text == "校验未通过（沿用此前已采用的数据）"
    assert u01.in_totals and u01.current_submission_id != u01.submission_id
    assert "校验未通过（沿用此前已采用的数据） U01 地质调查院" in summary.draft_label
    assert "U01 地质调查院：校验未通过（沿用此前已采用的数据）" in completeness_problems(summary)


def test_the_email_and_the_final_check_tell_the_same_story(view: YearSummary):
    subject, body = summary_email(view, reports_dir=Path("/data/reports/2020"))
    assert subject == "2020年度政府信息公开工作年度报告：草稿（未完成），1/12 已采用"
    assert "U02 基础地质调查院：校验未通过（无可用数据），错误 1 处" in body
    assert "U04 物化探勘查院：已通过（无可用数据），逾期报送" in body
    assert view.draft_label in body and "/data/reports/2020" in body
    assert (
        "报送截止：2021-01-15 18:00（北京时间）（已截止）" in body
    )  # the deadline, on the bureau's clock, labelled
    problems = completeness_problems(view)
    assert len(problems) == 11  # the saved totals sum U01, the one unit with accepted figures: up to date
    for unit in view.pending:
        assert f"{unit.display}：{unit.state_text}" in problems


def test_a_complete_year_has_no_problems_and_no_draft_label(view: YearSummary):
    from dataclasses import replace

    accepted = [
        replace(u, state="已采用", state_code="accepted", detail="", in_totals=True) for u in view.units
    ]
    assert draft_label(accepted) == ""
    done = replace(view, units=tuple(accepted), totals=replace(view.totals, contributing_units=tuple(
        u.unit for u in accepted)))  # fmt: skip
    assert completeness_problems(done) == [] and not done.is_draft
    assert summary_email(done)[0].endswith("已完成，12/12 已采用")


def test_times_are_shown_on_the_configured_clock_with_its_name(monkeypatch: pytest.MonkeyPatch):
    moment = datetime(2021, 1, 15, 10, 0, tzinfo=UTC)
    assert local_time(moment, Settings.from_env().timezone) == "2021-01-15 18:00（北京时间）"
    monkeypatch.setenv("DISCLOSURE_TIMEZONE", "Europe/Berlin")
    assert local_time(moment, Settings.from_env().timezone) == "2021-01-15 11:00（Europe/Berlin）"
    monkeypatch.setenv("DISCLOSURE_TIMEZONE", "Mars/Olympus")
    with pytest.raises(SettingsError, match="DISCLOSURE_TIMEZONE"):
        _ = Settings.from_env().timezone


def test_totals_are_labelled_from_the_spec_and_exact(view: YearSummary):
    totals = view.totals
    assert totals is not None and totals.contributing_units == ("U01",)
    procurement = next(t for t in totals.tables if t.table == "t2_9")
    assert procurement.title == "二、主动公开政府信息情况 第二十条第（九）项"
    assert procurement.lines[0].values == (None, Decimal("3421.7"))
    assert any("采购总金额" in c for c in procurement.columns)


def test_report_files_are_listed_by_kind(view: YearSummary):
    assert [(f.name, f.kind) for f in view.reports] == [
        ("2020年度政府信息公开工作年度报告.docx", "Word 文档"),
        ("2020年度政府信息公开工作年度报告.html", "网页版"),
    ]


def test_json_keeps_figures_exact_and_times_iso(view: YearSummary):
    data = json.loads(json.dumps(view.to_dict(), ensure_ascii=False))
    assert data["headline"] == "1/12 已采用" and data["is_draft"] is True
    assert data["problems"] == completeness_problems(view)
    u02 = next(r for r in data["units"] if r["unit"] == "U02")
    assert u02["findings"][0]["severity_label"] == "错误"
    assert datetime.fromisoformat(u02["received_at"]) == sample.ON_TIME
    procurement = next(t for t in data["totals"]["tables"] if t["table"] == "t2_9")
    assert procurement["lines"][0]["values"] == [None, "3421.7"]  # a string, never a float


def test_a_year_nobody_reported_is_all_not_submitted(data_dir: Path, registry):
    settings = Settings.from_env()
    store = Store.from_settings(settings)
    store.upgrade()
    view = year_summary(2031, store=store, registry=registry, settings=settings, now=NOW)
    store.dispose()
    assert {r.state for r in view.units} == {"未报送"}
    assert view.totals is None and view.reports == ()
    assert view.headline == f"0/{len(registry.reporting_codes())} 已采用"
    assert completeness_problems(view)[-1] == "尚未汇总"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, datetime(2021, 1, 15, 18, tzinfo=BUREAU_TZ)),
        ("", datetime(2021, 1, 15, 18, tzinfo=BUREAU_TZ)),
        ("2021-01-10", datetime(2021, 1, 10, 18, tzinfo=BUREAU_TZ)),
        ("2021-01-10T12:00:00+00:00", datetime(2021, 1, 10, 12, tzinfo=UTC)),
    ],
)
def test_deadline_from_the_runs_choice_or_the_default(value, expected):
    assert deadline_from(value, 2020) == expected


@pytest.mark.parametrize(
    ("name", "unit", "matches"),
    [
        ("U05-2020-校验反馈.xlsx", "U05", True),
        ("2020_U05_feedback.xlsx", "U05", True),
        ("U05.xlsx", "U05", True),
        ("U050-2020.xlsx", "U05", False),  # another unit's code that merely starts the same
        ("U05-2020.txt", "U05", False),
    ],
)
def test_feedback_workbook_is_found_by_unit_code(tmp_path: Path, name: str, unit: str, matches: bool):
    """A workbook not named after the return's file is recognised by the unit code as a whole token."""
    (tmp_path / name).write_bytes(b"x")
    found = feedback_file(tmp_path, unit)
    assert (found is not None and found.name == name) is matches


def test_feedback_workbook_of_the_returns_own_file_comes_first(tmp_path: Path):
    (tmp_path / "U05_年报-校验结果.xlsx").write_bytes(b"own")
    (tmp_path / "U05-older.xlsx").write_bytes(b"by code")
    assert feedback_file(tmp_path, "U05", "年报.xlsx") == tmp_path / "U05_年报-校验结果.xlsx"
    assert feedback_file(tmp_path, "U05", "另一个.xlsx") == tmp_path / "U05-older.xlsx"


def test_a_refused_file_never_replaces_a_units_return(data_dir: Path, registry, tmp_path: Path):
    """已拒收 (not a valid return of that unit): a unit with nothing else shows it; a unit with a valid return keeps
    its state, and the refused file is only noted."""
    settings = Settings.from_env()
    store = Store.from_settings(settings)
    store.upgrade()
    sample.populate(store, settings, tmp_path)

    def refused(unit: str, name: str) -> None:
        path = tmp_path / name
        path.write_bytes(f"forged {unit}".encode())
        submission = store.archive_file(path, year=sample.YEAR, unit=unit, received_at=sample.LATE)
        store.refuse(submission.id, [{"rule": "identity", "severity": "error", "message": "签名不符"}])

    refused("U06", "U06-伪造.xlsx")
    refused("U01", "U01-旧模板.xlsx")
    summary = year_summary(sample.YEAR, store=store, registry=registry, settings=settings, now=NOW)
    store.dispose()
    u06, u01 = summary.unit("U06"), summary.unit("U01")
    assert u06.state_text == "已拒收（无可用数据）" and summary.counts["已拒收"] == 1
    assert (u01.state, u01.refused_file) == ("已采用", "U01-旧模板.xlsx")
    assert "已拒收（无可用数据） U06 核地质调查院" in summary.draft_label
    assert "U01" not in " ".join(completeness_problems(summary))
    assert "（另收到的《U01-旧模板.xlsx》已拒收）" in summary_email(summary)[1]
