"""Schema migrations of the report store (Alembic scripts shipped inside the package, run programmatically).

``upgrade(url)`` brings a database to the newest schema; it is what ``Store.upgrade()`` calls and is safe to
run on every start (a database already at head is only checked) and from many processes at once: the migration
runs under a lock (PostgreSQL: an advisory lock; SQLite: an exclusive lock on a file next to the database), and
whoever gets the lock second finds the work done (the DAG's parallel unit tasks may be the first to open a new
store).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Migrate the store at ``url_or_engine`` to ``revision`` (default: the newest), under the migration
    lock; nothing is done when the store is already there."""
    engine, owned = _engine(url_or_engine)
    try:
        target = head_revision() if revision == "head" else revision
        if _already_at(engine, target):
            return
        with migration_lock(engine):
            if current_revision(engine) == target:
                return  # another process migrated while we waited for the lock
            _run(engine, lambda config: command.upgrade(config, revision))
    finally:
        if owned:
            engine.dispose()


def _already_at(engine: Engine, target: str) -> bool:
    """The quick check before the lock. A new SQLite file that another process is creating and migrating can
    answer «database is locked» even to a reader (its first connection switches the file to WAL): then the
    answer comes after the lock, once that process is done."""
    from sqlalchemy.exc import OperationalError

    try:
        return current_revision(engine) == target
    except OperationalError:
        if engine.dialect.name != "sqlite":
            raise
        return False


def migration_lock(engine: Engine) -> contextlib.AbstractContextManager[None]:
    """Only one process migrates a store at a time, on every backend."""
    from disclosure.store.locks import named_lock

    return named_lock(engine, "migrate")


def downgrade(url_or_engine: str | Engine, revision: str) -> None:
    _run(url_or_engine, lambda config: command.downgrade(config, revision))


def current_revision(url_or_engine: str | Engine) -> str | None:
    engine, owned = _engine(url_or_engine)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        if owned:
            engine.dispose()


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _engine(url_or_engine: str | Engine) -> tuple[Engine, bool]:
    if isinstance(url_or_engine, Engine):
        return url_or_engine, False
    from disclosure.store.engine import make_engine

    return make_engine(url_or_engine), True


def _run(url_or_engine: str | Engine, action) -> None:
    engine, owned = _engine(url_or_engine)
    try:
        with engine.begin() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            action(config)
    finally:
        if owned:
            engine.dispose()
