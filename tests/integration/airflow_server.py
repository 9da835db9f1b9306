"""A real ``airflow standalone`` for integration tests: scheduler, DAG processor, triggerer and API server with
the repository's DAGs and plugins, on a free loopback port, in a temporary AIRFLOW_HOME and data folder.

    with AirflowServer.start(tmp_path) as server:
        token = server.token()                      # a JWT for the admin user
        server.api("POST", f"/dags/{DAG_ID}/dagRuns", json={...})

The server runs in its own process group and is stopped (TERM, then KILL) when the block ends, even on
failure; ``server.log_tail()`` returns the end of its output for failure messages.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ADMIN = "admin"
#: seconds; generous for 2 shared cores
STARTUP_TIMEOUT = 240


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class AirflowServer:
    home: Path
    data_dir: Path
    port: int
    password: str
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    @contextlib.contextmanager
    def start(cls, root: Path, extra_env: Mapping[str, str] | None = None) -> Iterator[AirflowServer]:
        """Start ``airflow standalone`` under ``root`` and wait until the API answers and the DAGs are parsed."""
        home, data_dir = root / "airflow_home", root / "data"
        home.mkdir(parents=True, exist_ok=True)
        data_dir.mkdir(parents=True, exist_ok=True)  # a caller may have put inputs there (make bench)
        port = free_port()
        password = secrets.token_urlsafe(12)
        passwords_file = home / "passwords.json"
        passwords_file.write_text(json.dumps({ADMIN: password}))
        env = {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "AIRFLOW_HOME": str(home),
            "DISCLOSURE_DATA_DIR": str(data_dir),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__LAZY_LOAD_PLUGINS": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            # Only the runs a test triggers: no scheduled run of the current year competes for max_active_runs.
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "5",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            **(extra_env or {}),
        }
        env.pop("DISCLOSURE_STORE_URL", None)  # the store lives in this test's data folder
        log_path = root / "standalone.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [str(BIN / "airflow"), "standalone"],
                cwd=root,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as a whole
            )
        server = cls(home, data_dir, port, password, process, log_path, env)
        try:
            server._wait_ready()
            yield server
        finally:
            server.stop()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"airflow standalone exited ({self.process.returncode}):\n{self.log_tail()}"
                )
            with contextlib.suppress(httpx.HTTPError):
                health = httpx.get(f"{self.url}/api/v2/monitor/health", timeout=5)
                if health.status_code == 200:
                    return
            time.sleep(2)
        raise TimeoutError(f"airflow standalone not ready after {STARTUP_TIMEOUT}s:\n{self.log_tail()}")

    def stop(self) -> None:
        stop_process_group(self.process)

    def log_tail(self, lines: int = 80) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # ---- REST API ---------------------------------------------------------------------------------------

    def token(self) -> str:
        response = httpx.post(
            f"{self.url}/auth/token", json={"username": ADMIN, "password": self.password}, timeout=30
        )
        response.raise_for_status()
        return response.json()["access_token"]

    def api(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> Any:
        """Call ``/api/v2{path}`` as the admin; returns the JSON body, raises on an error status."""
        headers = {"Authorization": f"Bearer {token or self.token()}"}
        response = httpx.request(method, f"{self.url}/api/v2{path}", headers=headers, timeout=60, **kwargs)
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path} -> {response.status_code}: {response.text[:500]}")
        return response.json()

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> None:
        """Until the DAG processor has parsed ``dag_id`` (an import error fails at once)."""
        token = self.token()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = httpx.get(
                f"{self.url}/api/v2/dags/{dag_id}", headers={"Authorization": f"Bearer {token}"}, timeout=30
            )
            if response.status_code == 200:
                return
            errors = self.api("GET", "/importErrors", token=token)
            if errors.get("import_errors"):
                raise AssertionError(f"DAG import errors: {errors['import_errors']}")
            time.sleep(3)
        raise TimeoutError(f"DAG {dag_id} not parsed after {timeout}s:\n{self.log_tail()}")

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 1500) -> str:
        """Until the run is finished; returns its final state."""
        token = self.token()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}", token=token)
            if run["state"] in ("success", "failed"):
                return run["state"]
            time.sleep(5)
        raise TimeoutError(f"run {run_id} not finished after {timeout}s:\n{self.log_tail()}")


def stop_process_group(process: subprocess.Popen, grace: float = 30) -> None:
    """Stop a server started with ``start_new_session=True`` and everything in its process group:
    ``airflow standalone``'s children (scheduler, its LocalExecutor workers, …) may outlive the leader after
    SIGTERM, so whatever is left of the group after the grace period is killed."""
    pgid = process.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    deadline = time.monotonic() + 10
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
