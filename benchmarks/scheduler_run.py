"""The yearly DAG on N generated units under the real LocalExecutor: ``airflow standalone`` (scheduler, DAG
processor, API server, triggerer) on loopback, started as the integration tests start it
(``tests/integration/airflow_server.py``), its metadata in a throw-away PostgreSQL database (LocalExecutor
runs tasks in parallel only on a server database), the report store in SQLite in the data folder.

CPU is read from the process tree with psutil: every process's own plus its reaped children's user+system
seconds, before the run is triggered and after it ended (so the task processes, reaped by the LocalExecutor
workers, and the DAG processor's parse processes are counted once). Each LocalExecutor worker shows the task
instance it runs in its process title (``airflow worker -- LocalExecutor: <ti id>``); a sampler attributes the
worker's CPU (the supervisor) and its reaped children's CPU (the task process) between two title changes to
that task instance, so per-task CPU is measured under the real executor, not ``airflow tasks test``.

    python -m benchmarks.scheduler_run --units 12 [--cold] [--year 2019]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DAG_ID = "annual_disclosure_report"
PG = "postgresql+psycopg2://postgres@127.0.0.1:5432"
#: one unit's tasks: since the intake, the sensor receives the file (what ``ingest`` did), so it counts; its
#: share is also reported on its own
UNIT_TASKS = ("unit.wait_for_return", "unit.ingest", "unit.validate", "unit.accept")
SENSOR_TASK = "unit.wait_for_return"
_WORKER_TITLE = re.compile(r"airflow worker -- LocalExecutor[^:]*: ([0-9a-f-]{36})")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def throwaway_database(prefix: str = "disclosure_bench") -> Iterator[str]:
    """A new PostgreSQL database on the loopback server, dropped afterwards; yields its SQLAlchemy URL."""
    from sqlalchemy import create_engine, text

    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def write_inputs(data_dir: Path, year: int, n: int) -> Path:
    """The registry of ``n`` synthetic units and their returns in the year's inbox (hard links to the cached
    inputs); returns the registry file."""
    import yaml

    from benchmarks import inputs

    registry_file = data_dir / "units.yaml"
    registry_file.parent.mkdir(parents=True, exist_ok=True)
    registry_file.write_text(
        yaml.safe_dump(inputs.registry(n).model_dump(mode="json"), allow_unicode=True), encoding="utf-8"
    )
    inbox = data_dir / "inbox" / str(year)
    inbox.mkdir(parents=True, exist_ok=True)
    for source in inputs.ensure_returns(year, n):
        target = inbox / source.name
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
    return registry_file


def standalone_env(root: Path, metadata_url: str, *, warm: bool, parallelism: int) -> dict[str, str]:
    """What the run adds to the integration tests' ``airflow standalone`` (tests/integration/airflow_server.py):
    PostgreSQL metadata, the generated registry, the warm task parents' local settings, the parallelism."""
    from benchmarks import inputs

    data = root / "data"
    env = {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "config"), os.environ.get("PYTHONPATH")])),
        "DISCLOSURE_UNITS_FILE": str(data / "units.yaml"),
        "DISCLOSURE_SECRET_KEY": inputs.SECRET_KEY,  # the generated returns are signed with it
        "DISCLOSURE_PRELOAD": "" if warm else "0",  # warm: the task parents decide by their command
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
        "AIRFLOW__CORE__PARALLELISM": str(parallelism),
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(parallelism),
        "AIRFLOW__CORE__MAX_MAP_LENGTH": "4096",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(_free_port()),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(_free_port()),
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    }
    return env


# --- CPU of the process tree --------------------------------------------------------------------------------


def _cpu(proc) -> float:
    t = proc.cpu_times()
    return t.user + t.system + t.children_user + t.children_system


def tree_cpu(leader_pid: int) -> dict[int, float]:
    """Own + reaped children's CPU seconds of the leader and every descendant alive now."""
    import psutil

    out: dict[int, float] = {}
    try:
        leader = psutil.Process(leader_pid)
        procs = [leader, *leader.children(recursive=True)]
    except psutil.NoSuchProcess:
        return out
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            out[proc.pid] = _cpu(proc)
    return out


@dataclass
class TaskSampler:
    """Attributes each LocalExecutor worker's CPU between title changes to the task instance in its title."""

    leader_pid: int
    interval: float = 0.1
    by_ti: dict[str, dict[str, float]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()

    def _loop(self) -> None:
        import psutil

        current: dict[int, tuple[str | None, float, float]] = {}  # pid -> (ti, own, children) at title start
        while not self._stop.is_set():
            try:
                procs = psutil.Process(self.leader_pid).children(recursive=True)
            except psutil.NoSuchProcess:
                return
            for proc in procs:
                try:
                    title = " ".join(proc.cmdline())
                    if "LocalExecutor" not in title:
                        continue
                    t = proc.cpu_times()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                match = _WORKER_TITLE.search(title)
                ti = match.group(1) if match else None
                own, children = t.user + t.system, t.children_user + t.children_system
                previous = current.get(proc.pid)
                if previous is None or previous[0] != ti:
                    if previous is not None and previous[0] is not None:
                        entry = self.by_ti.setdefault(previous[0], {"task_s": 0.0, "supervisor_s": 0.0})
                        entry["task_s"] += children - previous[2]
                        entry["supervisor_s"] += own - previous[1]
                    current[proc.pid] = (ti, own, children)
            self._stop.wait(self.interval)


# --- the run ------------------------------------------------------------------------------------------------


def _task_instances(metadata_url: str, run_id: str) -> list[dict]:
    from sqlalchemy import create_engine, text

    engine = create_engine(metadata_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT id, task_id, map_index, state, start_date, end_date FROM task_instance "
                    "WHERE dag_id = :dag AND run_id = :run"
                ),
                {"dag": DAG_ID, "run": run_id},
            ).mappings()
            return [dict(r) for r in rows]
    finally:
        engine.dispose()


