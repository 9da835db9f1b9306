"""Accepting real workbooks: archive → read → validate (Great Expectations) → accept, file by file.

The end-to-end resubmission test: a unit resubmits a corrected return; the bureau totals change by exactly its
delta; the old submission is kept; provenance shows the new file and cell. Broken files in the same batch lose
nothing. Sample workbooks come from the project's own template writer and sample generator.
"""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

import pytest

from disclosure.consolidation import consolidate, provenance
from disclosure.formats import Cell, spec_for_year
from disclosure.intake import accept_files
from disclosure.registry import Registry
from disclosure.store import Store, SubmissionStatus
from disclosure.workbook.sample import sample_figures, write_sample_returns
from disclosure.workbook.template import fill_workbook, template_layout, write_template

pytestmark = [pytest.mark.unit, pytest.mark.slow]

YEAR = 2021
LICENSING = Cell("t2_5", "licensing", "decisions")  # no rule ties it to another cell
FEE = Cell("t2_8", "fees", "fee_amount")


@pytest.fixture
def small_registry(registry: Registry) -> Registry:
    return registry.model_copy(update={"units": registry.units[:3]})


@pytest.fixture
def sqlite_store(data_dir: Path):
    store = Store.from_url(f"sqlite:///{data_dir / 'store.sqlite'}", archive_dir=data_dir / "archive")
    store.upgrade()
    yield store
    store.dispose()


def write_return(registry: Registry, code: str, values, path: Path) -> Path:
    spec = spec_for_year(YEAR)
    unit = next(u for u in registry.units if u.code == code)
    with tempfile.TemporaryDirectory() as tmp:
        template = write_template(spec, YEAR, unit.code, unit.name, Path(tmp) / "t.xlsx")
        return fill_workbook(template, path, values, contact=unit.contact, phone=unit.phone)


def test_resubmission_end_to_end(sqlite_store: Store, small_registry: Registry, tmp_path: Path):
    spec = spec_for_year(YEAR)
    first = write_sample_returns(YEAR, tmp_path / "first", small_registry)
    results = accept_files([s.path for s in first], sqlite_store, small_registry)
    assert [(r.unit, r.accepted, r.findings) for r in results] == [
        (c, True, []) for c in small_registry.codes
    ]
    before = consolidate(YEAR, sqlite_store, small_registry, spec)
    assert not before.is_draft

    # U02 corrects two figures; U01 sends a file that is not a workbook; U03 sends a return breaking R1.
    corrected = dict(sample_figures(YEAR, small_registry)["U02"])
    corrected[LICENSING] += 4
    corrected[FEE] += Decimal("1.25")
    fixed = write_return(small_registry, "U02", corrected, tmp_path / "second" / "2021_U02_更正.xlsx")
    garbage = tmp_path / "second" / "2021_U01_更正.xlsx"
    garbage.write_bytes(b"this is not a workbook")
    faulty = write_sample_returns(YEAR, tmp_path / "faulty", small_registry, faulty=["U03"])[2]
    assert faulty.fault is not None

    results = accept_files([garbage, fixed, faulty.path], sqlite_store, small_registry)
    by_name = {r.path.name: r for r in results}
    assert by_name[fixed.name].accepted and by_name[fixed.name].findings == []
    assert not by_name[garbage.name].accepted and not by_name[garbage.name].usable
    assert not by_name[faulty.path.name].accepted and by_name[faulty.path.name].usable
    assert by_name[faulty.path.name].errors > 0
    assert by_name[garbage.name].status is SubmissionStatus.REJECTED

    after = consolidate(YEAR, sqlite_store, small_registry, spec)
    deltas = {
        c: after.values[c] - before.values[c] for c in spec.cells() if after.values[c] != before.values[c]
    }
    assert deltas == {LICENSING: 4, FEE: Decimal("1.25")}  # the broken files changed nothing
    assert after.invalid_units == ("U01", "U03") and after.is_draft

    history = sqlite_store.submissions(YEAR, "U02")
    assert [s.original_name for s in history] == [first[1].path.name, fixed.name]
    assert all(sqlite_store.archived_path(s).exists() for s in history)
    entry = next(
        e for e in provenance(YEAR, FEE, sqlite_store, small_registry, spec).entries if e.unit == "U02"
    )
    assert (entry.file, entry.submission_id, entry.value) == (fixed.name, history[-1].id, corrected[FEE])
    assert (entry.sheet, entry.cell) == template_layout(spec)[FEE]

    # the broken files lost nothing: U01 and U03 keep their first accepted figures
    current = sqlite_store.current_figures(YEAR)
    for code in ("U01", "U03"):
        assert current[code] == dict(sample_figures(YEAR, small_registry)[code])


