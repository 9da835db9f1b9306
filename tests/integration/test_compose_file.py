"""The distributed deployment's docker-compose.yaml: valid Compose, and the topology the docs promise.

No Docker engine runs here, so the file is checked statically: against the Compose specification's JSON
schema, then for the services, executor, auth manager, secrets and mounts of the CeleryExecutor deployment.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yaml"
SCHEMA_FILE = REPO.parent / "shared" / "reference" / "compose-spec.json"

AIRFLOW_SERVICES = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-worker": "celery worker",
    "airflow-triggerer": "triggerer",
}
MOUNTS = {
    "dags": "/opt/airflow/dags",
    "plugins": "/opt/airflow/plugins",
    "templates": "/opt/airflow/templates",
    "include": "/opt/airflow/include",
    "data": "/opt/airflow/data",
}
SECRET_VARIABLES = (
    "AIRFLOW__CORE__FERNET_KEY",
    "AIRFLOW__API_AUTH__JWT_SECRET",
    "AIRFLOW__API__SECRET_KEY",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "DISCLOSURE_STORE_URL",
    "DISCLOSURE_SECRET_KEY",
)
#: ``${NAME:?message}``: compose refuses to start without the value (no default password in the file)
REQUIRED_VARIABLE = re.compile(r"\$\{[A-Z0-9_]+:\?[^}]*\}")


#: a short-syntax volume: ``source:target`` or ``source:target:mode`` (source may hold ``${VAR:-default}``)
BIND_MOUNT = re.compile(r"^(?P<source>.+?):(?P<target>/[^:]+)(?::(?:ro|rw|z|Z))?$")


def _bind_mount(volume: str) -> tuple[str, str]:
    match = BIND_MOUNT.match(volume)
    assert match, f"not a short-syntax mount: {volume}"
    return match["source"], match["target"]


@pytest.fixture(scope="module")
def compose() -> dict:
    # PyYAML resolves the anchors and merge keys (<<: *airflow-common) the way Compose does.
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def test_file_is_valid_against_the_compose_schema(compose: dict) -> None:
    if not SCHEMA_FILE.exists():
        pytest.skip(f"Compose schema not found at {SCHEMA_FILE}")
    import json

    import jsonschema

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def test_schema_check_rejects_a_broken_file(compose: dict) -> None:
    """The schema check above can fail: an unknown service key is an error."""
    if not SCHEMA_FILE.exists():
        pytest.skip(f"Compose schema not found at {SCHEMA_FILE}")
    import json

    import jsonschema

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    broken = {**compose, "services": {**compose["services"], "redis": {"imagee": "redis:7.2-bookworm"}}}
    with pytest.raises(jsonschema.ValidationError, match="imagee"):
        jsonschema.validate(broken, schema, cls=jsonschema.Draft7Validator)


def test_services_of_the_celery_topology(compose: dict) -> None:
    services = compose["services"]
    for name in ("postgres", "redis", "airflow-init", *AIRFLOW_SERVICES):
        assert name in services, f"service {name} missing"
    for name, command in AIRFLOW_SERVICES.items():
        assert services[name]["command"] == command, name
        assert "healthcheck" in services[name], f"{name} has no health check"
        needs = services[name]["depends_on"]
        assert needs["airflow-init"]["condition"] == "service_completed_successfully", name
        assert needs["postgres"]["condition"] == "service_healthy", name
        assert needs["redis"]["condition"] == "service_healthy", name
    for name in ("postgres", "redis"):
        assert "healthcheck" in services[name], f"{name} has no health check"
    # workers wait for the api-server: tasks talk to it through the execution API
    assert services["airflow-worker"]["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy"
    assert int(services["airflow-worker"]["deploy"]["replicas"].split(":-")[-1].rstrip("}")) >= 2


def test_every_airflow_service_shares_executor_auth_and_secrets(compose: dict) -> None:
    for name in (*AIRFLOW_SERVICES, "airflow-init"):
        service = compose["services"][name]
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert (
            env["AIRFLOW__CORE__AUTH_MANAGER"]
            == "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
        ), name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:") or env[
            "AIRFLOW__CELERY__BROKER_URL"
        ].startswith("redis://:@redis:"), name
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql+psycopg2://"), name
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false", name
        for variable in SECRET_VARIABLES:
            assert REQUIRED_VARIABLE.search(env[variable]), f"{name}: {variable} must come from .env"
        assert service["image"].startswith("${DISCLOSURE_IMAGE"), name
        assert service["build"] == ".", name


def test_report_store_is_its_own_postgres_database(compose: dict) -> None:
    env = compose["services"]["airflow-scheduler"]["environment"]
    airflow_db = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].rsplit("/", 1)[-1]
    store = env["DISCLOSURE_STORE_URL"]
    assert store.startswith("postgresql+psycopg2://disclosure:")
    assert store.rsplit("/", 1)[-1] == "disclosure" != airflow_db
    init_mounts = compose["services"]["postgres"]["volumes"]
    script = next(
        src for src, target in map(_bind_mount, init_mounts) if "/docker-entrypoint-initdb.d/" in target
    )
    text = (REPO / script).read_text(encoding="utf-8")
    assert "CREATE DATABASE disclosure" in text
    assert "DISCLOSURE_DB_PASSWORD" in text


def test_admin_user_comes_from_the_environment(compose: dict) -> None:
    env = compose["services"]["airflow-init"]["environment"]
    assert env["_AIRFLOW_DB_MIGRATE"] == "true"
    assert env["_AIRFLOW_WWW_USER_CREATE"] == "true"
    assert env["_AIRFLOW_WWW_USER_USERNAME"].startswith("${")
    assert REQUIRED_VARIABLE.fullmatch(env["_AIRFLOW_WWW_USER_PASSWORD"])


def test_project_folders_are_mounted_in_every_airflow_service(compose: dict) -> None:
    for name in (*AIRFLOW_SERVICES, "airflow-init"):
        targets = {
            target: source for source, target in map(_bind_mount, compose["services"][name]["volumes"])
        }
        for folder, target in MOUNTS.items():
            assert target in targets, f"{name}: {folder} not mounted at {target}"
            assert folder in targets[target].lower(), f"{name}: {target} mounted from {targets[target]}"
        env = compose["services"][name]["environment"]
        assert env["DISCLOSURE_DATA_DIR"] == MOUNTS["data"]
        assert env["DISCLOSURE_TEMPLATES_DIR"] == MOUNTS["templates"]


def test_no_secret_values_in_the_repository() -> None:
    """Passwords and keys live in .env (ignored); .env.example names them with empty values."""
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    values = dict(
        line.split("=", 1)
        for line in example.splitlines()
        if line and not line.startswith("#") and "=" in line
    )
    for key in (
        "AIRFLOW_ADMIN_PASSWORD",
        "POSTGRES_PASSWORD",
        "DISCLOSURE_DB_PASSWORD",
        "AIRFLOW_FERNET_KEY",
    ):
        assert key in values, f".env.example does not name {key}"
        assert values[key] == "", f".env.example must not hold a value for {key}"
    compose_text = COMPOSE_FILE.read_text(encoding="utf-8")
    literal = re.search(r"^\s*\w*(PASSWORD|SECRET\w*|FERNET_KEY):\s*['\"]?[^$\s'\"].*$", compose_text, re.M)
    assert literal is None, f"a literal secret in docker-compose.yaml: {literal and literal.group(0)}"
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored


def test_dockerfile_builds_on_the_official_image_with_the_locked_dependencies() -> None:
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert "apache/airflow:3.3.2-python3.11" in text
    assert re.search(r"uv export --frozen --no-dev --all-extras", text)
    assert "--require-hashes" in text
    assert re.search(r"pip install .*disclosure-\*\.whl", text)
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in (".env", ".venv", "data", ".git"):
        assert entry in ignored, f".dockerignore must exclude {entry}"


def test_task_parents_are_warmed_in_every_airflow_service(compose: dict) -> None:
    # $AIRFLOW_HOME/config is on Airflow's path: the project's airflow_local_settings.py reaches every container
    # (mounted from the working tree, and copied into the image for use without compose)
    assert (REPO / "config" / "airflow_local_settings.py").is_file()
    for name in AIRFLOW_SERVICES:
        targets = {
            target: source for source, target in map(_bind_mount, compose["services"][name]["volumes"])
        }
        assert targets.get("/opt/airflow/config", "").rstrip("/").endswith("config"), name
        assert compose["services"][name]["environment"].get("DISCLOSURE_PRELOAD") != "0", name
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert "config/airflow_local_settings.py /opt/airflow/config/" in dockerfile


def test_portal_service_runs_the_same_image_on_the_same_store(compose: dict) -> None:
    """The units' portal: same image, data folder, store and secret key as the workers (a submission made
    through it is what the DAG's wait_for_return sees), health-checked, started after the store exists."""
    portal = compose["services"]["portal"]
    worker = compose["services"]["airflow-worker"]
    assert portal["image"] == worker["image"] and portal["build"] == worker["build"]
    assert [*portal["entrypoint"], *portal["command"]] == [
        "disclosure",
        "portal",
        "--host",
        "0.0.0.0",
        "--port",
        "8090",
    ]
    assert "/healthz" in " ".join(portal["healthcheck"]["test"])
    assert portal["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    for variable in (
        "DISCLOSURE_STORE_URL",
        "DISCLOSURE_DATA_DIR",
        "DISCLOSURE_SECRET_KEY",
        "DISCLOSURE_PORTAL_URL",
    ):
        assert portal["environment"][variable] == worker["environment"][variable], variable
    mounts = dict(reversed(_bind_mount(v)) for v in portal["volumes"])
    assert "/opt/airflow/data" in mounts and "/opt/airflow/templates" in mounts
