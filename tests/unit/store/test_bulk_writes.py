"""Batch writes for chunks of units (``Store.record_validations``, ``Store.accept_many``): the same stored
result as one by one (figures, history, provenance, findings, states), idempotent, and all or nothing: a bad
item mid-batch is named and leaves the store exactly as it was (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from disclosure.errors import StoreError
from disclosure.figures import Figure
from disclosure.formats import Cell, Severity
from disclosure.store import Store, SubmissionStatus, ValidationOutcome
from disclosure.validation.findings import Finding
from tests.unit.store.factories import YEAR, as_figures, unit_values

pytestmark = pytest.mark.unit

NEW_NATURAL = Cell("t3", "new", "natural")
ERROR = Finding(
    rule="R1",
    severity=Severity.ERROR,
    message="本年新收加上年结转应等于总计加结转下年",
    sheet="三",
    cell="C7",
)
WARNING = Finding(rule="X2", severity=Severity.WARNING, message="现行有效件数不衔接", justified=True)


@pytest.fixture
def passed(store: Store, received_file):
    """Archive and pass a return of ``unit`` (content ``tag``); returns its submission id."""

    def make(unit: str, tag: str, *, year: int = YEAR) -> int:
        submission = store.archive_file(received_file(f"{year}_{unit}_{tag}.xlsx", tag), year=year, unit=unit)
        store.record_validation(submission.id, [])
        return submission.id

    return make


def stored_state(store: Store, year: int, spec) -> dict:
    """Everything accepting wrote for a year, without ids or clocks: figures with their cells, each figure's
    history, provenance and the submissions' states."""
    names = {s.id: s.original_name.split("_", 1)[1] for s in store.submissions(year)}
    records = sorted((f.unit, f.key, f.value, f.sheet, f.cell) for f in store.current_figure_records(year))
    units = sorted({s.unit for s in store.submissions(year)})
    history = {
        (unit, cell): [
            (names[i], value, current) for i, value, current in store.figure_history(year, unit, cell)
        ]
        for unit in units
        for cell in [*list(spec.cells())[:5], NEW_NATURAL]
    }
    provenance = [
        (e.unit, e.value, e.file.split("_", 1)[1], e.sheet, e.cell)
        for e in store.provenance(year, *NEW_NATURAL)
    ]
    states = sorted((names[s.id], s.status) for s in store.submissions(year))
    return {"records": records, "history": history, "provenance": provenance, "states": states}


def test_a_batch_stores_what_one_by_one_stores(store: Store, passed, spec2021):
    """U01 twice (a resubmission) and U02: one by one in one year, as one batch in the next."""
    plan = [("U01", "first", 1), ("U02", "only", 2), ("U01", "second", 3)]
    for unit, tag, seed in plan:
        store.accept(passed(unit, tag), as_figures(YEAR, unit, unit_values(spec2021, seed), spec2021))
    batch = [(passed(unit, tag, year=YEAR + 1), unit, seed) for unit, tag, seed in plan]
    counts = store.accept_many(
        [(i, as_figures(YEAR + 1, unit, unit_values(spec2021, seed), spec2021)) for i, unit, seed in batch]
    )
    assert counts == [len(list(spec2021.cells()))] * 3
    assert stored_state(store, YEAR + 1, spec2021) == stored_state(store, YEAR, spec2021)
    assert store.current_figures(YEAR + 1)["U01"] == unit_values(spec2021, 3)
    assert store.current_submission_ids(YEAR + 1) == {"U01": batch[2][0], "U02": batch[1][0]}


def test_accepting_a_batch_again_changes_nothing(store: Store, passed, spec2021):
    ids = [passed("U01", "a"), passed("U02", "b")]
    items = [(ids[0], as_figures(YEAR, "U01", unit_values(spec2021, 1), spec2021))]
    items.append((ids[1], as_figures(YEAR, "U02", unit_values(spec2021, 2), spec2021)))
    store.accept_many(items)
    before = stored_state(store, YEAR, spec2021)
    assert store.accept_many(items + items[:1]) == [len(list(spec2021.cells()))] * 3
    assert stored_state(store, YEAR, spec2021) == before
    assert len(store.figure_history(YEAR, "U01", NEW_NATURAL)) == 1


