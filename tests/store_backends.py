"""Store backends for tests: a SQLite file in the test's data folder, or a throw-away PostgreSQL database.

PostgreSQL: ``DISCLOSURE_TEST_POSTGRES_URL`` (default ``postgresql+psycopg2://postgres@127.0.0.1:5432/postgres``)
names the server; each session creates ``disclosure_test_<random>`` and drops it at the end. Tests skip only
when the server cannot be reached.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

DEFAULT_POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"

#: Tables of the store, children first (for emptying a database between tests).
STORE_TABLES = (
    "audit_events",
    "submission_readings",
    "inbox_files",
    "findings",
    "validation_runs",
    "totals",
    "accepted_figures",
    "submissions",
    "consolidation_runs",
)


def postgres_server_url() -> str:
    return os.environ.get("DISCLOSURE_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL


@contextmanager
def postgres_database() -> Iterator[str]:
    """Create a fresh, empty database on the test server; yield its URL; drop it afterwards."""
    server = make_url(postgres_server_url())
    admin = create_engine(server, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(
            f"PostgreSQL server not reachable at {server.render_as_string(hide_password=True)}: {exc}"
        )
    name = f"disclosure_test_{secrets.token_hex(6)}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def empty_store_tables(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(STORE_TABLES)} RESTART IDENTITY CASCADE"))
    engine.dispose()
