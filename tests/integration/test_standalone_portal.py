"""``make standalone``'s script brings the units' portal up on loopback alongside Airflow and prints each
unit's link; the printed link opens the unit's page, and everything stops with the script."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.airflow_server import BIN, REPO, STARTUP_TIMEOUT, free_port, stop_process_group

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _wait(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"standalone.sh exited ({process.returncode}):\n{log.read_text()[-4000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=5).status_code == 200:
                return
        time.sleep(2)
    raise TimeoutError(f"{url} not up after {STARTUP_TIMEOUT}s:\n{log.read_text()[-4000:]}")


def test_standalone_starts_the_portal_next_to_airflow_and_prints_the_links(tmp_path: Path):
    api_port, portal_port = free_port(), free_port()
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "AIRFLOW_HOME": str(tmp_path / "airflow_home"),
        "DISCLOSURE_DATA_DIR": str(tmp_path / "data"),
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        "DISCLOSURE_PORTAL_PORT": str(portal_port),
        "YEAR": "2020",
    }
    for name in ("DISCLOSURE_STORE_URL", "DISCLOSURE_SECRET_KEY", "DISCLOSURE_PORTAL_URL"):
        env.pop(name, None)
    log = tmp_path / "standalone.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["bash", str(REPO / "scripts" / "standalone.sh")],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait(f"http://127.0.0.1:{portal_port}/healthz", process, log)
        _wait(f"http://127.0.0.1:{api_port}/api/v2/monitor/health", process, log)
        printed = log.read_text(encoding="utf-8")
        links = dict(re.findall(rf"^(U\d\d)\t\S+\t(http://127\.0\.0\.1:{portal_port}/u/\S+)$", printed, re.M))
        assert len(links) == 12, printed[-3000:]
        page = httpx.get(links["U05"], timeout=30)
        assert page.status_code == 200 and "U05" in page.text
    finally:
        stop_process_group(process)
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{portal_port}/healthz", timeout=5)