@pytest.mark.parametrize("bad", ["rejected", "float", "foreign", "unknown", "older"])
def test_a_bad_item_mid_batch_is_named_and_nothing_is_stored(store: Store, passed, spec2021, bad):
    old_u03 = passed("U03", "old")
    store.accept(passed("U01", "kept"), as_figures(YEAR, "U01", unit_values(spec2021, 1), spec2021))
    good, newer_u03, target = passed("U01", "new"), passed("U03", "newer"), passed("U02", "bad")
    figures = as_figures(YEAR, "U02", unit_values(spec2021, 2), spec2021)
    message = f"报送 #{target}"
    if bad == "rejected":
        store.record_validation(target, [ERROR])
        message += r"（.*）状态为“校验未通过”"
    elif bad == "float":
        figures[-1] = replace(figures[-1], value=1.5)
    elif bad == "foreign":
        figures[0] = replace(figures[0], unit="U09")
        message += r" 属于 U02 2021 年"
    elif bad == "unknown":
        target, message = 999_999, "报送记录 #999999 不存在"
    elif bad == "older":  # older than the U03 return accepted earlier in the same batch
        target, figures = old_u03, as_figures(YEAR, "U03", unit_values(spec2021, 3), spec2021)
        message = f"已采用较新的报送 #{newer_u03}.*不能再采用较早的报送 #{old_u03}"
    before = stored_state(store, YEAR, spec2021)
    items = [
        (good, as_figures(YEAR, "U01", unit_values(spec2021, 4), spec2021)),
        (newer_u03, as_figures(YEAR, "U03", unit_values(spec2021, 5), spec2021)),
        (target, figures),
    ]
    with pytest.raises(TypeError if bad == "float" else StoreError, match=message) as raised:
        store.accept_many(items)
    if bad != "unknown":  # an unknown id is found before any item is looked at
        assert "本批 3 份报送均未采用" in "".join(getattr(raised.value, "__notes__", []))
    assert stored_state(store, YEAR, spec2021) == before
    assert store.current_figures(YEAR) == {"U01": unit_values(spec2021, 1)}
    assert store.submission(good).status is SubmissionStatus.PASSED


def test_figures_with_tabs_backslashes_and_newlines_come_back_exactly(store: Store, passed, spec2021):
    """PostgreSQL writes figures with COPY: its text format's special characters are escaped."""
    figures = as_figures(YEAR, "U01", unit_values(spec2021, 1), spec2021)
    odd = ["表\t三", "C:\\二", "行\n列", "\\N", "回车\r"]
    figures = [replace(f, sheet=odd[i % len(odd)]) for i, f in enumerate(figures)]
    figures[0] = replace(figures[0], value=None, cell=None)
    store.accept_many([(passed("U01", "odd"), figures)])
    assert sorted(store.current_figure_records(YEAR), key=lambda f: f.key) == sorted(
        (Figure(YEAR, "U01", f.table, f.row, f.column, f.value, f.sheet, f.cell) for f in figures),
        key=lambda f: f.key,
    )


def test_validations_in_a_batch_are_recorded_as_one_by_one(store: Store, received_file):
    outcomes = [
        ValidationOutcome(0, (), data_docs="docs/index.html", signature_verified=True),
        ValidationOutcome(0, (ERROR,), data_docs="docs/index.html", signature_verified=True),
        ValidationOutcome(0, (WARNING,), signature_verified=True),
        ValidationOutcome(0, (ERROR,), signature_verified=False, refused=True),
    ]

    def recorded(year: int, batch: bool) -> list:
        ids = [
            store.archive_file(received_file(f"{year}_{i}.xlsx", f"{year}-{i}"), year=year, unit=f"U0{i}").id
            for i in range(1, len(outcomes) + 1)
        ]
        mine = [replace(o, submission_id=i) for o, i in zip(outcomes, ids, strict=True)]
        if batch:
            summaries = store.record_validations(mine)
        else:
            summaries = [
                store.refuse(o.submission_id, o.findings, signature_verified=o.signature_verified)
                if o.refused
                else store.record_validation(
                    o.submission_id, o.findings, o.data_docs, signature_verified=o.signature_verified
                )
                for o in mine
            ]
        stored = [store.latest_validation(i) for i in ids]
        assert [s.run_id for s in summaries] == [s.run_id for s in stored]
        assert [replace(s, run_id=0, started_at=None) for s in summaries] == [
            replace(s, run_id=0, started_at=None) for s in stored
        ]
        subs = store.submissions_by_id(ids)
        return [
            (s.status, s.signature_verified, v.errors, v.warnings, v.data_docs, v.findings)
            for s, v in zip(subs, stored, strict=True)
        ]

    one_by_one = recorded(YEAR, batch=False)
    assert [row[0] for row in one_by_one] == [
        SubmissionStatus.PASSED,
        SubmissionStatus.REJECTED,
        SubmissionStatus.PASSED,
        SubmissionStatus.REFUSED,
    ]
    assert recorded(YEAR + 1, batch=True) == one_by_one