def run_dag(
    n: int, *, year: int = 2019, warm: bool = True, parallelism: int = 4, timeout: float = 3600
) -> dict:
    """The DAG on ``n`` units through ``airflow standalone`` with a fresh metadata database; its figures."""
    root = Path(tempfile.mkdtemp(prefix=f"disclosure-dagrun-{n}-"))
    try:
        with throwaway_database() as metadata_url:
            return _run_dag(
                root, metadata_url, n, year=year, warm=warm, parallelism=parallelism, timeout=timeout
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _run_dag(
    root: Path, metadata_url: str, n: int, *, year: int, warm: bool, parallelism: int, timeout: float
) -> dict:
    from tests.integration import airflow_server
    from tests.integration.airflow_server import AirflowServer

    airflow_server.STARTUP_TIMEOUT = max(airflow_server.STARTUP_TIMEOUT, 900)  # the warm-up, on 2 busy cores
    write_inputs(root / "airflow" / "data", year, n)
    env = standalone_env(root / "airflow", metadata_url, warm=warm, parallelism=parallelism)
    started = time.perf_counter()
    with AirflowServer.start(root / "airflow", extra_env=env) as server:
        server.wait_for_dag(DAG_ID, timeout=900)
        startup_s = time.perf_counter() - started
        time.sleep(5)  # let the start-up (warm-up, first parse) settle before the baseline
        sampler = TaskSampler(server.process.pid)
        before = tree_cpu(server.process.pid)
        sampler.start()
        try:
            token = server.token()
            run = server.api(
                "POST",
                f"/dags/{DAG_ID}/dagRuns",
                token=token,
                json={"logical_date": None, "conf": {"year": year, "approval": False}},
            )
            run_id = run["dag_run_id"]
            state = server.wait_for_run(DAG_ID, run_id, timeout=timeout)
            time.sleep(2)  # the last task processes are reaped
        finally:
            sampler.stop()
        after = tree_cpu(server.process.pid)
        finished = server.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}", token=token)
    wall = (_when(finished["end_date"]) - _when(finished["start_date"])).total_seconds()
    tis = _task_instances(metadata_url, run_id)
    return summarize(n, warm, state, wall, startup_s, before, after, sampler.by_ti, tis, parallelism)


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def summarize(n, warm, state, wall, startup_s, before, after, by_ti, tis, parallelism) -> dict:
    total_cpu = sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
    per_task: dict[str, list[float]] = {}
    unit_cpu = sensor_cpu = 0.0
    attributed = 0
    for ti in tis:
        measured = by_ti.get(str(ti["id"]))
        if measured is None:
            continue
        attributed += 1
        cpu = measured["task_s"] + measured["supervisor_s"]
        per_task.setdefault(ti["task_id"], []).append(cpu)
        if ti["task_id"] in UNIT_TASKS:
            unit_cpu += cpu
        if ti["task_id"] == SENSOR_TASK:
            sensor_cpu += cpu
    states: dict[str, int] = {}
    for ti in tis:
        states[ti["state"] or "none"] = states.get(ti["state"] or "none", 0) + 1
    return {
        "units": n,
        "warm": warm,
        "parallelism": parallelism,
        "state": state,
        "wall_s": round(wall, 1),
        "startup_s": round(startup_s, 1),
        "cpu_s": round(total_cpu, 1),
        "unit_tasks_cpu_s": round(unit_cpu / n, 3),
        "unit_sensor_cpu_s": round(sensor_cpu / n, 3),
        "task_instances": len(tis),
        "task_instances_measured": attributed,
        "ti_states": states,
        "per_task_cpu_s": {
            task: {"n": len(v), "median": round(statistics.median(v), 3), "sum": round(sum(v), 2)}
            for task, v in sorted(per_task.items())
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=12)
    parser.add_argument("--year", type=int, default=2019)
    parser.add_argument("--cold", action="store_true", help="without the warm task parents")
    parser.add_argument("--parallelism", type=int, default=4)
    args = parser.parse_args(argv)
    result = run_dag(args.units, year=args.year, warm=not args.cold, parallelism=args.parallelism)
    print(json.dumps(result, ensure_ascii=False, default=str))
    return 0 if result["state"] == "success" else 1


if __name__ == "__main__":
    sys.exit(main())
