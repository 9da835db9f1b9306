"""Take the runbook's screenshots of the grid (docs/grid-*.png) from a real local Airflow.

Starts ``airflow standalone`` on loopback with a temporary home and data folder, runs the yearly DAG on the
faulty sample (U03 and U07 broken, U11 missing), screenshots the failed run and a failed unit's log, then
puts corrected files in the inbox, clears those units through the REST API and screenshots the re-run.

    .venv/bin/python scripts/grid_screenshots.py      (needs Debian's chromium at /usr/bin/chromium)
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
DAG_ID = "annual_disclosure_report"
FAULTY, MISSING = ["U03", "U07"], "U11"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(check, timeout: float, every: float = 3.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if value := check():
                return value
        except httpx.HTTPError:
            pass
        time.sleep(every)
    raise SystemExit("timed out")


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="disclosure-shots-"))
    port = _port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "DISCLOSURE_"))}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        AIRFLOW_HOME=str(root / "airflow_home"),
        DISCLOSURE_DATA_DIR=str(root / "data"),
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__EXECUTOR="LocalExecutor",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__API__BASE_URL=base,
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="10",
        AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False",  # only the triggered run
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(_port()),
    )
    os.environ["DISCLOSURE_DATA_DIR"] = env["DISCLOSURE_DATA_DIR"]
    from disclosure.registry import load_registry
    from disclosure.workbook.sample import write_sample

    inbox = root / "data" / "inbox" / "2020"
    write_sample(2020, inbox, load_registry(), faulty=FAULTY)
    next(inbox.glob(f"2020_{MISSING}_*.xlsx")).unlink()

    subprocess.run(["airflow", "db", "migrate"], env=env, check=True, capture_output=True)
    log = (root / "standalone.log").open("wb")
    server = subprocess.Popen(
        ["airflow", "standalone"], env=env, stdout=log, stderr=log, start_new_session=True
    )
    try:
        api = httpx.Client(base_url=base, timeout=30)
        _wait(lambda: api.get("/api/v2/monitor/health").status_code == 200, 300)
        api.headers["Authorization"] = f"Bearer {api.get('/auth/token').json()['access_token']}"
        _wait(lambda: api.get(f"/api/v2/dags/{DAG_ID}").status_code == 200, 300)
        run_id = api.post(
            f"/api/v2/dags/{DAG_ID}/dagRuns",
            json={"logical_date": None, "conf": {"year": 2020, "approval": False}},
        ).json()["dag_run_id"]

        def finished() -> str | None:
            state = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}").json()["state"]
            return state if state in ("success", "failed") else None

        _wait(finished, 1500)
        tis = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances", params={"limit": 500}).json()
        index = {
            ti["rendered_map_index"].split()[0]: ti["map_index"]
            for ti in tis["task_instances"]
            if ti["task_id"] == "unit.wait_for_return" and ti["rendered_map_index"]
        }
        run_url = f"{base}/dags/{DAG_ID}/runs/{run_id}"
        _shoot(base, run_url, DOCS / "grid-faulty.png")
        failed_unit = f"{run_url}/tasks/unit.validate/mapped/{index['U07']}"
        _shoot(base, failed_unit, DOCS / "grid-unit-failed.png")
        _shoot(base, failed_unit, DOCS / "grid-clear.png", _open_clear_dialog)

        clean = root / "clean"
        for path in write_sample(2020, clean, load_registry()):
            if path.name.startswith(tuple(f"2020_{u}_" for u in [*FAULTY, MISSING])):
                shutil.copyfile(path, inbox / path.name)
        cleared = [["unit.validate", index[u]] for u in FAULTY] + [["unit.wait_for_return", index[MISSING]]]
        api.post(
            f"/api/v2/dags/{DAG_ID}/clearTaskInstances",
            json={
                "dry_run": False,
                "dag_run_id": run_id,
                "task_ids": cleared,
                "include_downstream": True,
                "only_failed": False,
                "reset_dag_runs": True,
            },
        ).raise_for_status()
        _wait(finished, 1500)
        _shoot(base, run_url, DOCS / "grid-rerun.png")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        log.close()
    print(f"screenshots in {DOCS}; Airflow home was {root}")


def _open_clear_dialog(page) -> None:
    """The task instance's Clear button (top right), which opens the dialog with «Downstream» ticked."""
    page.locator("button[aria-label*='Clear'], button[aria-label*='清除']").first.click()
    page.wait_for_timeout(2000)


def _shoot(base: str, url: str, out: Path, action=None) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
        page.goto(f"{base}/auth/token/login?next={url}")
        page.wait_for_load_state("networkidle")
        page.goto(url)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(4000)
        if action is not None:
            try:
                action(page)
            except Exception as exc:  # the screenshot without the interaction is still useful
                print(f"could not {action.__name__} for {out.name}: {exc}")
        page.screenshot(path=str(out))
        browser.close()
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
