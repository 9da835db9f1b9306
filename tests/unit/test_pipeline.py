"""The yearly workflow's facade: a run's choices, and how the inbox is read (by content, newest wins,
strays reported)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from disclosure import pipeline
from disclosure.errors import DisclosureError

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("run_after", "year"),
    [
        (datetime(2021, 1, 5, 1, 0, tzinfo=UTC), 2020),  # the scheduled run, 09:00 in Beijing
        (datetime(2020, 12, 31, 17, 0, tzinfo=UTC), 2020),  # already 1 January 2021 in Beijing
        (datetime(2020, 12, 31, 15, 0, tzinfo=UTC), 2019),  # still 2020 in Beijing
    ],
)
def test_the_default_year_is_the_previous_year_in_beijing(run_after, year):
    assert pipeline.default_year(run_after) == year


def test_prepare_defaults(data_dir):
    plan = pipeline.prepare(
        year=None, units=[], format_version=None, deadline=None, run_after=datetime(2021, 1, 5, 1, tzinfo=UTC)
    )
    assert plan["year"] == 2020
    assert plan["format_version"] == "gov-2019"
    assert plan["deadline"] == "2021-01-15T18:00:00+08:00"
    assert [u["code"] for u in plan["units"]] == [f"U{i:02d}" for i in range(1, 13)]
    assert plan["units"][4]["display"] == "U05 水文环境地质调查院"


def test_prepare_selected_units_in_registry_order(data_dir):
    plan = pipeline.prepare(
        year=2022,
        units=["U07", "U03"],
        format_version=None,
        deadline="2023-01-10",
        run_after=datetime.now(UTC),
    )
    assert [u["code"] for u in plan["units"]] == ["U03", "U07"]
    assert plan["all_units"][0] == "U01"
    assert plan["format_version"] == "gov-2021"
    assert plan["deadline"] == "2023-01-10T18:00:00+08:00"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"units": ["U99"]}, "单位代码不在名册中：U99"),
        ({"deadline": "15.01.2021"}, "报送截止日期格式不正确"),
    ],
)
def test_prepare_refuses_bad_choices(data_dir, kwargs, message):
    choices = {"year": 2020, "units": [], "format_version": None, "deadline": None} | kwargs
    with pytest.raises(DisclosureError, match=message):
        pipeline.prepare(**choices, run_after=datetime.now(UTC))


def _return(folder: Path, name: str, year: int, unit: str, mtime: float) -> Path:
    from disclosure.formats import spec_for_year
    from disclosure.registry import load_registry
    from disclosure.workbook.template import fill_workbook, write_template

    registry = load_registry()
    folder.mkdir(parents=True, exist_ok=True)
    template = write_template(
        spec_for_year(year), year, unit, registry.unit(unit).name, folder / f".t-{name}"
    )
    path = fill_workbook(template, folder / name, {}, contact="马明", phone="0951-2000001")
    template.unlink()
    os.utime(path, (mtime, mtime))
    return path


def test_the_inbox_is_read_by_content_newest_first_and_strays_are_reported(data_dir):
    inbox = data_dir / "inbox" / "2020"
    _return(inbox, "old.xlsx", 2020, "U05", mtime=1_000)
    _return(inbox, "anything.xlsx", 2020, "U05", mtime=2_000)  # the unit's newest, whatever its name
    _return(inbox, "2020_U06.xlsx", 2019, "U06", mtime=1_500)  # last year's template
    (inbox / "notes.xlsx").write_bytes(b"not a workbook")
    (inbox / "readme.txt").write_text("ignored: not a workbook file", encoding="utf-8")

    scan = pipeline.scan_inbox(2020)

    assert [f.name for f in scan.by_unit["U05"]] == ["anything.xlsx", "old.xlsx"]
    assert "U06" not in scan.by_unit
    strays = scan.stray_lines(["U05", "U06"])
    assert len(strays) == 2
    assert any(line.startswith("2020_U06.xlsx：报告年度为 2019") for line in strays)
    assert any(line.startswith("notes.xlsx：无法识别") for line in strays)
    assert pipeline.find_return(2020, "U05") == scan.by_unit["U05"][0].staged
    assert pipeline.find_return(2020, "U07") is None
    assert pipeline.missing_units(2020, ["U05", "U06", "U07"]) == ["U06", "U07"]


def test_publication_keeps_each_file_name(data_dir, tmp_path):
    report = tmp_path / "2020-report.html"
    report.write_text("<p>报告</p>", encoding="utf-8")
    published = pipeline.publish({"year": 2020}, {"html": str(report)})
    assert [Path(p).read_text(encoding="utf-8") for p in published] == ["<p>报告</p>"]
    assert Path(published[0]) == data_dir / "publish" / "2020" / "2020-report.html"


@pytest.mark.slow
@pytest.mark.parametrize("carry_over_off_by", [0, 1])
def test_consolidate_refuses_complete_totals_that_fail_validation(data_dir, registry, carry_over_off_by):
    """The bureau totals go through the units' suite: last year's 结转下年度 not matching this year's 上年结转
    (X1 at bureau level) stops the report; matching, the totals are recorded and the workbook is written."""
    from disclosure.errors import ReportError
    from disclosure.formats import Cell, load_spec
    from disclosure.store import Store
    from disclosure.workbook.sample import sample_figures
    from tests.unit.store.factories import as_figures

    spec = load_spec("gov-2021")
    url = f"sqlite:///{data_dir / 'store.sqlite'}"
    store = Store.from_url(url, archive_dir=data_dir / "archive")
    store.upgrade()
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
        draft_label="",
        contributing_units=tuple(figures),
        missing_units=(),
        invalid_units=(),
    )
    store.dispose()

    plan = {"year": 2021, "format_version": "gov-2021"}
    if carry_over_off_by:
        with pytest.raises(ReportError, match=r"2021 年度汇总数据有 2 处未通过校验，报告不予生成"):
            pipeline.consolidate(plan, store_url=url)
    else:
        result = pipeline.consolidate(plan, store_url=url)
        assert result["findings"] == 0 and not result["draft"]
        assert Path(result["workbook"]).exists()
