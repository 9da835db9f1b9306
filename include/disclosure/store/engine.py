"""Create the store's SQLAlchemy engine from a URL, with the per-backend settings the store relies on."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def make_engine(url: str) -> Engine:
    """An engine for ``url``. SQLite: the folder is created, foreign keys are enforced and writers wait for
    each other (several Airflow tasks may accept returns at the same time). The write-ahead log lets the status
    page read while a task writes, and with ``synchronous=NORMAL`` a commit no longer waits for a disk flush
    (the benchmark's store stage was dominated by those): a crash of the process loses nothing; a power cut may
    lose the last commits, never consistency. The SQLite file must be on a local disk (WAL does not work over
    network shares); several machines share a PostgreSQL store instead."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine
