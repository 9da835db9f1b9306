"""A run's calendar and choices: the typed run plan, its defaults, its refusals, its XCom form."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from disclosure.errors import DisclosureError
from disclosure.workflow import calendar as pipeline
from disclosure.workflow.calendar import RunPlan

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
    assert plan.year == 2020
    assert plan.format_version == "gov-2019"
    assert plan.deadline.isoformat() == "2021-01-15T18:00:00+08:00"
    assert plan.codes == [f"U{i:02d}" for i in range(1, 13)]
    assert plan.units[4].display == "U05 水文环境地质调查院"


def test_prepare_selected_units_in_registry_order(data_dir):
    plan = pipeline.prepare(
        year=2022,
        units=["U07", "U03"],
        format_version=None,
        deadline="2023-01-10",
        run_after=datetime.now(UTC),
    )
    assert plan.codes == ["U03", "U07"]
    assert plan.all_units[0] == "U01"
    assert plan.format_version == "gov-2021"
    assert plan.deadline.isoformat() == "2023-01-10T18:00:00+08:00"


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


def test_the_plan_crosses_xcom_as_plain_json_and_comes_back_equal(data_dir):
    plan = pipeline.prepare(
        year=2021, units=["U05"], format_version=None, deadline=None, run_after=datetime.now(UTC)
    )
    wire = json.loads(json.dumps(plan.to_dict()))
    assert wire["year"] == 2021 and wire["units"] == [{"code": "U05", "display": "U05 水文环境地质调查院"}]
    assert RunPlan.of(wire) == plan
    assert RunPlan.of(plan) is plan
    assert plan.reminder_time.isoformat() == "2022-01-13T18:00:00+08:00"