def test_accepting_the_same_file_again_changes_nothing(sqlite_store: Store, small_registry, tmp_path):
    paths = [s.path for s in write_sample_returns(YEAR, tmp_path / "in", small_registry)][:1]
    first = accept_files(paths, sqlite_store, small_registry)
    again = accept_files(paths, sqlite_store, small_registry)
    assert again[0].accepted and again[0].submission.id == first[0].submission.id
    assert len(sqlite_store.submissions(YEAR)) == 1
    assert len(sqlite_store.figure_history(YEAR, "U01", FEE)) == 1


@pytest.mark.parametrize(
    ("expected_unit", "expected_year", "message"),
    [("U02", None, "此文件属于单位“U01”，不是“U02”"), (None, YEAR + 1, "报告年度为 2021 年，应为 2022 年")],
)
def test_a_file_that_is_not_the_expected_return_is_refused(
    sqlite_store: Store, small_registry, tmp_path, expected_unit, expected_year, message
):
    path = write_sample_returns(YEAR, tmp_path / "in", small_registry)[0].path
    [result] = accept_files(
        [path], sqlite_store, small_registry, expected_unit=expected_unit, expected_year=expected_year
    )
    assert not result.accepted and result.status is SubmissionStatus.REJECTED
    assert any(message in f.message for f in result.findings)
    assert sqlite_store.current_figures(YEAR) == {}


def test_a_unit_outside_the_registry_is_refused(sqlite_store: Store, registry, small_registry, tmp_path):
    only_u05 = registry.model_copy(update={"units": (registry.unit("U05"),)})  # not in the small registry
    path = write_sample_returns(YEAR, tmp_path / "in", only_u05)[0].path
    [result] = accept_files([path], sqlite_store, small_registry)
    assert not result.accepted
    assert any("不在本年度报送单位名册中" in f.message for f in result.findings)


def test_a_missing_file_is_reported_not_raised(sqlite_store: Store, small_registry, tmp_path):
    [result] = accept_files([tmp_path / "nowhere.xlsx"], sqlite_store, small_registry)
    assert not result.usable and not result.accepted and result.submission is None
    assert result.findings


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("2021_U01_更正.xlsx", ("U01", 2021)),
        ("U05 水文环境地质调查院 2022.xls", ("U05", 2022)),
        ("scan.pdf", (None, None)),
        ("U01_U02_2021.xlsx", (None, 2021)),  # two units: no guess
        ("U0123.xlsx", (None, None)),
    ],
)
def test_an_unreadable_files_unit_is_guessed_from_its_name(registry, name, expected):
    from disclosure.intake import guess_identity

    assert guess_identity(Path(name), registry) == expected


def test_bureau_totals_are_checked_with_the_units_rules(sqlite_store: Store, small_registry, spec2021):
    """A sum of returns that break R1/R3/R4/R5 breaks them too: the totals' own validation says so."""
    from disclosure.consolidation import validate_totals
    from tests.unit.store.factories import as_figures, unit_values

    for seed, code in enumerate(small_registry.codes, start=1):
        submission = sqlite_store.archive_file(_stub(sqlite_store, code), year=YEAR, unit=code)
        sqlite_store.record_validation(submission.id, [])
        sqlite_store.accept(submission.id, as_figures(YEAR, code, unit_values(spec2021, seed), spec2021))
    totals = consolidate(YEAR, sqlite_store, small_registry, spec2021)
    findings, _ = validate_totals(totals, sqlite_store, small_registry, spec2021)
    assert {f.rule for f in findings if f.is_error} == {"R1", "R3", "R4", "R5"}
    assert {f.unit for f in findings} == {small_registry.bureau.code}


def _stub(store: Store, code: str) -> Path:
    path = store.archive_dir.parent / f"{code}.xlsx"
    path.write_text(code)
    return path
