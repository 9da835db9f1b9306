"""A reading kept with its submission: stored as JSON and read back exactly, also one stored before the figures
were kept as columns."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disclosure.errors import Problem
from disclosure.figures import Figure, ReturnMeta, UnitReturn
from disclosure.intake.reading import READING_VERSION, Reading, is_current, read_file
from disclosure.registry import Registry
from tests.unit.intake.conftest import write_return

pytestmark = [pytest.mark.unit]

META = ReturnMeta(format_version="gov-2021", year=2021, unit_code="U01", unit_name="一院", contact="张三")
VALUES = st.one_of(
    st.none(),
    st.integers(-(10**20), 10**20),
    st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**12), max_value=10**12),
)


def _through_json(reading: Reading) -> Reading:
    return Reading.from_json(json.loads(json.dumps(reading.to_json(), ensure_ascii=False)))


@settings(max_examples=50, deadline=None, derandomize=True, database=None)
@given(
    values=st.lists(VALUES, max_size=30),
    raws=st.lists(st.one_of(st.none(), st.text(max_size=5)), max_size=30),
)
def test_property_a_reading_comes_back_exactly(values, raws):
    figures = [
        Figure(2021, "U01", "t3", f"r{i}", "c", v, "三", f"D{i + 5}", raws[i] if i < len(raws) else None)
        for i, v in enumerate(values)
    ]
    problems = [Problem("blank_cell", "未填写。", "三", "D5", None)]
    reading = Reading(UnitReturn(META, figures, problems=problems), claimed_unit="U01")
    back = _through_json(reading)
    assert back == reading
    assert [type(f.value) for f in back.unit_return.figures] == [type(v) for v in values]
    assert is_current(reading.to_json())


def test_a_read_workbook_comes_back_exactly(small_registry: Registry, tmp_path: Path):
    reading = read_file(write_return(small_registry, "U01", tmp_path / "2021_U01.xlsx"))
    assert reading.unit_return is not None and reading.unit_return.figures
    back = _through_json(reading)
    back.unit_return.path = reading.unit_return.path
    assert back == reading


def test_a_reading_stored_one_record_per_figure_is_still_read():
    stored = {
        "version": 1,
        "fatal": False,
        "claimed_unit": "U01",
        "problems": [],
        "meta": Reading(UnitReturn(META, [])).to_json()["meta"],
        "figures": [
            ["t3", "new", "natural", "5", "int", "三", "D5", None],
            ["t2_9", "x", "amount", "1.50", "decimal", "二", "C23", None],
            ["t3", "new", "total", None, None, "三", "J5", "abc"],
        ],
        "return_problems": [],
    }
    assert not is_current(stored) and READING_VERSION != 1
    figures = Reading.from_json(stored).unit_return.figures
    assert [f.value for f in figures] == [5, Decimal("1.50"), None]
    assert figures[2] == Figure(2021, "U01", "t3", "new", "total", None, "三", "J5", "abc")
