"""Chunked and per-unit mapping of the DAG's unit tasks, at the level of their task bodies (the DAG itself in
chunks runs in ``tests/integration/test_dag_chunks.py``): the same inputs give the same stored figures, findings,
states, feedback workbooks and report; re-running one unit's batch in a chunked run re-checks only that unit.

The sample year 2020 with U03 and U05 faulty (both in the first chunk of five) and U11 sending nothing; chunks
are forced with threshold 4 and batches of 5 (12 units: U01–U05, U06–U10, U11–U12).
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from disclosure.errors import ReturnInvalid
from disclosure.registry import load_registry
from disclosure.settings import get_settings
from disclosure.workflow import steps
from disclosure.workflow.calendar import RunPlan, prepare
from tests.year_snapshot import year_snapshot

pytestmark = [pytest.mark.unit, pytest.mark.slow]

YEAR = 2020
FAULTY = ["U03", "U05"]
MISSING = "U11"
RESUBMITS = "U03"


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> Path:
    """The units' returns as they arrive, the same bytes for every mode."""
    from disclosure.workbook.sample import write_sample

    folder = tmp_path_factory.mktemp("returns")
    write_sample(YEAR, folder, load_registry(), faulty=FAULTY)
    next(folder.glob(f"{YEAR}_{MISSING}_*.xlsx")).unlink()
    return folder


def _mode(monkeypatch, root: Path, returns: Path, *, threshold: int, size: int) -> RunPlan:
    """A fresh data folder holding the returns in the inbox, and the run's chunking."""
    monkeypatch.setenv("DISCLOSURE_DATA_DIR", str(root))
    monkeypatch.setenv("DISCLOSURE_CHUNK_THRESHOLD", str(threshold))
    monkeypatch.setenv("DISCLOSURE_CHUNK_SIZE", str(size))
    shutil.copytree(returns, get_settings().inbox(YEAR))
    return prepare(year=YEAR, units=None, format_version=None, deadline=None, run_after=datetime.now(UTC))


def _collect(plan: RunPlan, batch: dict) -> dict[str, str]:
    """What one mapped instance of the unit tasks does with its batch in a manual run (the sensor looks once):
    wait → validate → accept; each task's outcome."""
    codes = [u["code"] for u in batch["units"]]
    sent = {code: s.id for code, s in steps.newest_submissions(plan, codes).items()}
    if not sent:
        return {"wait_for_return": "skipped"}
    try:
        checked = steps.check_returns(plan, codes, sent)
    except ReturnInvalid as exc:
        return {"wait_for_return": "success", "validate": f"failed {exc.unit}"}
    try:
        steps.accept_returns(plan, checked)
    except ReturnInvalid as exc:
        return {"wait_for_return": "success", "validate": "success", "accept": f"failed {exc.unit}"}
    return {"wait_for_return": "success", "validate": "success", "accept": "success"}


def _run(plan: RunPlan) -> tuple[list[dict], dict]:
    """distribute → every batch → consolidate → render, as the DAG runs them; the batches and their outcomes."""
    batches = steps.distribute(plan)
    outcomes = {b["label"]: _collect(plan, b) for b in batches}
    totals = steps.consolidate(plan)
    steps.render(plan, totals)
    return batches, outcomes


def _year() -> dict:
    return year_snapshot(YEAR, load_registry().reporting_codes())


def test_chunked_and_per_unit_runs_store_and_report_the_same(returns, tmp_path, monkeypatch):
    plan = _mode(monkeypatch, tmp_path / "per-unit", returns, threshold=100, size=100)
    per_unit_batches, per_unit_outcomes = _run(plan)
    per_unit = _year()

    plan = _mode(monkeypatch, tmp_path / "chunked", returns, threshold=4, size=5)
    batches, outcomes = _run(plan)
    chunked = _year()

    assert [b["label"] for b in per_unit_batches][4] == "U05 水文环境地质调查院"
    assert len(per_unit_batches) == 12
    assert per_unit_outcomes["U03 矿产地质调查院"]["validate"] == "failed U03"
    assert per_unit_outcomes["U11 地质资料馆"] == {"wait_for_return": "skipped"}
    assert [b["label"] for b in batches] == [
        "U01–U05（5 个单位）",
        "U06–U10（5 个单位）",
        "U11–U12（2 个单位）",
    ]
    # the chunk with the faulty units accepts its good ones, then fails naming the faulty ones
    assert outcomes["U01–U05（5 个单位）"]["accept"] == "failed U03、U05"
    assert outcomes["U11–U12（2 个单位）"]["accept"] == "success"  # U12 alone: U11 sent nothing

    assert chunked == per_unit
    # the comparison has substance: two faulty units with findings, ten with figures, one missing
    assert chunked["states"]["U03"] == "rejected" and chunked["findings"]["U05"]
    assert len(chunked["figures"]) == 9 and MISSING not in chunked["states"]
    assert chunked["totals"]["draft"] is True and len(chunked["feedback"]) == 2


def test_rerunning_one_unit_in_a_chunked_run_rechecks_only_that_unit(returns, tmp_path, monkeypatch):
    from disclosure.validation import validate as gx
    from disclosure.workbook.sample import write_sample

    plan = _mode(monkeypatch, tmp_path / "chunked", returns, threshold=4, size=5)
    batches, _ = _run(plan)
    before = _year()
    store = steps.open_store()
    runs_before = {
        unit: store.latest_validation(sub.id).run_id
        for unit, sub in store.latest_submissions(YEAR, load_registry().reporting_codes()).items()
    }
    store.dispose()

    # U03 sends a corrected return; the admin clears its batch (the status page's 重新运行 does exactly that)
    clean = write_sample(YEAR, tmp_path / "clean", load_registry())
    fixed = next(p for p in clean if p.name.startswith(f"{YEAR}_{RESUBMITS}_"))
    shutil.copyfile(fixed, get_settings().inbox(YEAR) / f"{fixed.stem}-更正.xlsx")
    seen: list[list[str]] = []
    real = gx.findings_per_return

    def counted(returns, *args, **kwargs):
        seen.append([r.unit for r in returns])
        return real(returns, *args, **kwargs)

    monkeypatch.setattr(gx, "findings_per_return", counted)
    [batch] = [b for b in batches if RESUBMITS in [u["code"] for u in b["units"]]]
    outcome = _collect(plan, batch)
    steps.render(plan, steps.consolidate(plan))
    after = _year()

    assert seen == [[RESUBMITS]]  # one GX run, over the one return that was resubmitted
    assert outcome["accept"] == "failed U05"  # U05 has not resubmitted: still named, not checked again
    assert after["states"] == {**before["states"], RESUBMITS: "accepted"}
    store = steps.open_store()
    latest = store.latest_submissions(YEAR, load_registry().reporting_codes())
    runs_after = {unit: store.latest_validation(sub.id).run_id for unit, sub in latest.items()}
    store.dispose()
    assert {u: r for u, r in runs_after.items() if u != RESUBMITS} == {
        u: r for u, r in runs_before.items() if u != RESUBMITS
    }
    assert after["findings"][RESUBMITS] != before["findings"][RESUBMITS]
    assert RESUBMITS in after["figures"] and RESUBMITS not in before["figures"]
    assert after["totals"]["figures"] != before["totals"]["figures"]
    assert "U03" in before["totals"]["draft_label"] and "U03" not in after["totals"]["draft_label"]
