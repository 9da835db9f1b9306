"""Store fixtures: a migrated store on SQLite (every run) and on PostgreSQL (marked ``postgres``), and small
factories for received files and figures, so the store is tested without the reader or the validator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from disclosure.figures import Number
from disclosure.formats import Cell, FormatSpec
from disclosure.store import Store
from tests.store_backends import empty_store_tables, postgres_database
from tests.unit.store.factories import YEAR, as_figures


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One throw-away PostgreSQL database for the session, migrated once."""
    with postgres_database() as url:
        from disclosure.store.migrations import upgrade

        upgrade(url)
        yield url


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.integration]),
    ]
)
def store(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[Store]:
    """A migrated, empty store whose archive is in the test's data folder."""
    if request.param == "sqlite":
        store = Store.from_url(f"sqlite:///{data_dir / 'store.sqlite'}", archive_dir=data_dir / "archive")
        store.upgrade()
    else:
        url = request.getfixturevalue("postgres_url")
        empty_store_tables(url)
        store = Store.from_url(url, archive_dir=data_dir / "archive")
    yield store
    store.dispose()


@pytest.fixture
def received_file(tmp_path: Path) -> Callable[..., Path]:
    """Write a stand-in for a returned workbook (the store only hashes and copies it)."""

    def make(name: str, content: str) -> Path:
        folder = tmp_path / "inbox"
        folder.mkdir(exist_ok=True)
        path = folder / name
        path.write_bytes(content.encode("utf-8"))
        return path

    return make


@pytest.fixture
def submit(store: Store, received_file, spec2021: FormatSpec) -> Callable[..., int]:
    """Archive, validate (no findings) and accept a return of ``unit`` with ``values``; returns its id."""

    def run(
        unit: str, values: dict[Cell, Number | None], *, name: str | None = None, year: int = YEAR
    ) -> int:
        path = received_file(name or f"{year}_{unit}.xlsx", f"{unit}-{year}-{sorted(values.items())!r}")
        submission = store.archive_file(path, year=year, unit=unit, format_version=spec2021.version)
        store.record_validation(submission.id, [])
        store.accept(submission.id, as_figures(year, unit, values, spec2021))
        return submission.id

    return run
