"""The Airflow side: the DAG file's import cost, the sample run's wall time per task, one task instance's CPU.

Every measurement runs in a child process with its own ``AIRFLOW_HOME`` and data folder under the benchmark's
work folder, so the repository's ``airflow_home/`` and ``data/`` are never touched.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DAG_FILE = REPO / "dags" / "annual_report.py"
DAG_ID = "annual_disclosure_report"
VENV_BIN = Path(sys.executable).parent

#: Child script: seconds to ``import airflow.sdk``, then to import the DAG file on top of it (one process each,
#: so nothing is cached between repeats).
_IMPORT_PROBE = """
import importlib, importlib.util, json, sys, time
sys.path.insert(0, {dags!r})
t0, c0 = time.perf_counter(), time.process_time()
import airflow.sdk
for name in {preload!r}:
    importlib.import_module(name)
t1, c1 = time.perf_counter(), time.process_time()
before = set(sys.modules)
spec = importlib.util.spec_from_file_location("annual_report_probe", {dag!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
t2, c2 = time.perf_counter(), time.process_time()
heavy = sorted(m for m in ("great_expectations", "pandas", "openpyxl", "python_calamine", "docx", "sqlalchemy")
               if m in sys.modules and m not in before)
print(json.dumps({{"sdk_s": t1 - t0, "dag_s": t2 - t1, "sdk_cpu_s": c1 - c0, "dag_cpu_s": c2 - c1,
                  "heavy_modules": heavy}}))
"""


def airflow_env(work: Path) -> dict[str, str]:
    """The environment of ``scripts/airflow-env.sh`` with the Airflow home and data folder under ``work``."""
    from benchmarks.inputs import SECRET_KEY

    env = dict(os.environ)
    env.setdefault("DISCLOSURE_SECRET_KEY", SECRET_KEY)  # the templates' signing key
    env.update(
        AIRFLOW_HOME=str(work / "airflow_home"),
        DISCLOSURE_DATA_DIR=str(work / "data"),
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{work / 'airflow_home' / 'airflow.db'}",
        AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
    )
    env.pop("DISCLOSURE_STORE_URL", None)
    return env


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _children_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def run_measured(cmd: list[str], env: dict[str, str], log: Path, timeout: float) -> dict:
    """Run ``cmd``; its wall time, its (and its children's) user+sys CPU, its exit code; output to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    cpu0 = _children_cpu()
    wall0 = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.run(cmd, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, timeout=timeout)
    return {
        "wall_s": round(time.perf_counter() - wall0, 2),
        "cpu_s": round(_children_cpu() - cpu0, 2),
        "returncode": proc.returncode,
        "log": str(log),
    }


#: The smallest DAG file using what every TaskFlow DAG uses (``DAG``, ``@task``): what Airflow itself costs on
#: top of ``import airflow.sdk``, to tell the project's share from the framework's.
_BASELINE_DAG = """
import pendulum
from airflow.sdk import DAG, task

with DAG("bench_baseline", schedule=None, start_date=pendulum.datetime(2025, 1, 1)) as dag:

    @task
    def noop() -> None:
        pass

    noop()
"""


def parse_modules() -> tuple[str, ...]:
    """What the warm DAG processor and task parents import before they fork (config/airflow_local_settings.py)."""
    import importlib.util

    path = REPO / "config" / "airflow_local_settings.py"
    spec = importlib.util.spec_from_file_location("disclosure_bench_local_settings", path)
    module = importlib.util.module_from_spec(spec)
    saved = os.environ.get("DISCLOSURE_PRELOAD")
    os.environ["DISCLOSURE_PRELOAD"] = "0"  # read the list, warm nothing
    try:
        spec.loader.exec_module(module)
    finally:
        if saved is None:
            os.environ.pop("DISCLOSURE_PRELOAD", None)
        else:
            os.environ["DISCLOSURE_PRELOAD"] = saved
    return tuple(module.PARSE_MODULES)


def _import_samples(
    env: dict[str, str], dag: Path, repeats: int, preload: tuple[str, ...] = ()
) -> list[dict]:
    probe = _IMPORT_PROBE.format(dags=str(REPO / "dags"), dag=str(dag), preload=list(preload))
    samples = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", probe], env=env, cwd=REPO, capture_output=True, text=True, check=True
        )
        samples.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return samples


def dag_import_time(work: Path, repeats: int = 7) -> dict:
    """Median milliseconds to import the DAG file above a bare ``import airflow.sdk`` (a fresh process each
    time), the same for a minimal one-task DAG file (the difference is the project's own share), and above
    what the warm DAG processor preloads (how the DAG processor's forks and the task processes parse it)."""
    env = airflow_env(work)
    (work / "airflow_home").mkdir(parents=True, exist_ok=True)
    baseline_file = work / "bench_baseline_dag.py"
    baseline_file.write_text(_BASELINE_DAG, encoding="utf-8")
    samples = _import_samples(env, DAG_FILE, repeats)
    baseline = _import_samples(env, baseline_file, repeats)
    # as the warm DAG processor parses it (and each task process re-parses it): above the preloaded modules
    warm = _import_samples(env, DAG_FILE, repeats, preload=parse_modules())

    def ms(runs: list[dict], key: str) -> float:
        return round(statistics.median(s[key] for s in runs) * 1000, 1)

    return {
        "repeats": repeats,
        "sdk_import_s": round(statistics.median(s["sdk_s"] for s in samples), 3),
        "sdk_import_cpu_s": round(statistics.median(s["sdk_cpu_s"] for s in samples), 3),
        "dag_above_sdk_ms": ms(samples, "dag_s"),
        "dag_above_sdk_cpu_ms": ms(samples, "dag_cpu_s"),
        "dag_above_sdk_min_ms": round(min(s["dag_s"] for s in samples) * 1000, 1),
        "baseline_dag_above_sdk_ms": ms(baseline, "dag_s"),
        "baseline_dag_above_sdk_cpu_ms": ms(baseline, "dag_cpu_s"),
        "project_share_cpu_ms": round(ms(samples, "dag_cpu_s") - ms(baseline, "dag_cpu_s"), 1),
        "heavy_modules_loaded": samples[-1]["heavy_modules"],
        "warm_parent_dag_above_preload_ms": ms(warm, "dag_s"),
        "warm_parent_dag_above_preload_cpu_ms": ms(warm, "dag_cpu_s"),
    }


def sample_run(work: Path, year: int = 2020, timeout: float = 900) -> dict:
    """``scripts/run-sample.sh`` (what ``make run`` runs) in ``work``: wall time, and each task's duration
    from the Airflow metadata database afterwards."""
    env = airflow_env(work)
    env["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "INFO"
    result = run_measured(["bash", "scripts/run-sample.sh", str(year)], env, work / "run-sample.log", timeout)
    result["tasks"] = task_durations(work / "airflow_home" / "airflow.db")
    result["run_id"] = _latest_run_id(work / "airflow_home" / "airflow.db")
    return result


def _parse(ts: str | None) -> datetime | None:
    return datetime.fromisoformat(ts) if ts else None


def task_durations(db: Path) -> list[dict]:
    """Per task of the latest run: instances, states, summed and longest duration, first start to last end."""
    if not db.is_file():
        return []
    with sqlite3.connect(db) as conn:
        run_id = _latest_run_id(db)
        rows = conn.execute(
            "SELECT task_id, map_index, state, start_date, end_date FROM task_instance "
            "WHERE dag_id = ? AND run_id = ?",
            (DAG_ID, run_id),
        ).fetchall()
    tasks: dict[str, dict] = {}
    for task_id, _, state, start, end in rows:
        entry = tasks.setdefault(task_id, {"task": task_id, "instances": 0, "states": {}, "spans": []})
        entry["instances"] += 1
        entry["states"][state or "none"] = entry["states"].get(state or "none", 0) + 1
        s, e = _parse(start), _parse(end)
        if s and e:
            entry["spans"].append((s, e))
    out = []
    for entry in tasks.values():
        spans = entry.pop("spans")
        durations = [(e - s).total_seconds() for s, e in spans]
        entry["sum_s"] = round(sum(durations), 2)
        entry["max_s"] = round(max(durations), 2) if durations else None
        entry["span_s"] = (
            round((max(e for _, e in spans) - min(s for s, _ in spans)).total_seconds(), 2) if spans else None
        )
        entry["first_start"] = min(s for s, _ in spans).isoformat() if spans else None
        out.append(entry)
    return sorted(out, key=lambda t: t["first_start"] or "")


def _latest_run_id(db: Path) -> str | None:
    if not db.is_file():
        return None
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1", (DAG_ID,)
        ).fetchone()
    return row[0] if row else None


def task_instance_cpu(work: Path, run_id: str, tasks: tuple[str, ...], timeout: float = 600) -> list[dict]:
    """CPU (user+sys, the process and its children) of ``airflow tasks test <dag> <task> <run> --map-index 0``
    for each per-unit task, against the sample run's metadata database (so the upstream XComs exist): a whole
    task instance — process start, Airflow and DAG imports, the work."""
    env = airflow_env(work)
    out = []
    for task in tasks:
        cmd = [str(VENV_BIN / "airflow"), "tasks", "test", DAG_ID, task, run_id, "--map-index", "0"]
        result = run_measured(cmd, env, work / f"tasks-test-{task}.log", timeout)
        out.append({"task": task, **result})
    return out


#: Child script: one unit's wait (inbox poll) → validate → accept as the DAG's task bodies call them, each
#: step timed.
_PIPELINE_PROBE = """
import json, resource, sys, time
def cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime
out = {"start_cpu_s": cpu()}
t = time.perf_counter(); c = cpu()
import disclosure.pipeline as pipeline
out["import_s"] = cpu() - c
plan = json.loads(sys.argv[1]); unit = plan["units"][int(sys.argv[2])]["code"]
for step in ("wait", "validate", "accept"):
    c = cpu()
    if step == "wait":
        value = {unit: pipeline.newest_submissions(plan, [unit])[unit].id}
    elif step == "validate":
        value = pipeline.check_returns(plan, [unit], value)
    else:
        value = pipeline.accept_returns(plan, value)
    out[step + "_s"] = cpu() - c
out["total_cpu_s"] = cpu()
out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def pipeline_unit_cpu(work: Path, year: int = 2020) -> dict:
    """CPU of a plain process running one unit's wait, validate and accept (the domain calls of the three
    per-unit tasks) on a fresh store: the cost of the work without Airflow's task runner."""
    env = airflow_env(work)
    data = Path(env["DISCLOSURE_DATA_DIR"])
    inbox = data / "inbox" / str(year)
    inbox.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(VENV_BIN / "disclosure"), "sample", "--year", str(year), "--out", str(inbox)],
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    plan_cmd = (
        "import json, datetime, disclosure.pipeline as p;"
        f"print(json.dumps(p.prepare(year={year}, units=None, format_version=None, deadline=None,"
        " run_after=datetime.datetime.now(datetime.UTC)).to_dict()))"
    )
    plan = (
        subprocess.run(
            [sys.executable, "-c", plan_cmd], env=env, cwd=REPO, check=True, capture_output=True, text=True
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    # a first run (the first unit) receives the inbox and migrates the store, so the measured run (the second
    # unit, not yet checked) is a steady-state task
    for unit_index in ("0", "1"):
        proc = subprocess.run(
            [sys.executable, "-c", _PIPELINE_PROBE, plan, unit_index],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}
