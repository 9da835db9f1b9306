"""Warm task parents (``disclosure.warm`` and ``config/airflow_local_settings.py``): which processes warm,
that a failed warm-up never stops anything, that the warm-up leaves the bureau's data alone, and that a task
forked from a warm parent stores exactly what a cold process stores (through the DAG's steps, in batches)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

LOCAL_SETTINGS = REPO_ROOT / "config" / "airflow_local_settings.py"
#: the bureau's key for both runs (signatures are part of what is compared)
SAME_KEY = "warm-parent-test-key-0123456789abcdefghijklmnopqrstuvwxyz"


def _local_settings():
    spec = importlib.util.spec_from_file_location("airflow_local_settings_under_test", LOCAL_SETTINGS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # pytest's argv: not a task parent, nothing is warmed
    return module


@pytest.mark.parametrize(
    ("argv", "flag", "expected"),
    [
        (["airflow", "scheduler"], "", True),
        (["airflow", "scheduler", "--num-runs", "1"], "", True),
        (["airflow", "dag-processor"], "", True),
        (["airflow", "celery", "worker", "-q", "default"], "", True),
        (["airflow", "api-server"], "", False),
        (["airflow", "triggerer"], "", False),
        (["airflow", "standalone"], "", False),  # its scheduler and DAG processor are processes of their own
        (["airflow", "dags", "test", "annual_disclosure_report"], "", False),
        (["airflow", "celery", "flower"], "", False),
        (["airflow", "db", "migrate"], "", False),
        (["airflow", "scheduler"], "0", False),
        (["airflow", "api-server"], "1", True),
    ],
)
def test_only_task_parents_warm(argv, flag, expected):
    settings = _local_settings()
    assert settings.should_warm(argv, {"DISCLOSURE_PRELOAD": flag}) is expected


def test_local_settings_export_nothing_into_airflow_settings():
    # Airflow copies every public name of the module into airflow.settings
    assert _local_settings().__all__ == []


def test_a_failed_warm_up_is_logged_and_does_not_raise(monkeypatch, caplog, data_dir):
    from disclosure import warm

    def broken(version, folder):
        raise OSError("disk full")

    monkeypatch.setattr(warm, "exercise", broken)
    monkeypatch.setattr(warm, "state", warm.WarmState())
    result = warm.warm_up(["gov-2021"])
    assert result.warmed is False
    assert result.error == "OSError: disk full"
    assert "预热失败" in caplog.text
    assert "great_expectations" in sys.modules  # the imports stay, only the run failed
    assert os.environ["DISCLOSURE_DATA_DIR"] == str(data_dir)


def test_warm_up_leaves_the_data_folder_and_environment_alone(monkeypatch, data_dir):
    from disclosure import warm

    monkeypatch.setattr(warm, "state", warm.WarmState())
    monkeypatch.setenv("DISCLOSURE_STORE_URL", f"sqlite:///{data_dir / 'bureau.db'}")
    monkeypatch.delenv("DISCLOSURE_SECRET_KEY", raising=False)
    result = warm.warm_up(["gov-2019"])
    assert result.warmed, result.error
    assert result.versions == ["gov-2019"]
    assert list(data_dir.iterdir()) == []
    assert os.environ["DISCLOSURE_DATA_DIR"] == str(data_dir)
    assert os.environ["DISCLOSURE_STORE_URL"] == f"sqlite:///{data_dir / 'bureau.db'}"
    assert "DISCLOSURE_SECRET_KEY" not in os.environ


#: Child script: optionally warm, then fork (as the LocalExecutor does) and in the child take the sample returns
#: of 2020 (two of them faulty) through the DAG's unit steps in chunks (threshold 4, batches of 5: distribute →
#: wait → validate → accept per batch) into a fresh store; print what the store holds.
_UNIT_STEPS = """
import json, os, sys
from datetime import UTC, datetime
from pathlib import Path
warm, out = sys.argv[1] == "warm", Path(sys.argv[2])
if warm:
    from disclosure.warm import warm_up
    assert warm_up().warmed
pid = os.fork()
if pid:
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status))
from disclosure import pipeline
from disclosure.registry import load_registry
from disclosure.settings import get_settings
from disclosure.workbook.sample import write_sample_returns

registry = load_registry()
write_sample_returns(2020, get_settings().inbox(2020), registry, faulty=["U02", "U05"])
plan = pipeline.prepare(year=2020, units=None, format_version=None, deadline=None, run_after=datetime.now(UTC))
batches = pipeline.distribute(plan)
assert [len(b["units"]) for b in batches] == [5, 5, 2]
for batch in batches:
    codes = [u["code"] for u in batch["units"]]
    sent = {c: s.id for c, s in pipeline.newest_submissions(plan, codes).items()}
    try:
        pipeline.accept_returns(plan, pipeline.check_returns(plan, codes, sent))
    except pipeline.ReturnInvalid:
        pass
store = pipeline.open_store()
stored = {"findings": {}, "figures": {}, "states": {}}
for unit, submission in store.latest_submissions(2020, registry.reporting_codes()).items():
    summary = store.latest_validation(submission.id)
    stored["findings"][unit] = [[f.rule, f.severity, f.sheet, f.cell, f.message] for f in summary.findings]
    stored["states"][unit] = str(submission.status)
for unit, figures in store.current_figures(2020).items():
    stored["figures"][unit] = sorted([str(cell), str(value)] for cell, value in figures.items())
store.dispose()
(out / "stored.json").write_text(json.dumps(stored, ensure_ascii=False, sort_keys=True))
"""


def _unit_steps(mode: str, folder: Path) -> dict:
    folder.mkdir()
    env = {
        **os.environ,
        "DISCLOSURE_DATA_DIR": str(folder / "data"),
        "DISCLOSURE_SECRET_KEY": SAME_KEY,
        "DISCLOSURE_CHUNK_THRESHOLD": "4",
        "DISCLOSURE_CHUNK_SIZE": "5",
    }
    env.pop("DISCLOSURE_STORE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_UNIT_STEPS), mode, str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((folder / "stored.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_a_task_forked_from_a_warm_parent_stores_the_same(tmp_path):
    cold = _unit_steps("cold", tmp_path / "cold")
    warm = _unit_steps("warm", tmp_path / "warm")
    assert warm == cold
    # the comparison has substance: accepted figures, and findings for the faulty returns
    assert len(cold["figures"]) == 10
    assert cold["findings"]["U02"] and cold["findings"]["U05"]
    assert cold["states"]["U02"] == "rejected" and cold["states"]["U01"] == "accepted"
