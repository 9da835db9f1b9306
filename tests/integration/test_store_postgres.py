"""The report store on PostgreSQL: migrations on a fresh database, concurrent accepts of one unit, and the
end-to-end resubmission with real workbooks. The shared store tests (tests/unit/store) also run on PostgreSQL
through their ``store`` fixture's ``postgres`` parameter.

Each test creates its own ``disclosure_test_<random>`` database and drops it; they skip only when the server
(127.0.0.1:5432, or ``DISCLOSURE_TEST_POSTGRES_URL``) cannot be reached.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from disclosure.consolidation import consolidate, provenance
from disclosure.errors import StoreError
from disclosure.formats import Cell, spec_for_year
from disclosure.store import Store
from disclosure.store.migrations import current_revision, downgrade, head_revision, upgrade
from tests.store_backends import STORE_TABLES, postgres_database
from tests.unit.store.factories import as_figures, unit_values

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

YEAR = 2021


@pytest.fixture
def pg_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture
def pg_store(pg_url: str, data_dir: Path) -> Iterator[Store]:
    store = Store.from_url(pg_url, archive_dir=data_dir / "archive")
    store.upgrade()
    yield store
    store.dispose()


def test_migrations_build_and_remove_the_schema(pg_url: str):
    upgrade(pg_url)
    assert current_revision(pg_url) == head_revision()
    engine = create_engine(pg_url)
    try:
        assert set(STORE_TABLES) <= set(inspect(engine).get_table_names())
        indexes = {ix["name"]: ix for ix in inspect(engine).get_indexes("accepted_figures")}
        assert indexes["uq_accepted_figures_current"]["unique"]
        with engine.connect() as conn:  # the uniqueness is partial: history rows are not constrained
            definition = conn.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_accepted_figures_current'")
            ).scalar_one()
        assert "WHERE (superseded_at IS NULL)" in definition
        downgrade(pg_url, "base")
        assert not set(STORE_TABLES) & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_concurrent_accepts_of_one_unit_leave_one_consistent_current_set(pg_store: Store, data_dir, spec2021):
    """Two resubmissions accepted at the same moment: one after the other, never a mix of both."""
    inbox = data_dir / "inbox"
    inbox.mkdir()
    submissions = []
    for seed in (1, 2, 3):
        path = inbox / f"v{seed}.xlsx"
        path.write_text(f"version {seed}")
        submission = pg_store.archive_file(path, year=YEAR, unit="U01")
        pg_store.record_validation(submission.id, [])
        submissions.append((submission.id, seed))
    pg_store.accept(submissions[0][0], as_figures(YEAR, "U01", unit_values(spec2021, 1), spec2021))

    barrier = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def accept(submission_id: int, seed: int) -> None:
        barrier.wait()
        try:
            pg_store.accept(submission_id, as_figures(YEAR, "U01", unit_values(spec2021, seed), spec2021))
            outcomes[seed] = "accepted"
        except StoreError as exc:
            outcomes[seed] = str(exc)

    threads = [threading.Thread(target=accept, args=s) for s in submissions[1:]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    current = pg_store.current_figures(YEAR)["U01"]
    # the newest one is current, whichever order the two transactions ran in
    assert current == unit_values(spec2021, 3)
    assert outcomes[3] == "accepted"
    assert outcomes[2] == "accepted" or "已采用较新的报送" in outcomes[2]
    fee = Cell("t2_8", "fees", "fee_amount")
    history = pg_store.figure_history(YEAR, "U01", fee)
    assert [current_flag for _, _, current_flag in history].count(True) == 1


@pytest.mark.slow
def test_resubmission_end_to_end_on_postgres(pg_store: Store, registry, tmp_path):
    from disclosure.intake import take_in
    from disclosure.workbook.sample import sample_figures, write_sample_returns
    from tests.unit.intake.conftest import write_return

    small = registry.model_copy(update={"units": registry.units[:2]})
    spec = spec_for_year(YEAR)
    first = write_sample_returns(YEAR, tmp_path / "first", small)
    assert all(r.accepted for r in take_in([s.path for s in first], store=pg_store, registry=small))
    before = consolidate(YEAR, pg_store, small, spec)

    fee = Cell("t2_8", "fees", "fee_amount")
    corrected = dict(sample_figures(YEAR, small)["U02"])
    corrected[fee] += Decimal("0.0001")
    fixed = write_return(small, "U02", tmp_path / "second" / "2021_U02_更正.xlsx", corrected)
    [result] = take_in([fixed], store=pg_store, registry=small)
    assert result.accepted

    after = consolidate(YEAR, pg_store, small, spec)
    assert {
        c: after.values[c] - before.values[c] for c in spec.cells() if after.values[c] != before.values[c]
    } == {fee: Decimal("0.0001")}
    assert [s.original_name for s in pg_store.submissions(YEAR, "U02")] == [first[1].path.name, fixed.name]
    entry = next(e for e in provenance(YEAR, fee, pg_store, small, spec).entries if e.unit == "U02")
    assert (entry.file, entry.value) == (fixed.name, corrected[fee])
