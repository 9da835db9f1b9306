"""Named locks across processes and machines sharing one store: PostgreSQL advisory locks; for SQLite (one
machine), an exclusive lock on a file next to the database. Used for the schema migration and for receiving
the inbox, so parallel tasks do one piece of work once instead of racing."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url


def _key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (PostgreSQL's advisory lock space)."""
    return int.from_bytes(hashlib.sha256(f"disclosure:{name}".encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def named_lock(engine: Engine, name: str) -> Iterator[None]:
    """Hold the lock ``name`` on the store behind ``engine`` for the block (waits for it)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _key(name)})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _key(name)})
                conn.commit()
        return
    database = make_url(str(engine.url)).database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    path = Path(database).expanduser()
    lock_path = path.with_name(f"{path.name}.{name}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
