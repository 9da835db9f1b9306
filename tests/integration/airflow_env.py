"""A throwaway local Airflow for integration tests: its own AIRFLOW_HOME (SQLite, LocalExecutor), this repo's
dags/ and plugins/, its own data folder. Airflow runs in child processes, so its settings never leak into the
test process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
DAG_ID = "annual_disclosure_report"
RUNNER = Path(__file__).with_name("dag_runner.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def airflow_env(root: Path, **extra: str) -> dict[str, str]:
    home, data = root / "airflow_home", root / "data"
    home.mkdir(parents=True, exist_ok=True)
    data.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "DISCLOSURE_"))}
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        AIRFLOW_HOME=str(home),
        DISCLOSURE_DATA_DIR=str(data),
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO_ROOT / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO_ROOT / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__EXECUTOR="LocalExecutor",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
        # The bureau's key as the deployment holds it: an Airflow connection (its password), which the DAG's
        # glue turns into DISCLOSURE_SECRET_KEY; the same key the tests' templates are signed with.
        AIRFLOW_CONN_DISCLOSURE_SECRET_KEY=json.dumps(
            {"conn_type": "generic", "password": os.environ["DISCLOSURE_SECRET_KEY"]}
        ),
    )
    env.update(extra)
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run(["airflow", "db", "migrate"], env=env, check=True, capture_output=True, timeout=600)


def dag_test(env: dict[str, str], conf: dict) -> dict:
    """``dag.test()`` in a child process; the run's state and every task instance (id, map index, label,
    state, try number)."""
    done = subprocess.run(
        [sys.executable, str(RUNNER), json.dumps(conf)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0 and lines, done.stderr[-5000:]
    return json.loads(lines[-1])


def tis_by_unit(result: dict, task_id: str) -> dict[str, str]:
    """State of one mapped unit task, keyed by unit code (from the plan's order of units)."""
    codes = result["units"]
    return {codes[ti["map_index"]]: ti["state"] for ti in result["tis"] if ti["task_id"] == task_id}
