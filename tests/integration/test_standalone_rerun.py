"""Re-running one unit against a real scheduler: ``airflow standalone`` on loopback with a temp home.

Trigger the yearly DAG through the REST API with U05's return broken → U05 fails, the run fails. Replace
U05's file with a valid one, clear only U05's failed task instance (and downstream) through the API → the run
finishes successful with the updated totals, and the try numbers show that only U05's tasks and the
consolidation after them ran again.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest

from tests.integration.airflow_env import DAG_ID, airflow_env, free_port, migrate
from tests.integration.airflow_server import stop_process_group
from tests.seed_2020 import seed_figures

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BROKEN = "U05"
DOWNSTREAM = {"consolidate", "render", "choose_publication", "notify_admin", "check_complete"}


class Api:
    def __init__(self, base: str) -> None:
        import httpx

        self.base = base
        self.client = httpx.Client(base_url=base, timeout=30)

    def login(self) -> None:
        token = self.client.get("/auth/token").json()["access_token"]  # all-admins mode: no credentials
        self.client.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params):
        response = self.client.get(f"/api/v2{path}", params=params)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: dict):
        response = self.client.post(f"/api/v2{path}", json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()


def _wait(what: str, check, timeout: float, every: float = 3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except Exception:  # the server is still starting
            value = None
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def standalone(tmp_path):
    port = free_port()
    env = airflow_env(
        tmp_path,
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{port}",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="10",
        AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC="2",
        # Only the triggered run: no scheduled run for the latest January (max_active_runs would queue ours).
        AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False",
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
    )
    migrate(env)
    log = (tmp_path / "standalone.log").open("wb")
    process = subprocess.Popen(
        ["airflow", "standalone"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    api = Api(f"http://127.0.0.1:{port}")
    try:
        _wait("the API server", lambda: api.client.get("/api/v2/monitor/health").status_code == 200, 300)
        api.login()
        _wait("the DAG to be parsed", lambda: api.get(f"/dags/{DAG_ID}")["dag_id"], 300)
        yield api, Path(env["DISCLOSURE_DATA_DIR"])
    finally:
        stop_process_group(process, grace=60)
        log.close()


def _finished(api: Api, run_id: str) -> str | None:
    state = api.get(f"/dags/{DAG_ID}/dagRuns/{run_id}")["state"]
    return state if state in ("success", "failed") else None


def _task_instances(api: Api, run_id: str) -> list[dict]:
    return api.get(f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances", limit=500)["task_instances"]


def _by_unit(tis: list[dict], task_id: str) -> dict[str, dict]:
    return {ti["rendered_map_index"].split()[0]: ti for ti in tis if ti["task_id"] == task_id}


def test_clearing_one_unit_reruns_only_that_unit_and_the_report(standalone, tmp_path):
    from disclosure.registry import load_registry
    from disclosure.workbook.sample import write_sample

    api, data = standalone
    inbox = data / "inbox" / "2020"
    write_sample(2020, inbox, load_registry(), faulty=[BROKEN])

    run = api.post(
        f"/dags/{DAG_ID}/dagRuns", {"logical_date": None, "conf": {"year": 2020, "approval": False}}
    )
    run_id = run["dag_run_id"]
    assert _wait("the first run", lambda: _finished(api, run_id), 1500) == "failed"

    first = _task_instances(api, run_id)
    validate = _by_unit(first, "unit.validate")
    assert validate[BROKEN]["state"] == "failed"
    assert {u for u, ti in validate.items() if ti["state"] == "success"} == set(validate) - {BROKEN}
    assert len(validate) == 12

    # The unit resubmits a corrected file (same name, newer).
    clean = tmp_path / "clean"
    fixed = next(
        p for p in write_sample(2020, clean, load_registry()) if p.name.startswith(f"2020_{BROKEN}_")
    )
    shutil.copyfile(fixed, inbox / fixed.name)

    cleared = api.post(
        f"/dags/{DAG_ID}/clearTaskInstances",
        {
            "dry_run": False,
            "dag_run_id": run_id,
            "task_ids": [["unit.validate", validate[BROKEN]["map_index"]]],
            "include_downstream": True,
            "include_upstream": False,
            "only_failed": False,
            "reset_dag_runs": True,
        },
    )
    cleared_ids = {(ti["task_id"], ti.get("map_index")) for ti in cleared["task_instances"]}
    assert ("unit.validate", validate[BROKEN]["map_index"]) in cleared_ids
    assert _wait("the re-run", lambda: _finished(api, run_id), 1500) == "success"

    second = _task_instances(api, run_id)
    before = {(ti["task_id"], ti["map_index"]): ti["try_number"] for ti in first}
    rerun = {
        (ti["task_id"], ti["map_index"])
        for ti in second
        if ti["try_number"] > before[(ti["task_id"], ti["map_index"])]
    }
    index = validate[BROKEN]["map_index"]
    assert {("unit.validate", index), ("unit.accept", index)} <= rerun
    assert {task_id for task_id, map_index in rerun if map_index == -1} >= DOWNSTREAM
    assert {(t, i) for t, i in rerun if t.startswith("unit.")} == {
        ("unit.validate", index),
        ("unit.accept", index),
    }
    assert not {t for t, i in rerun} & {"prepare", "distribute", "wait_for_missing_reminder"}

    report = json.loads((data / "reports" / "2020" / "2020-totals.json").read_text(encoding="utf-8"))
    assert report["draft"] is False
    figures = {
        (r["table_id"], r["row_id"], r["column_id"]): Decimal(str(r["value"])) for r in report["figures"]
    }
    assert figures == {key: Decimal(str(value)) for key, value in seed_figures().items()}
