"""No surprises at start: ``make run`` (scripts/run-sample.sh) and then ``make standalone`` (scripts/standalone.sh),
as a new admin runs them from a fresh clone, start no run by themselves.

The sample run goes through ``airflow dags test``; afterwards the yearly DAG must still be switched off, and the
full local Airflow (scheduler included) must come up, parse the DAG, let the scheduler go round, and hold
only the run the sample made.
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import httpx
import pytest

from tests.integration.airflow_server import BIN, REPO, free_port, stop_process_group

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DAG_ID = "annual_disclosure_report"
STARTUP_TIMEOUT = 300


def test_make_run_then_make_standalone_starts_no_run(tmp_path):
    home, data = tmp_path / "airflow_home", tmp_path / "data"
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "DISCLOSURE_"))},
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "AIRFLOW_HOME": str(home),
        "DISCLOSURE_DATA_DIR": str(data),
        "AIRFLOW__API__PORT": str(port),
    }
    sample = subprocess.run(
        ["bash", str(REPO / "scripts" / "run-sample.sh"), "2020"],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert sample.returncode == 0, sample.stdout[-3000:] + sample.stderr[-3000:]
    assert "published to" in sample.stdout  # this run published (approval off, complete sample)

    log_path = tmp_path / "standalone.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["bash", str(REPO / "scripts" / "standalone.sh")],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        token = _token_when_ready(url, home, process, log_path)
        headers = {"Authorization": f"Bearer {token}"}
        dag = _when(lambda: _get(f"{url}/api/v2/dags/{DAG_ID}", headers), process, log_path)
        assert dag["is_paused"] is True  # created paused by the sample run, still paused

        # Let the scheduler go round at least twice after the DAG is known: it would create a run now.
        seen = _heartbeat(url)
        _when(lambda: (_heartbeat(url) or "") > (seen or "") or None, process, log_path)
        seen = _heartbeat(url)
        _when(lambda: (_heartbeat(url) or "") > (seen or "") or None, process, log_path)
        runs = _get(f"{url}/api/v2/dags/{DAG_ID}/dagRuns", headers)["dag_runs"]
        assert [r["run_type"] for r in runs] == ["manual"], runs  # only `dags test`'s own run
        assert _get(f"{url}/api/v2/dags/{DAG_ID}", headers)["is_paused"] is True
    finally:
        stop_process_group(process)


def _get(url: str, headers: dict[str, str]) -> dict | None:
    response = httpx.get(url, headers=headers, timeout=30)
    return response.json() if response.status_code == 200 else None


def _heartbeat(url: str) -> str | None:
    try:
        health = httpx.get(f"{url}/api/v2/monitor/health", timeout=10).json()
    except (httpx.HTTPError, ValueError):
        return None
    return (health.get("scheduler") or {}).get("latest_scheduler_heartbeat")


def _when(probe, process, log_path):
    """Poll ``probe`` until it returns something truthy (the server must stay up meanwhile)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"standalone exited:\n{log_path.read_text(errors='replace')[-3000:]}")
        try:
            value = probe()
        except httpx.HTTPError:
            value = None
        if value:
            return value
        time.sleep(3)
    raise TimeoutError(f"not ready after {STARTUP_TIMEOUT}s:\n{log_path.read_text(errors='replace')[-3000:]}")


def _token_when_ready(url: str, home, process, log_path) -> str:
    passwords = home / "simple_auth_manager_passwords.json.generated"

    def token() -> str | None:
        if not passwords.is_file():
            return None
        password = json.loads(passwords.read_text())["admin"]
        response = httpx.post(
            f"{url}/auth/token", json={"username": "admin", "password": password}, timeout=30
        )
        return response.json()["access_token"] if response.status_code in (200, 201) else None

    return _when(token, process, log_path)
