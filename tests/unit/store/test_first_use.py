"""Opening a new store from several processes at the same moment: the migration runs once, under a lock, and
every process gets a store at the newest revision (the DAG's parallel unit tasks on a new store)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from tests.store_backends import postgres_database

PROCESSES = 2


def _open(url: str, archive: str, barrier, results) -> None:
    from disclosure.store import Store
    from disclosure.store.migrations import current_revision, head_revision

    barrier.wait(timeout=60)  # both processes start migrating at the same moment
    try:
        store = Store.from_url(url, archive_dir=Path(archive))
        store.upgrade()
        results.put(("ok", current_revision(store.engine) == head_revision()))
        store.dispose()
    except Exception as exc:  # reported to the test, which fails with it
        results.put(("error", f"{type(exc).__name__}: {exc}"))


def _open_together(url: str, archive: Path) -> list[tuple[str, object]]:
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(target=_open, args=(url, str(archive), barrier, results)) for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    return outcomes


@pytest.mark.unit
def test_two_processes_open_a_new_sqlite_store_at_once(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'new' / 'store.sqlite'}"
    assert _open_together(url, tmp_path / "archive") == [("ok", True)] * PROCESSES


@pytest.mark.integration
@pytest.mark.postgres
def test_two_processes_open_a_new_postgresql_database_at_once(tmp_path: Path):
    with postgres_database() as url:
        assert _open_together(url, tmp_path / "archive") == [("ok", True)] * PROCESSES


@pytest.mark.unit
def test_the_lock_is_what_makes_it_safe(tmp_path: Path, monkeypatch):
    """Without the lock (and the re-check behind it) the same start races: the test above can fail."""
    import contextlib

    import disclosure.store.migrations as migrations

    monkeypatch.setattr(migrations, "migration_lock", lambda engine: contextlib.nullcontext())
    monkeypatch.setattr(migrations, "current_revision", lambda engine: None)
    url = f"sqlite:///{tmp_path / 'race' / 'store.sqlite'}"
    outcomes: list[tuple[str, object]] = []
    for attempt in range(10):  # a race: usually lost on the first attempt, almost surely within ten
        outcomes += _open_together(url.replace("race", f"race{attempt}"), tmp_path / "archive")
        if any(status == "error" for status, _ in outcomes):
            break
    assert any(status == "error" for status, _ in outcomes)
