"""The admin's business view of a year, assembled from the store and the data folder."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from disclosure.pipeline import BUREAU_TZ
from disclosure.settings import Settings
from disclosure.status_view import STATES, StatusView, build_status_view, deadline_from, feedback_file
from disclosure.store import Store
from tests import status_sample as sample

pytestmark = pytest.mark.unit

NOW = datetime(2021, 1, 25, tzinfo=UTC)


@pytest.fixture
def view(data_dir: Path, registry, tmp_path: Path) -> StatusView:
    settings = Settings.from_env()
    store = Store.from_settings(settings)
    store.upgrade()
    sample.populate(store, settings, tmp_path)
    try:
        return build_status_view(sample.YEAR, store=store, registry=registry, settings=settings, now=NOW)
    finally:
        store.dispose()


def test_one_row_per_unit_in_registry_order_with_its_state(view: StatusView, registry):
    assert [r.unit for r in view.rows] == registry.reporting_codes()
    for row in view.rows:
        assert row.state == sample.EXPECTED_STATES.get(row.unit, "未提交"), row.unit
        assert row.state in STATES


def test_a_failed_unit_shows_why_in_chinese_with_its_feedback_workbook(view: StatusView):
    row = view.row("U02")
    assert (row.errors, row.warnings) == (1, 1)
    error = next(f for f in row.findings if f.severity == "error")
    assert error.severity_label == "错误"
    assert error.location == "三、收到和处理政府信息公开申请情况!D12"
    assert error.message == sample.R1_MESSAGE
    assert row.feedback_file == sample.FEEDBACK_NAME
    assert view.row("U01").feedback_file is None


def test_summary_counts_passed_states_and_the_deadline(view: StatusView):
    summary = view.summary
    assert summary.headline == "2/12 已通过"  # U01 已采用 + U04 已通过
    assert summary.counts == {
        "未提交": 8,
        "已提交": 1,
        "校验未通过": 1,
        "已通过": 1,
        "已采用": 1,
        "已拒收": 0,
    }
    assert (summary.on_time, summary.late, summary.missing) == (3, 1, 8)
    assert view.row("U04").on_time is False and view.row("U01").on_time is True
    assert view.row("U05").on_time is None
    assert summary.past_deadline  # NOW is after 15 January 2021


def test_totals_are_labelled_from_the_spec_and_exact(view: StatusView):
    totals = view.totals
    assert totals is not None and totals.is_draft
    assert totals.missing_units == ("U05", "U06") and totals.invalid_units == ("U02",)
    procurement = next(t for t in totals.tables if t.table == "t2_9")
    assert procurement.title == "二、主动公开政府信息情况 第二十条第（九）项"
    assert procurement.lines[0].values == (None, Decimal("3421.7"))
    assert any("采购总金额" in c for c in procurement.columns)


def test_report_files_are_listed_by_kind(view: StatusView):
    assert [(f.name, f.kind) for f in view.reports] == [
        ("2020年度政府信息公开工作年度报告.docx", "Word 文档"),
        ("2020年度政府信息公开工作年度报告.html", "网页版"),
    ]


def test_json_keeps_figures_exact_and_times_iso(view: StatusView):
    data = json.loads(json.dumps(view.to_dict(), ensure_ascii=False))
    assert data["summary"]["headline"] == "2/12 已通过"
    u02 = next(r for r in data["rows"] if r["unit"] == "U02")
    assert u02["findings"][0]["severity_label"] == "错误"
    assert datetime.fromisoformat(u02["received_at"]) == sample.ON_TIME
    procurement = next(t for t in data["totals"]["tables"] if t["table"] == "t2_9")
    assert procurement["lines"][0]["values"] == [None, "3421.7"]  # a string, never a float


def test_a_year_nobody_reported_is_all_not_submitted(data_dir: Path, registry):
    settings = Settings.from_env()
    store = Store.from_settings(settings)
    store.upgrade()
    view = build_status_view(2031, store=store, registry=registry, settings=settings, now=NOW)
    store.dispose()
    assert {r.state for r in view.rows} == {"未提交"}
    assert view.totals is None and view.reports == ()
    assert view.summary.headline == f"0/{len(registry.reporting_codes())} 已通过"


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
