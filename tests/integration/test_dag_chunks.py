"""The yearly DAG with its unit tasks in chunks, end to end with ``dag.test()``, against the same DAG per unit on
the same inputs: the faulty 2020 sample (U03 and U07 with one error each, U11 sends nothing), chunks forced with
``DISCLOSURE_CHUNK_THRESHOLD=4`` and ``DISCLOSURE_CHUNK_SIZE=5`` (U01–U05, U06–U10, U11–U12).

Both runs store the same states, findings and figures, write the same feedback workbooks and the same report;
the chunked grid has one instance per chunk, labelled after it, whose ``accept`` fails naming the faulty units
once the good ones are accepted.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.integration.airflow_env import airflow_env, dag_test, migrate
from tests.year_snapshot import year_snapshot

pytestmark = [pytest.mark.integration, pytest.mark.slow]

YEAR = 2020
UNIT_TASKS = ("unit.wait_for_return", "unit.validate", "unit.accept")


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> Path:
    from disclosure.registry import load_registry
    from disclosure.workbook.sample import write_sample

    folder = tmp_path_factory.mktemp("returns")
    write_sample(YEAR, folder, load_registry(), faulty=["U03", "U07"])
    next(folder.glob(f"{YEAR}_U11_*.xlsx")).unlink()
    return folder


def _run(root: Path, returns: Path, monkeypatch, **chunking: str) -> tuple[dict, dict]:
    """The DAG on the returns in a fresh Airflow home and data folder; its outcome and what the year holds."""
    from disclosure.registry import load_registry

    env = airflow_env(root, **chunking)
    migrate(env)
    shutil.copytree(returns, Path(env["DISCLOSURE_DATA_DIR"]) / "inbox" / str(YEAR))
    result = dag_test(env, {"year": YEAR, "approval": False})
    monkeypatch.setenv("DISCLOSURE_DATA_DIR", env["DISCLOSURE_DATA_DIR"])
    monkeypatch.delenv("DISCLOSURE_STORE_URL", raising=False)
    return result, year_snapshot(YEAR, load_registry().reporting_codes())


def _grid(result: dict) -> dict[tuple[str, str], str]:
    return {(ti["task_id"], ti["label"]): ti["state"] for ti in result["tis"] if ti["task_id"] in UNIT_TASKS}


def test_chunked_run_stores_and_reports_what_the_per_unit_run_does(returns, tmp_path, monkeypatch):
    per_unit, per_unit_year = _run(tmp_path / "per-unit", returns, monkeypatch)
    chunked, chunked_year = _run(
        tmp_path / "chunked",
        returns,
        monkeypatch,
        DISCLOSURE_CHUNK_THRESHOLD="4",
        DISCLOSURE_CHUNK_SIZE="5",
    )

    assert per_unit["state"] == chunked["state"] == "failed"  # units failed or missing: the run says so
    grid = _grid(per_unit)
    assert len(grid) == 36
    assert grid[("unit.validate", "U03 矿产地质调查院")] == "failed"
    assert grid[("unit.wait_for_return", "U11 地质资料馆")] == "skipped"

    assert _grid(chunked) == {
        ("unit.wait_for_return", "U01–U05（5 个单位）"): "success",
        ("unit.validate", "U01–U05（5 个单位）"): "success",
        ("unit.accept", "U01–U05（5 个单位）"): "failed",
        ("unit.wait_for_return", "U06–U10（5 个单位）"): "success",
        ("unit.validate", "U06–U10（5 个单位）"): "success",
        ("unit.accept", "U06–U10（5 个单位）"): "failed",
        ("unit.wait_for_return", "U11–U12（2 个单位）"): "success",
        ("unit.validate", "U11–U12（2 个单位）"): "success",
        ("unit.accept", "U11–U12（2 个单位）"): "success",
    }
    tries = {ti["label"]: ti["try_number"] for ti in chunked["tis"] if ti["task_id"] == "unit.accept"}
    assert tries["U01–U05（5 个单位）"] == 1  # a data error is not retried

    assert chunked_year == per_unit_year
    assert chunked_year["states"]["U07"] == "rejected" and chunked_year["findings"]["U03"]
    assert len(chunked_year["figures"]) == 9 and chunked_year["totals"]["draft"] is True
