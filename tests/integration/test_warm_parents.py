"""Task processes inherit the warm stack from their parent under the real LocalExecutor.

``airflow standalone`` with ``config/airflow_local_settings.py`` on the path runs a probe DAG whose task reports
what its process already had when the task body started: Great Expectations and pandas imported, and the
warm-up done by another process (the scheduler, whose LocalExecutor worker forked the task). With
``DISCLOSURE_PRELOAD=0`` the same probe sees none of it, so the check can fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.airflow_server import REPO, AirflowServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PROBE_DAG = """
import pendulum
from airflow.sdk import DAG, task

with DAG("warm_probe", schedule=None, start_date=pendulum.datetime(2025, 1, 1), catchup=False) as dag:

    @task
    def probe() -> dict:
        import os
        import sys

        warm = sys.modules.get("disclosure.warm")
        return {
            "great_expectations": "great_expectations" in sys.modules,
            "pandas": "pandas" in sys.modules,
            "warmed": bool(warm and warm.state.warmed),
            "warmed_by": warm.state.pid if warm else None,
            "pid": os.getpid(),
        }

    probe()
"""


@pytest.mark.parametrize("preload", ["", "0"], ids=["warm", "switched-off"])
def test_task_process_inherits_the_warm_stack(tmp_path: Path, preload: str):
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "warm_probe.py").write_text(PROBE_DAG, encoding="utf-8")
    env = {
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "PYTHONPATH": str(REPO / "config"),
        "DISCLOSURE_PRELOAD": preload,
    }
    with AirflowServer.start(tmp_path / "airflow", extra_env=env) as server:
        server.wait_for_dag("warm_probe")
        run = server.api("POST", "/dags/warm_probe/dagRuns", json={"logical_date": None})
        state = server.wait_for_run("warm_probe", run["dag_run_id"], timeout=600)
        assert state == "success", server.log_tail()
        entry = server.api(
            "GET",
            f"/dags/warm_probe/dagRuns/{run['dag_run_id']}/taskInstances/probe/xcomEntries/return_value",
        )
        seen = entry["value"]
        if isinstance(seen, str):
            import json

            seen = json.loads(seen)
    if preload == "0":
        assert seen["warmed"] is False
        assert seen["great_expectations"] is False
    else:
        assert seen["warmed"] is True
        assert seen["great_expectations"] is True and seen["pandas"] is True
        assert seen["warmed_by"] != seen["pid"]  # warmed in a parent, inherited through the fork