def test_revalidating_an_accepted_submission_in_a_batch_keeps_it_accepted(store: Store, passed, spec2021):
    accepted = passed("U01", "a")
    store.accept(accepted, as_figures(YEAR, "U01", unit_values(spec2021, 1), spec2021))
    other = passed("U02", "b")
    store.record_validations([ValidationOutcome(accepted, (ERROR,)), ValidationOutcome(other, (ERROR,))])
    assert store.submission(accepted).status is SubmissionStatus.ACCEPTED
    assert store.submission(other).status is SubmissionStatus.REJECTED
    assert store.latest_validation(accepted).errors == 1


@pytest.mark.parametrize(
    ("bad", "message"),
    [({"rule": "R1", "severity": "fatal", "message": "?"}, "未知的问题级别 'fatal'"), (None, "不存在")],
)
def test_a_bad_validation_mid_batch_records_nothing(store: Store, received_file, bad, message):
    first = store.archive_file(received_file("a.xlsx", "a"), year=YEAR, unit="U01").id
    second = store.archive_file(received_file("b.xlsx", "b"), year=YEAR, unit="U02").id
    last = ValidationOutcome(second, (bad,)) if bad is not None else ValidationOutcome(999_999)
    with pytest.raises(StoreError, match=message):
        store.record_validations([ValidationOutcome(first, ()), last])
    assert [s.status for s in store.submissions_by_id([first, second])] == [SubmissionStatus.RECEIVED] * 2
    assert store.latest_validation(first) is None and store.latest_validation(second) is None


def test_submissions_by_id_keeps_the_order_asked_and_names_unknown_ones(store: Store, passed):
    ids = [passed("U01", "a"), passed("U02", "b")]
    assert [s.id for s in store.submissions_by_id([ids[1], ids[0], ids[1]])] == [ids[1], ids[0], ids[1]]
    with pytest.raises(StoreError, match="报送记录 #999998、#999999 不存在"):
        store.submissions_by_id([ids[0], 999_998, 999_999])


def test_bulk_timestamps_are_stored_as_the_store_stores_every_timestamp(store: Store, passed, spec2021):
    """The figures' ``accepted_at`` is bound once per batch (not per row): stored exactly as SQLAlchemy stores a
    timestamp anywhere else, here the submission's ``status_changed_at`` written in the same transaction."""
    from sqlalchemy import text

    submission_id = passed("U01", "a")
    store.accept_many([(submission_id, as_figures(YEAR, "U01", unit_values(spec2021, 1), spec2021))])
    with store.engine.connect() as conn:
        stamps = conn.execute(
            text("SELECT DISTINCT CAST(accepted_at AS TEXT) FROM accepted_figures WHERE submission_id = :i"),
            {"i": submission_id},
        ).scalars()
        changed = conn.execute(
            text("SELECT CAST(status_changed_at AS TEXT) FROM submissions WHERE id = :i"),
            {"i": submission_id},
        ).scalar_one()
    assert list(stamps) == [changed]


def test_a_batch_larger_than_one_insert_page_stores_every_figure(store: Store, passed, spec2021):
    """More figures than one multi-row INSERT holds (SQLite pages them): every unit's figures, none twice."""
    units = [f"U{i:02d}" for i in range(1, 8)]
    items = [
        (passed(u, "a"), as_figures(YEAR, u, unit_values(spec2021, n), spec2021)) for n, u in enumerate(units)
    ]
    assert sum(len(figures) for _, figures in items) > store.engine.dialect.insertmanyvalues_page_size
    store.accept_many(items)
    assert store.current_figures(YEAR) == {u: unit_values(spec2021, n) for n, u in enumerate(units)}
    assert len(store.current_figure_records(YEAR)) == sum(len(figures) for _, figures in items)
