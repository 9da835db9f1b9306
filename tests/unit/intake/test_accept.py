"""Accepting through the intake: receive → check → accept, the CLI's road and the DAG's alike. A failing file
loses nothing and changes nothing; accepting the same file again changes nothing; the admin's acceptance by hand
is recorded with who and why."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from disclosure.consolidation import consolidate, provenance
from disclosure.errors import StoreError
from disclosure.formats import Cell, spec_for_year
from disclosure.intake import MANUAL_ACCEPTANCE, accept, accept_by_hand, receive, take_in
from disclosure.registry import Registry
from disclosure.store import Channel, Store, SubmissionStatus
from disclosure.workbook.sample import sample_figures, write_sample_returns
from disclosure.workbook.template import template_layout
from tests.unit.intake.conftest import YEAR, forge, write_return

pytestmark = [pytest.mark.unit, pytest.mark.slow]

LICENSING = Cell("t2_5", "licensing", "decisions")  # no rule ties it to another cell
FEE = Cell("t2_8", "fees", "fee_amount")


@pytest.fixture
def three(registry: Registry) -> Registry:
    return registry.model_copy(update={"units": registry.units[:3]})


def test_resubmission_end_to_end(store: Store, three: Registry, tmp_path: Path):
    spec = spec_for_year(YEAR)
    first = write_sample_returns(YEAR, tmp_path / "first", three)
    results = take_in([s.path for s in first], store=store, registry=three)
    assert [(r.submission.unit, r.accepted, r.findings) for r in results] == [
        (c, True, []) for c in three.codes
    ]
    before = consolidate(YEAR, store, three, spec)
    assert not before.is_draft

    # U02 corrects two figures; U01 sends a file that is not a workbook; U03 sends a return breaking R1.
    corrected = dict(sample_figures(YEAR, three)["U02"])
    corrected[LICENSING] += 4
    corrected[FEE] += Decimal("1.25")
    fixed = write_return(three, "U02", tmp_path / "second" / "2021_U02_更正.xlsx", corrected)
    garbage = tmp_path / "second" / "2021_U01_更正.xlsx"
    garbage.write_bytes(b"this is not a workbook")
    faulty = write_sample_returns(YEAR, tmp_path / "faulty", three, faulty=["U03"])[2]
    assert faulty.fault is not None

    results = take_in([garbage, fixed, faulty.path], store=store, registry=three)
    by_name = {r.submission.original_name: r for r in results}
    assert by_name[fixed.name].accepted and by_name[fixed.name].findings == []
    assert not by_name[garbage.name].accepted and not by_name[garbage.name].usable
    assert not by_name[faulty.path.name].accepted and by_name[faulty.path.name].usable
    assert by_name[faulty.path.name].errors > 0
    assert by_name[garbage.name].status is SubmissionStatus.REJECTED

    after = consolidate(YEAR, store, three, spec)
    deltas = {
        c: after.values[c] - before.values[c] for c in spec.cells() if after.values[c] != before.values[c]
    }
    assert deltas == {LICENSING: 4, FEE: Decimal("1.25")}  # the broken files changed nothing
    assert after.invalid_units == ("U01", "U03") and after.is_draft

    history = store.submissions(YEAR, "U02")
    assert [s.original_name for s in history] == [first[1].path.name, fixed.name]
    assert all(store.archived_path(s).exists() for s in history)
    entry = next(e for e in provenance(YEAR, FEE, store, three, spec).entries if e.unit == "U02")
    assert (entry.file, entry.submission_id, entry.value) == (fixed.name, history[-1].id, corrected[FEE])
    assert (entry.sheet, entry.cell) == template_layout(spec)[FEE]

    # the broken files lost nothing: U01 and U03 keep their first accepted figures
    current = store.current_figures(YEAR)
    for code in ("U01", "U03"):
        assert current[code] == dict(sample_figures(YEAR, three)[code])


def test_accepting_the_same_file_again_changes_nothing(store: Store, three, tmp_path):
    paths = [s.path for s in write_sample_returns(YEAR, tmp_path / "in", three)][:1]
    first = take_in(paths, store=store, registry=three)
    again = take_in(paths, store=store, registry=three)
    assert again[0].accepted and again[0].submission.id == first[0].submission.id
    assert len(store.submissions(YEAR)) == 1
    assert len(store.figure_history(YEAR, "U01", FEE)) == 1


def test_only_a_submission_that_passed_is_accepted(store: Store, three, tmp_path):
    faulty = write_sample_returns(YEAR, tmp_path / "faulty", three, faulty=["U01"])[0]
    [result] = take_in([faulty.path], store=store, registry=three)
    assert result.submission.status is SubmissionStatus.REJECTED
    with pytest.raises(StoreError, match="只有校验通过的报送才能采用"):
        accept(result.id, store=store)
    assert store.current_figures(YEAR) == {}


def test_the_admin_accepts_a_foreign_file_by_hand_for_one_unit(store: Store, registry, tmp_path):
    five = registry.model_copy(update={"units": registry.units[:5]})
    u03 = write_return(five, "U03", tmp_path / "u03.xlsx")
    u05 = five.unit("U05")
    foreign = forge(u03, tmp_path / "u05.xlsx", unit_code="U05", unit_name=u05.name)
    submission = receive(foreign, channel=Channel.MANUAL, store=store, registry=five)

    result = accept_by_hand(
        submission.id,
        unit="U05",
        reason="邮件确认：U05 借用了 U03 的模板",
        actor="admin",
        store=store,
        registry=five,
    )
    assert result.accepted and result.submission.status is SubmissionStatus.ACCEPTED
    assert result.submission.unit == "U05"
    assert set(store.current_figures(YEAR)) == {"U05"}
    [event] = store.events(unit="U05")
    assert (event.actor, event.action, event.submission_id) == ("admin", MANUAL_ACCEPTANCE, submission.id)
    assert event.detail["reason"] == "邮件确认：U05 借用了 U03 的模板"
    assert event.detail["claimed_unit"] == "U05"


@pytest.mark.parametrize(
    ("unit", "reason", "message"), [("U99", "理由", "不在名册中"), ("U01", "  ", "须说明理由")]
)
def test_acceptance_by_hand_needs_a_known_unit_and_a_reason(
    store: Store, three, tmp_path, unit, reason, message
):
    path = write_return(three, "U01", tmp_path / "u01.xlsx")
    submission = receive(path, channel=Channel.MANUAL, store=store, registry=three)
    with pytest.raises(StoreError, match=message):
        accept_by_hand(submission.id, unit=unit, reason=reason, actor="admin", store=store, registry=three)
    assert store.events() == []


def test_bureau_totals_are_checked_with_the_units_rules(store: Store, three, spec2021):
    """A sum of returns that break R1/R3/R4/R5 breaks them too: the totals' own validation says so."""
    from disclosure.consolidation import validate_totals
    from tests.unit.store.factories import as_figures, unit_values

    for seed, code in enumerate(three.codes, start=1):
        submission = store.archive_file(_stub(store, code), year=YEAR, unit=code)
        store.record_validation(submission.id, [])
        store.accept(submission.id, as_figures(YEAR, code, unit_values(spec2021, seed), spec2021))
    totals = consolidate(YEAR, store, three, spec2021)
    findings, _ = validate_totals(totals, store, three, spec2021)
    assert {f.rule for f in findings if f.is_error} == {"R1", "R3", "R4", "R5"}
    assert {f.unit for f in findings} == {three.bureau.code}


def _stub(store: Store, code: str) -> Path:
    path = store.archive_dir.parent / f"{code}.xlsx"
    path.write_text(code)
    return path
