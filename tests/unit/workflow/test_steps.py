"""The DAG's task bodies at unit level, without a scheduler: the sensor's poll, check, accept, consolidate,
publish. One unit's re-run checks its newest submission; each workbook is read once per run."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from disclosure.errors import ReturnInvalid
from disclosure.registry import load_registry
from disclosure.settings import get_settings
from disclosure.store import Store, SubmissionStatus
from disclosure.workflow import steps
from disclosure.workflow.calendar import RunPlan, prepare
from tests.unit.intake.conftest import forge, write_return

pytestmark = [pytest.mark.unit, pytest.mark.slow]

YEAR = 2021
UNITS = ["U03", "U05"]


@pytest.fixture
def plan(data_dir: Path) -> RunPlan:
    return prepare(year=YEAR, units=UNITS, format_version=None, deadline=None, run_after=datetime.now(UTC))


@pytest.fixture
def inbox(data_dir: Path) -> Path:
    folder = get_settings().inbox(YEAR)
    folder.mkdir(parents=True)
    return folder


def _store() -> Store:
    return steps.open_store()


def _run_unit(plan: RunPlan, unit: str) -> dict:
    """What the unit's mapped tasks do (a batch of one): wait (poll) → validate → accept."""
    newest = steps.newest_submissions(plan.to_dict(), [unit])
    assert set(newest) == {unit}
    checked = steps.check_returns(plan.to_dict(), [unit], {unit: newest[unit].id})
    assert steps.accept_returns(plan.to_dict(), checked) == [unit]
    return checked


def test_a_run_reads_each_units_workbook_once(plan: RunPlan, inbox: Path, monkeypatch):
    import disclosure.workbook.reader as reader

    registry = load_registry()
    for unit in UNITS:
        write_return(registry, unit, inbox / f"{YEAR}_{unit}.xlsx")
    reads: list[str] = []
    real = reader.read_return

    def counted(path, *args, **kwargs):
        reads.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(reader, "read_return", counted)
    assert steps.missing_units(plan) == []
    for unit in UNITS:
        _run_unit(plan, unit)
    totals = steps.consolidate(plan.to_dict())
    assert totals["contributing"] == UNITS
    assert len(reads) == len(UNITS)
    store = _store()
    assert {s.status for s in store.submissions(YEAR)} == {SubmissionStatus.ACCEPTED}
    store.dispose()


def test_nothing_sent_yet(plan: RunPlan, inbox: Path):
    assert steps.newest_submissions(plan, ["U03"]) == {}
    assert steps.missing_units(plan) == UNITS
    with pytest.raises(ReturnInvalid, match="没有收到 U03 的 2021 年度报表"):
        steps.check_returns(plan, ["U03"])


def test_clearing_a_units_check_after_it_resubmitted_checks_the_new_file(
    plan: RunPlan, inbox: Path, tmp_path
):
    """The correction keeps an older file date (cp -p): the time the system received it decides."""
    registry = load_registry()
    faulty = write_return(registry, "U05", inbox / "2021_U05.xlsx", {})  # blank: breaks the rules
    first = steps.newest_submissions(plan, ["U05"])["U05"]
    with pytest.raises(ReturnInvalid, match="未通过校验") as failed:
        steps.check_returns(plan, ["U05"], {"U05": first.id})
    assert failed.value.feedback is not None and failed.value.feedback.exists()

    fixed = write_return(registry, "U05", tmp_path / "fixed.xlsx")
    old = time.time() - 30 * 86400
    import os

    os.utime(fixed, (old, old))
    shutil.copy2(fixed, inbox / "2021_U05_更正.xlsx")
    assert faulty.stat().st_mtime > (inbox / "2021_U05_更正.xlsx").stat().st_mtime

    checked = steps.check_returns(plan, ["U05"], {"U05": first.id})  # the task cleared: same XCom, new file
    [passed] = checked["passed"]
    assert passed["submission"] != first.id and passed["name"] == "2021_U05_更正.xlsx"
    steps.accept_returns(plan, checked)
    store = _store()
    assert store.latest_submission(YEAR, "U05").status is SubmissionStatus.ACCEPTED
    assert store.submission(first.id).status is SubmissionStatus.REJECTED
    store.dispose()


