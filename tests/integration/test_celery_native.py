"""The compose topology, run natively: Airflow with the CeleryExecutor on the loopback PostgreSQL and Redis.

No Docker engine runs here, so the test starts the same processes the compose file starts — db migrate, then
api-server, scheduler, dag-processor, triggerer and two Celery workers — from the project's venv, with its own
AIRFLOW_HOME, its own metadata and report-store databases (created and dropped here) and its own Redis db
number. It triggers the yearly DAG on the sample returns through the REST API, as an admin would, and checks
the run succeeded, the report was written, the store holds every unit's accepted return and the bureau
totals, and the units' tasks were spread over both workers. Everything it started is stopped at the end,
even on failure; on failure the tails of every process log (and of failed tasks' logs) are in the message.
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
from datetime import UTC, datetime
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.postgres]

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DAG_ID = "annual_disclosure_report"
YEAR = 2020
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
REDIS_HOST, REDIS_PORT, REDIS_DB = "127.0.0.1", 6379, 7  # this test's own Redis db number
WORKERS = ("worker-a", "worker-b")
UNIT_TASK_PREFIX = "unit."  # the mapped task group that handles one unit's return

#: seconds; failure guards, not timings: generous for 2 cores shared with other jobs (the README's deploy section has what
#: was measured: about 80 s to start and 390 s for the run at a load average of 11)
STARTUP_TIMEOUT = 150
RUN_TIMEOUT = 600

#: imported by the workers' task processes as [core] hostname_callable: both workers run on this one
#: machine, so the task instance's ``hostname`` would be the same for both; this names the worker instead.
IDENTITY_MODULE = '''\
import os


def hostname() -> str:
    """The name of the Celery worker this task process runs under (set per worker by the test)."""
    return os.environ["DISCLOSURE_IT_WORKER_NAME"]
'''


# --- servers ------------------------------------------------------------------------------------------


def _require_servers() -> None:
    """PostgreSQL and Redis on loopback (.ci/run starts them); skip locally, fail in CI, when they are down."""
    for name, port in (("PostgreSQL", PG_PORT), ("Redis", REDIS_PORT)):
        try:
            socket.create_connection((PG_HOST, port), timeout=2).close()
        except OSError as exc:
            message = f"{name} is not running on {PG_HOST}:{port} ({exc})"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)


def _admin_connection():
    import psycopg2

    connection = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres")
    connection.autocommit = True
    return connection


@contextlib.contextmanager
def _databases(*names: str) -> Iterator[None]:
    """Fresh PostgreSQL databases for the duration of the test, dropped afterwards (even if still in use)."""
    connection = _admin_connection()
    try:
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                cursor.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
        yield
    finally:
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.close()


@contextlib.contextmanager
def _redis_db() -> Iterator[str]:
    """This test's Redis db, empty before and after (a stale queue from a killed run would confuse Celery)."""
    import redis

    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)
    client.flushdb()
    try:
        yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
    finally:
        client.flushdb()
        client.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- processes ----------------------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path


