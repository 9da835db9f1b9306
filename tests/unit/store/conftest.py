"""Store fixtures: a migrated store on SQLite (every run) and on PostgreSQL (marked ``postgres``), and small
factories for received files and figures, so the store is tested without the reader or the validator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from disclosure.figures import Figure, Number
from disclosure.formats import Cell, ColumnKind, FormatSpec
from disclosure.store import Store
from tests.store_backends import empty_store_tables, postgres_database

YEAR = 2021


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


def unit_values(spec: FormatSpec, seed: int) -> dict[Cell, Number]:
    """A consistent-looking set of values for every cell: whole numbers, and 万元 amounts with decimals.
    Different ``seed``s give different values (so sums and deltas are meaningful)."""
    values: dict[Cell, Number] = {}
    for index, cell in enumerate(spec.cells()):
        column = spec.table(cell.table).column(cell.column)
        if column.kind is ColumnKind.AMOUNT:
            values[cell] = Decimal(seed * 100 + index) / Decimal(1000)  # e.g. 3.141 万元: exact, not a float
        else:
            values[cell] = (seed * 7 + index) % 13
    return values


def as_figures(year: int, unit: str, values: dict[Cell, Number | None], spec: FormatSpec) -> list[Figure]:
    """Figures as the reader would give them, with the sheet and a made-up cell per key."""
    return [
        Figure(
            year=year,
            unit=unit,
            table=cell.table,
            row=cell.row,
            column=cell.column,
            value=value,
            sheet=spec.table(cell.table).sheet,
            cell=f"C{index + 5}",
        )
        for index, (cell, value) in enumerate(values.items())
    ]


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
