"""Every change to a total shown: after a unit's new accepted return replaces its old one, the changes between
consolidation runs list exactly the totals that moved, from what to what, and which unit moved them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from disclosure.consolidation import consolidate
from disclosure.formats import Cell
from disclosure.store import Store
from disclosure.total_changes import ADDED, CORRECTED, cell_changes, latest_changes, total_changes
from tests.unit.store.factories import YEAR, unit_values

pytestmark = pytest.mark.unit

NEW_NATURAL = Cell("t3", "new", "natural")
FEE = Cell("t2_8", "fees", "fee_amount")


def save(store, registry, spec) -> int:
    return consolidate(YEAR, store, registry, spec).save(store)


def test_a_resubmission_records_exactly_the_totals_that_moved(store: Store, submit, spec2021, registry):
    values = {code: unit_values(spec2021, seed) for seed, code in enumerate(registry.codes, start=1)}
    for code, figures in values.items():
        submit(code, figures)
    first = save(store, registry, spec2021)
    assert total_changes(YEAR, store, registry, spec2021) == []  # the year's first run changed nothing

    before_fee = consolidate(YEAR, store, registry, spec2021).values[FEE]
    before_new = consolidate(YEAR, store, registry, spec2021).values[NEW_NATURAL]
    corrected = dict(values["U07"])
    corrected[FEE] = values["U07"][FEE] + Decimal("-0.5")
    corrected[NEW_NATURAL] = values["U07"][NEW_NATURAL] + 3
    submit("U07", corrected, name="2021_U07_更正.xlsx")
    second = save(store, registry, spec2021)

    changes = total_changes(YEAR, store, registry, spec2021)
    assert [c.cell for c in changes] == [c for c in spec2021.cells() if c in {FEE, NEW_NATURAL}]
    by_cell = {c.cell: c for c in changes}
    fee = by_cell[FEE]
    assert (fee.before, fee.after) == (before_fee, before_fee - Decimal("0.5"))
    assert [(u.unit, u.kind, u.before, u.after) for u in fee.units] == [
        ("U07", CORRECTED, values["U07"][FEE], corrected[FEE])
    ]
    assert (fee.from_run, fee.to_run) == (first, second)
    assert fee.message == (
        f"U07 更正：第二表（第二十条第（八）项）（行政事业性收费·本年收费金额（单位：万元））"
        f" {before_fee.normalize():f} → {(before_fee - Decimal('0.5')).normalize():f} 万元"
    )
    assert by_cell[NEW_NATURAL].message.endswith(f"{before_new} → {before_new + 3}")

    # A re-run with nothing new changes nothing, and the earlier change stays on record for its run.
    save(store, registry, spec2021)
    assert total_changes(YEAR, store, registry, spec2021) == []
    assert [c.cell for c in total_changes(YEAR, store, registry, spec2021, run_id=second)] == [
        c.cell for c in changes
    ]
    assert [c.message for c in cell_changes(YEAR, FEE, store, registry, spec2021)] == [fee.message]
    # The status page and the admin's email show the newest run that changed anything.
    assert [c.message for c in latest_changes(YEAR, store, registry)] == [c.message for c in changes]
    from disclosure.settings import Settings
    from disclosure.status import year_summary

    view = year_summary(YEAR, store=store, registry=registry, settings=Settings.from_env(), spec=spec2021)
    assert view.totals is not None and view.totals.changes == tuple(c.message for c in changes)


def test_a_late_return_is_shown_as_added(store: Store, submit, spec2021, registry):
    codes = registry.codes
    for seed, code in enumerate(codes[1:], start=2):
        submit(code, unit_values(spec2021, seed))
    draft = save(store, registry, spec2021)
    submit(codes[0], unit_values(spec2021, 1))
    save(store, registry, spec2021)
    changes = total_changes(YEAR, store, registry, spec2021, since_run_id=draft)
    moved = {c for c in spec2021.cells() if unit_values(spec2021, 1)[c] != 0}
    assert {c.cell for c in changes} == moved
    assert all([(u.unit, u.kind, u.before) for u in c.units] == [(codes[0], ADDED, None)] for c in changes)
