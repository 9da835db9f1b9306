"""Accepting a chunk of units at once (``intake.accept_many``, the road ``accept_checked`` and ``accept`` take):
every passed submission's figures from its stored reading, idempotent, all or nothing with the bad one named."""

from __future__ import annotations

from pathlib import Path

import pytest

from disclosure.errors import StoreError
from disclosure.figures import ReturnMeta, UnitReturn
from disclosure.formats import FormatSpec, Severity
from disclosure.intake import Reading, accept, accept_many
from disclosure.store import Store, SubmissionStatus
from disclosure.validation.findings import Finding
from tests.unit.intake.conftest import YEAR
from tests.unit.store.factories import as_figures, unit_values

pytestmark = pytest.mark.unit


@pytest.fixture
def received(store: Store, tmp_path: Path, spec2021: FormatSpec):
    """A submission of ``unit`` with its reading stored (figures ``unit_values(seed)``), validated clean."""

    def make(unit: str, seed: int, *, reading: bool = True) -> int:
        path = tmp_path / f"{unit}-{seed}.xlsx"
        path.write_text(f"{unit}-{seed}")
        submission = store.archive_file(path, year=YEAR, unit=unit)
        if reading:
            meta = ReturnMeta(format_version=spec2021.version, year=YEAR, unit_code=unit)
            figures = as_figures(YEAR, unit, unit_values(spec2021, seed), spec2021)
            store.save_reading(submission.id, Reading(unit_return=UnitReturn(meta, figures)).to_json())
        store.record_validation(submission.id, [])
        return submission.id

    return make


def test_a_chunk_is_accepted_from_its_readings_and_again_changes_nothing(store: Store, received, spec2021):
    ids = [received("U01", 1), received("U02", 2), received("U03", 3)]
    infos = accept_many(ids, store=store)
    assert [(s.id, s.status) for s in infos] == [(i, SubmissionStatus.ACCEPTED) for i in ids]
    expected = {u: unit_values(spec2021, n) for n, u in enumerate(("U01", "U02", "U03"), start=1)}
    assert store.current_figures(YEAR) == expected
    assert [s.status for s in accept_many(ids, store=store)] == [SubmissionStatus.ACCEPTED] * 3
    assert accept(ids[0], store=store).status is SubmissionStatus.ACCEPTED
    assert len(store.current_figure_records(YEAR)) == sum(len(v) for v in expected.values())


@pytest.mark.parametrize("bad", ["rejected", "no reading"])
def test_a_bad_submission_in_a_chunk_is_named_and_none_is_accepted(store: Store, received, bad):
    first = received("U01", 1)
    target = received("U02", 2, reading=bad != "no reading")
    if bad == "rejected":
        store.record_validation(target, [Finding(rule="R1", severity=Severity.ERROR, message="不平衡")])
    message = "状态为“校验未通过”" if bad == "rejected" else "没有读取记录"
    with pytest.raises(StoreError, match=f"报送 #{target}.*{message}"):
        accept_many([first, target, received("U03", 3)], store=store)
    assert store.current_figures(YEAR) == {}
    assert store.submission(first).status is SubmissionStatus.PASSED