def test_a_forged_file_fails_the_units_task_and_changes_nothing(plan: RunPlan, inbox: Path, tmp_path):
    registry = load_registry()
    write_return(registry, "U05", inbox / "2021_U05.xlsx")
    _run_unit(plan, "U05")
    store = _store()
    before = store.current_figures(YEAR)["U05"]
    store.dispose()

    u03 = write_return(registry, "U03", tmp_path / "u03.xlsx")
    forge(u03, inbox / "2021_U05_更正.xlsx", unit_code="U05", unit_name=registry.unit("U05").name)
    with pytest.raises(ReturnInvalid, match="已拒收") as refused:
        steps.check_returns(plan, ["U05"])
    assert "此文件不是发给本单位的报表模板" in refused.value.summary
    store = _store()
    assert store.current_figures(YEAR)["U05"] == before
    assert store.latest_submission(YEAR, "U05").status is SubmissionStatus.REFUSED
    store.dispose()


def _consolidated(year: int) -> int:
    from disclosure.consolidation import consolidate
    from disclosure.formats import spec_for_year

    store = _store()
    try:
        return consolidate(year, store, load_registry(), spec_for_year(year)).save(store)
    finally:
        store.dispose()


def test_publication_keeps_each_file_name(data_dir, tmp_path):
    report = tmp_path / "2020-report.html"
    report.write_text("<p>报告</p>", encoding="utf-8")
    published = steps.publish(2020, {"html": str(report)}, run_id=_consolidated(2020))
    assert [Path(p).read_text(encoding="utf-8") for p in published] == ["<p>报告</p>"]
    assert Path(published[0]) == data_dir / "publish" / "2020" / "2020-report.html"


@pytest.mark.parametrize("carry_over_off_by", [0, 1])
def test_consolidate_refuses_complete_totals_that_fail_validation(data_dir, registry, carry_over_off_by):
    """The bureau totals go through the units' suite: last year's 结转下年度 not matching this year's 上年结转
    (X1 at bureau level) stops the report, in the DAG and in ``disclosure report`` alike (one rule)."""
    from click.testing import CliRunner

    from disclosure.cli import main
    from disclosure.errors import ReportError
    from disclosure.formats import Cell, load_spec
    from disclosure.workbook.sample import sample_figures
    from tests.unit.store.factories import as_figures

    spec = load_spec("gov-2021")
    store = _store()
    figures = sample_figures(2021, registry)
    for unit, values in figures.items():
        path = data_dir / f"2021_{unit}.xlsx"
        path.write_bytes(unit.encode())
        submission = store.archive_file(path, year=2021, unit=unit, format_version=spec.version)
        store.record_validation(submission.id, [])
        store.accept(submission.id, as_figures(2021, unit, values, spec))
    carried_in = {
        column.id: sum(v[Cell("t3", "carried_in", column.id)] for v in figures.values())
        for column in spec.table("t3").columns
    }
    last_year = {Cell("t3", "carried_out", column): value for column, value in carried_in.items()}
    last_year[Cell("t3", "carried_out", "natural")] += carry_over_off_by
    last_year[Cell("t3", "carried_out", "total")] += carry_over_off_by
    store.save_totals(
        year=2020,
        format_version="gov-2019",
        values=last_year,
        in_force_consolidation="sum",
        is_draft=False,
        contributing_units=tuple(figures),
    )
    store.dispose()

    plan = prepare(year=2021, units=[], format_version=None, deadline=None, run_after=datetime.now(UTC))
    cli = CliRunner().invoke(main, ["report", "--year", "2021"])
    if carry_over_off_by:
        with pytest.raises(ReportError, match=r"2021 年度汇总数据有 2 处未通过校验，报告不予生成"):
            steps.consolidate(plan)
        assert cli.exit_code == 1 and "报告不予生成" in cli.output
    else:
        result = steps.consolidate(plan)
        assert result["findings"] == 0 and not result["draft"]
        assert Path(result["workbook"]).exists()
        assert "报告不予生成" not in cli.output  # (it may still lack the office's narrative facts)