@dataclass
class Cluster:
    """The Airflow processes of one test, each in its own process group with its own log file."""

    home: Path
    env: dict[str, str]
    api_url: str
    processes: list[Process] = field(default_factory=list)

    def run(self, name: str, *args: str, timeout: float = STARTUP_TIMEOUT) -> None:
        """Run a command to completion (e.g. ``airflow db migrate``); fail with its output otherwise."""
        log = self.home / f"{name}.log"
        with log.open("wb") as out:
            result = subprocess.run(
                [str(BIN / "airflow"), *args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        if result.returncode != 0:
            raise AssertionError(f"airflow {' '.join(args)} exited {result.returncode}\n{_tail(log)}")

    def start(self, name: str, *args: str, env: Mapping[str, str] | None = None) -> Process:
        log = self.home / f"{name}.log"
        out = log.open("wb")
        popen = subprocess.Popen(
            [str(BIN / "airflow"), *args],
            env={**self.env, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: stopping it stops its children (task processes)
        )
        out.close()
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def worker_ready(self, name: str) -> bool:
        """Celery logs ``<name>@<host> ready.`` once it consumes from the queue."""
        text = (self.home / f"{name}.log").read_text(encoding="utf-8", errors="replace")
        return any(f"{name}@" in line and " ready." in line for line in text.splitlines())

    def check_alive(self) -> None:
        for process in self.processes:
            if process.popen.poll() is not None:
                raise AssertionError(f"{process.name} exited with {process.popen.returncode}")

    def stop(self, grace: float = 20) -> None:
        """SIGTERM every process group, then SIGKILL what is left after a grace period."""
        for process in self.processes:
            _signal_group(process.popen, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
        for process in self.processes:
            # the group too: a task process may outlive its worker
            _signal_group(process.popen, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(timeout=5)

    def diagnostics(self) -> str:
        parts = [f"--- {p.name} (exit {p.popen.poll()}) ---\n{_tail(p.log)}" for p in self.processes]
        failed_task_logs = sorted(
            path
            for path in (self.home / "logs").rglob("*.log")
            if "task_id=" in str(path) and _looks_failed(path)
        )
        parts += [
            f"--- task log {path.relative_to(self.home)} ---\n{_tail(path)}" for path in failed_task_logs
        ]
        return "\n".join(parts)


def _signal_group(popen: subprocess.Popen, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(popen.pid, sig)


def _tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def _looks_failed(path: Path) -> bool:
    text = path.read_text(encoding="utf-8", errors="replace")
    return "Traceback" in text or '"level":"error"' in text or "ERROR" in text


def _airflow_env(
    home: Path, data_dir: Path, *, metadata_db: str, store_db: str, broker: str, api_port: int
) -> dict[str, str]:
    """The environment every process shares: the compose file's x-airflow-common, on loopback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "DISCLOSURE_"))}
    metadata = f"postgresql+psycopg2://{PG_USER}@{PG_HOST}:{PG_PORT}/{metadata_db}"
    from cryptography.fernet import Fernet

    env.update(
        {
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            # the worker identity module; config/: the warm task parents' airflow_local_settings.py, as the
            # compose file mounts it into $AIRFLOW_HOME/config
            "PYTHONPATH": os.pathsep.join([str(home), str(REPO / "config")]),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
            "AIRFLOW__CELERY__BROKER_URL": broker,
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql+psycopg2://{PG_USER}@{PG_HOST}:{PG_PORT}/{metadata_db}",
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(48),
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            # only the run this test triggers: no scheduled run of the yearly schedule on unpause
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            # log servers on free ports: other Airflow instances may run on this machine
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(_free_port()),
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            # simple auth manager: one admin whose password this test writes (POST /auth/token)
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
            "DISCLOSURE_DATA_DIR": str(data_dir),
            "DISCLOSURE_SECRET_KEY": os.environ["DISCLOSURE_SECRET_KEY"],
            "DISCLOSURE_TEMPLATES_DIR": str(REPO / "templates"),
            "DISCLOSURE_STORE_URL": f"postgresql+psycopg2://{PG_USER}@{PG_HOST}:{PG_PORT}/{store_db}",
        }
    )
    return env


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """Databases, Redis db and the Airflow home; the processes are started by the test and stopped here."""
    _require_servers()
    suffix = f"{os.getpid()}_{secrets.token_hex(3)}"
    metadata_db, store_db = f"disclosure_it_airflow_{suffix}", f"disclosure_it_store_{suffix}"
    home = tmp_path / "airflow"
    home.mkdir()
    (home / "disclosure_it_identity.py").write_text(IDENTITY_MODULE, encoding="utf-8")
    data_dir = tmp_path / "data"
    api_port = _free_port()
    with _databases(metadata_db, store_db), _redis_db() as broker:
        env = _airflow_env(
            home, data_dir, metadata_db=metadata_db, store_db=store_db, broker=broker, api_port=api_port
        )
        running = Cluster(home=home, env=env, api_url=f"http://127.0.0.1:{api_port}")
        try:
            yield running
        finally:
            running.stop()
            leftovers = [p.name for p in running.processes if p.popen.poll() is None]
            assert not leftovers, f"processes still running after stop: {leftovers}"


# --- REST API -----------------------------------------------------------------------------------------


def _wait_for(what: str, probe, cluster: Cluster, timeout: float, interval: float = 2.0):
    """Poll ``probe`` until it returns a truthy value; fail with every log's tail at the deadline."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        cluster.check_alive()
        try:
            result = probe()
        except Exception as exc:  # connection refused while a server starts, 404 while a DAG is parsed
            last_error = exc
        else:
            if result:
                return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last error: {last_error!r})")


def _api(cluster: Cluster, token: str | None = None):
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=cluster.api_url, headers=headers, timeout=30)


def _api_up(cluster: Cluster) -> bool:
    with _api(cluster) as client:
        return client.get("/api/v2/version").status_code == 200


def _token(cluster: Cluster, password: str) -> str:
    with _api(cluster) as client:
        response = client.post("/auth/token", json={"username": "admin", "password": password})
        response.raise_for_status()
        return response.json()["access_token"]


def _task_instances(client, run_id: str) -> list[dict]:
    response = client.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances", params={"limit": 1000})
    response.raise_for_status()
    return response.json()["task_instances"]


def _states(instances: list[dict]) -> dict[str, int]:
    """How many task instances are in each state, per task: ``{"unit.validate=success": 12, ...}``."""
    counts: dict[str, int] = {}
    for ti in instances:
        key = f"{ti['task_id']}={ti['state']}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


# --- the test -----------------------------------------------------------------------------------------


def test_yearly_dag_runs_on_two_celery_workers(cluster: Cluster) -> None:
    try:
        _run_scenario(cluster)
    except Exception as exc:
        pytest.fail(f"{exc}\n\n===== process logs =====\n{cluster.diagnostics()}", pytrace=True)


def _run_scenario(cluster: Cluster) -> None:
    from disclosure.registry import load_registry

    home, env = cluster.home, cluster.env
    data_dir = Path(env["DISCLOSURE_DATA_DIR"])
    units = [unit.code for unit in load_registry().units]
    password = secrets.token_urlsafe(16)
    (home / "passwords.json").write_text(json.dumps({"admin": password}), encoding="utf-8")

    # The sample returns, written by the project's own generator into this year's inbox.
    inbox = data_dir / "inbox" / str(YEAR)
    sample = subprocess.run(
        [str(BIN / "disclosure"), "sample", "--year", str(YEAR), "--out", str(inbox)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert sample.returncode == 0, f"disclosure sample failed:\n{sample.stdout}\n{sample.stderr}"
    assert len(list(inbox.glob("*.xlsx"))) == len(units)

    started = time.monotonic()
    cluster.run("db-migrate", "db", "migrate")
    api_port = cluster.api_url.rsplit(":", 1)[-1]
    cluster.start("api-server", "api-server", "--host", "127.0.0.1", "--port", api_port, "--workers", "1")
    cluster.start("scheduler", "scheduler")
    cluster.start("dag-processor", "dag-processor")
    cluster.start("triggerer", "triggerer")
    for name in WORKERS:
        cluster.start(
            name,
            "celery", "worker",
            "--celery-hostname", f"{name}@%h",
            "--concurrency", "2",
            "--pid", str(home / f"{name}.pid"),
            env={
                "DISCLOSURE_IT_WORKER_NAME": name,
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": "disclosure_it_identity.hostname",
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(_free_port()),
            },
        )  # fmt: skip

    _wait_for("the api-server", lambda: _api_up(cluster), cluster, STARTUP_TIMEOUT)
    token = _token(cluster, password)
    with _api(cluster, token) as client:
        _wait_for(
            f"the DAG {DAG_ID} to be parsed",
            lambda: client.get(f"/api/v2/dags/{DAG_ID}").status_code == 200,
            cluster,
            STARTUP_TIMEOUT,
        )
        # Both workers must be listening before the run, or one may take every unit's task.
        workers_ready = lambda: all(map(cluster.worker_ready, WORKERS))  # noqa: E731
        _wait_for("both Celery workers to be ready", workers_ready, cluster, STARTUP_TIMEOUT)
        ready = time.monotonic()

        response = client.patch(f"/api/v2/dags/{DAG_ID}", json={"is_paused": False})
        assert response.status_code == 200, response.text
        response = client.post(
            f"/api/v2/dags/{DAG_ID}/dagRuns",
            json={
                "logical_date": datetime.now(UTC).isoformat(),
                "conf": {"year": YEAR, "approval": False},
            },
        )
        assert response.status_code == 200, response.text
        run_id = response.json()["dag_run_id"]

        def finished() -> str | None:
            response = client.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}")
            response.raise_for_status()
            state = response.json()["state"]
            return state if state in ("success", "failed") else None

        try:
            state = _wait_for(f"run {run_id} to finish", finished, cluster, RUN_TIMEOUT, interval=3)
        except AssertionError as exc:
            raise AssertionError(
                f"{exc}\ntask instances: {_states(_task_instances(client, run_id))}"
            ) from exc
        done = time.monotonic()
        instances = _task_instances(client, run_id)

    not_ok = [
        f"{ti['task_id']}[{ti['map_index']}]={ti['state']}"
        for ti in instances
        if ti["state"] not in ("success", "skipped")
    ]
    assert state == "success", f"run {run_id} ended {state}; task instances not successful: {not_ok}"

    # Every unit's tasks ran, and they ran on both workers.
    unit_tasks = [ti for ti in instances if ti["task_id"].startswith(UNIT_TASK_PREFIX)]
    accepted = [ti for ti in unit_tasks if ti["task_id"] == f"{UNIT_TASK_PREFIX}accept"]
    assert sorted(ti["map_index"] for ti in accepted) == list(range(len(units)))
    assert all(ti["state"] == "success" for ti in accepted)
    hosts = {ti["hostname"] for ti in unit_tasks if ti["state"] == "success"}
    assert hosts == set(WORKERS), f"unit tasks ran on {hosts}, expected both of {WORKERS}"

    _assert_report_and_store(data_dir, env["DISCLOSURE_STORE_URL"], units)

    durations = [ti["duration"] for ti in unit_tasks if ti["duration"] is not None]
    timings = {
        "startup_s": round(ready - started, 1),
        "run_s": round(done - ready, 1),
        "unit_tasks": len(unit_tasks),
        "unit_task_mean_s": round(sum(durations) / len(durations), 1),
        "unit_task_max_s": round(max(durations), 1),
        "per_worker": {name: sum(ti["hostname"] == name for ti in unit_tasks) for name in WORKERS},
    }
    print(f"celery native timings: {json.dumps(timings)}")  # for the README's deploy section, shown with -s


def _assert_report_and_store(data_dir: Path, store_url: str, units: list[str]) -> None:
    """The report files are in reports/<year>/ and the PostgreSQL store holds the accepted returns and totals."""
    from sqlalchemy import create_engine, text

    from tests.seed_2020 import seed_figures

    reports = data_dir / "reports" / str(YEAR)
    produced = {path.suffix for path in reports.iterdir()} if reports.exists() else set()
    assert {".docx", ".html"} <= produced, f"report files in {reports}: {sorted(produced)}"

    engine = create_engine(store_url)
    try:
        with engine.connect() as connection:
            accepted_units = connection.execute(
                text("SELECT DISTINCT unit FROM submissions WHERE year = :year AND status = 'accepted'"),
                {"year": YEAR},
            ).scalars()
            assert sorted(accepted_units) == sorted(units)
            run = connection.execute(
                text(
                    "SELECT id, is_draft, contributing_units FROM consolidation_runs"
                    " WHERE year = :year ORDER BY id DESC LIMIT 1"
                ),
                {"year": YEAR},
            ).one()
            assert run.is_draft is False
            assert sorted(run.contributing_units.split(",")) == sorted(units)
            totals = connection.execute(
                text("SELECT table_id, row_id, column_id, value FROM totals WHERE run_id = :run"),
                {"run": run.id},
            ).all()
    finally:
        engine.dispose()
    # The sample's units add up to the seed report's figures.
    from decimal import Decimal

    got = {(t.table_id, t.row_id, t.column_id): Decimal(t.value) for t in totals if t.value is not None}
    expected = {key: Decimal(value) for key, value in seed_figures().items()}
    assert got == expected


def test_cleanup_leaves_no_process_or_database(tmp_path: Path) -> None:
    """The harness itself: processes it starts are stopped (with their children) and its databases dropped."""
    _require_servers()
    name = f"disclosure_it_cleanup_{os.getpid()}_{secrets.token_hex(3)}"
    cluster = Cluster(home=tmp_path, env=dict(os.environ), api_url="http://127.0.0.1:1")
    with _databases(name):
        assert _database_exists(name)
        # a parent that ignores SIGTERM and a child: both must be gone after stop()
        script = "import signal,subprocess,time; signal.signal(signal.SIGTERM, signal.SIG_IGN);" \
            "subprocess.Popen(['sleep','300']); time.sleep(300)"  # fmt: skip
        log = tmp_path / "sleeper.log"
        popen = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
        cluster.processes.append(Process("sleeper", popen, log))
        time.sleep(0.5)
        group = popen.pid
        cluster.stop(grace=1)
        assert popen.poll() is not None
        assert _group_gone(group)
    assert not _database_exists(name)


def _database_exists(name: str) -> bool:
    connection = _admin_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            return cursor.fetchone() is not None
    finally:
        connection.close()


def _group_gone(group: int) -> bool:
    """No live process left in the group (a killed orphan may take a moment to be reaped by init)."""
    for _ in range(50):
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False
