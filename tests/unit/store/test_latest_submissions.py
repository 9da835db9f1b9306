"""The newest submission of each of several units in one query (what a batch of the DAG's unit tasks asks),
agreeing with the one-unit lookup: ordered by when the system received them, other years and units ignored."""

from __future__ import annotations

import pytest

from tests.unit.store.factories import YEAR

pytestmark = pytest.mark.unit


def test_each_units_newest_submission_in_one_query(store, received_file):
    first = store.archive_file(received_file("u01-a.xlsx", "a"), year=YEAR, unit="U01")
    newer = store.archive_file(received_file("u01-b.xlsx", "b"), year=YEAR, unit="U01")
    u02 = store.archive_file(received_file("u02.xlsx", "c"), year=YEAR, unit="U02")
    store.archive_file(received_file("u03-last-year.xlsx", "d"), year=YEAR - 1, unit="U03")
    store.archive_file(received_file("u04.xlsx", "e"), year=YEAR, unit="U04")  # not asked for

    latest = store.latest_submissions(YEAR, ["U01", "U02", "U03"])

    assert {unit: s.id for unit, s in latest.items()} == {"U01": newer.id, "U02": u02.id}
    assert first.id != newer.id
    for unit in ("U01", "U02", "U03"):
        one = store.latest_submission(YEAR, unit)
        assert (one.id if one else None) == (latest[unit].id if unit in latest else None)
    assert store.latest_submissions(YEAR, []) == {}
