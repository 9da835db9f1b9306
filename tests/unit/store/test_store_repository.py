"""The report store: archive, states, acceptance with history, status and provenance (SQLite and PostgreSQL)."""

from __future__ import annotations

import stat
from dataclasses import replace
from decimal import Decimal

import pytest

from disclosure.errors import Problem, StoreError
from disclosure.formats import Cell, Severity
from disclosure.status import unit_summaries
from disclosure.store import Store, SubmissionStatus
from disclosure.store.migrations import current_revision, head_revision
from disclosure.validation.findings import Finding
from tests.unit.store.factories import YEAR, as_figures, unit_values

pytestmark = pytest.mark.unit

NEW_NATURAL = Cell("t3", "new", "natural")


def error_finding(rule: str = "R1") -> Finding:
    return Finding(
        rule=rule,
        severity=Severity.ERROR,
        message="本年新收加上年结转应等于总计加结转下年",
        sheet="三",
        cell="C7",
    )


def test_upgrade_brings_the_schema_to_head_and_is_idempotent(store: Store):
    store.upgrade()  # a second run on a migrated database changes nothing
    assert current_revision(store.engine) == head_revision()


def test_archive_copies_the_file_under_its_hash_read_only(store: Store, received_file):
    path = received_file("2021_U01.xlsx", "return of U01")
    submission = store.archive_file(path, year=YEAR, unit="U01")
    archived = store.archived_path(submission)
    assert archived.read_bytes() == path.read_bytes()
    assert archived.parent.name == submission.sha256[:2]
    assert archived.name == f"{submission.sha256}.xlsx"
    assert not archived.stat().st_mode & stat.S_IWUSR
    assert submission.status is SubmissionStatus.RECEIVED
    assert submission.original_name == "2021_U01.xlsx"
    assert submission.size == len("return of U01")


def test_archiving_the_same_content_again_is_idempotent(store: Store, received_file):
    first = store.archive_file(received_file("a.xlsx", "same"), year=YEAR, unit="U01")
    again = store.archive_file(received_file("b.xlsx", "same"), year=YEAR, unit="U01")
    assert again.id == first.id
    assert len(store.submissions(YEAR, "U01")) == 1


def test_going_back_to_an_earlier_file_is_a_new_submission(store: Store, received_file):
    first = store.archive_file(received_file("a.xlsx", "version A"), year=YEAR, unit="U01")
    store.archive_file(received_file("b.xlsx", "version B"), year=YEAR, unit="U01")
    back = store.archive_file(received_file("a.xlsx", "version A"), year=YEAR, unit="U01")
    assert back.id != first.id and back.sha256 == first.sha256
    assert store.latest_submission(YEAR, "U01").id == back.id
    assert [s.id for s in store.submissions(YEAR, "U01")] == [first.id, first.id + 1, back.id]


def test_a_tampered_archive_file_is_never_overwritten(store: Store, received_file):
    path = received_file("a.xlsx", "original")
    submission = store.archive_file(path, year=YEAR, unit="U01")
    archived = store.archived_path(submission)
    archived.chmod(0o644)
    archived.write_bytes(b"tampered")
    with pytest.raises(StoreError, match="与其内容哈希不符"):
        store.archive_file(path, year=YEAR, unit="U02")
    assert archived.read_bytes() == b"tampered"


def test_archiving_a_missing_file_is_an_error(store: Store, tmp_path):
    with pytest.raises(StoreError, match="文件不存在"):
        store.archive_file(tmp_path / "nope.xlsx", year=YEAR, unit="U01")


@pytest.mark.parametrize(
    ("findings", "state", "errors", "warnings"),
    [
        ([], SubmissionStatus.PASSED, 0, 0),
        ([error_finding()], SubmissionStatus.REJECTED, 1, 0),
        (
            [Finding(rule="X2", severity=Severity.WARNING, message="现行有效件数不衔接")],
            SubmissionStatus.REJECTED,
            0,
            1,
        ),
        (
            [Finding(rule="X2", severity=Severity.WARNING, message="现行有效件数不衔接", justified=True)],
            SubmissionStatus.PASSED,
            0,
            1,
        ),
        (
            [Problem("text_in_number_cell", "请填写数字", sheet="三", cell="D9", raw="十")],
            SubmissionStatus.REJECTED,
            1,
            0,
        ),
        (
            [{"rule": "R4", "severity": "error", "message": "总计不等于各列之和"}],
            SubmissionStatus.REJECTED,
            1,
            0,
        ),
    ],
    ids=["clean", "error", "unjustified-warning", "justified-warning", "reader-problem", "mapping"],
)
def test_validation_sets_the_state_and_keeps_the_findings(
    store, received_file, findings, state, errors, warnings
):
    submission = store.archive_file(received_file("a.xlsx", "x"), year=YEAR, unit="U01")
    summary = store.record_validation(submission.id, findings, data_docs="validation/a/index.html")
    assert (summary.errors, summary.warnings) == (errors, warnings)
    assert store.submission(submission.id).status is state
    stored = store.latest_validation(submission.id)
    assert stored.data_docs == "validation/a/index.html"
    assert [f.rule for f in stored.findings] == [
        getattr(f, "rule", None) or getattr(f, "code", None) or f["rule"] for f in findings
    ]


def test_a_finding_with_an_unknown_severity_is_refused(store, received_file):
    submission = store.archive_file(received_file("a.xlsx", "x"), year=YEAR, unit="U01")
    with pytest.raises(StoreError, match="未知的问题级别 'fatal'"):
        store.record_validation(submission.id, [{"rule": "R1", "severity": "fatal", "message": "?"}])


def test_a_rejected_submission_cannot_be_accepted(store, received_file, spec2021):
    submission = store.archive_file(received_file("a.xlsx", "x"), year=YEAR, unit="U01")
    store.record_validation(submission.id, [error_finding()])
    with pytest.raises(StoreError, match="状态为“校验未通过”，只有校验通过的报送才能采用"):
        store.accept(submission.id, as_figures(YEAR, "U01", unit_values(spec2021, 1), spec2021))
    assert store.current_figures(YEAR) == {}


def test_an_unvalidated_submission_cannot_be_accepted(store, received_file, spec2021):
    submission = store.archive_file(received_file("a.xlsx", "x"), year=YEAR, unit="U01")
    with pytest.raises(StoreError, match="状态为“已提交”"):
        store.accept(submission.id, as_figures(YEAR, "U01", unit_values(spec2021, 1), spec2021))


@pytest.mark.parametrize(
    ("unit", "year", "duplicate", "message"),
    [
        ("U02", YEAR, False, "属于 U01 2021 年，但数据 .* 标为 U02 2021 年"),
        ("U01", YEAR - 1, False, "标为 U01 2020 年"),
        ("U01", YEAR, True, "重复出现"),
    ],
)
def test_figures_must_belong_to_the_submission(
    store, received_file, spec2021, unit, year, duplicate, message
):
    submission = store.archive_file(received_file("a.xlsx", "x"), year=YEAR, unit="U01")
    store.record_validation(submission.id, [])
    figures = as_figures(year, unit, unit_values(spec2021, 1), spec2021)
    if duplicate:
        figures.append(figures[0])
    with pytest.raises(StoreError, match=message):
        store.accept(submission.id, figures)


def test_accepted_figures_come_back_exactly(store, submit, spec2021):
    values = unit_values(spec2021, 1)
    fee = Cell("t2_8", "fees", "fee_amount")
    values[fee] = Decimal("3421.7000")
    submit("U01", values)
    current = store.current_figures(YEAR)["U01"]
    assert current == values
    assert str(current[fee]) == "3421.7000"
    assert isinstance(current[NEW_NATURAL], int)


def test_a_resubmission_supersedes_the_units_figures_and_keeps_history(store, submit, spec2021):
    first_values = unit_values(spec2021, 1)
    second_values = {**first_values, NEW_NATURAL: first_values[NEW_NATURAL] + 5}
    first = submit("U01", first_values, name="first.xlsx")
    second = submit("U01", second_values, name="second.xlsx")
    assert store.current_figures(YEAR)["U01"][NEW_NATURAL] == first_values[NEW_NATURAL] + 5
    assert store.figure_history(YEAR, "U01", NEW_NATURAL) == [
        (first, first_values[NEW_NATURAL], False),
        (second, first_values[NEW_NATURAL] + 5, True),
    ]
    # the old submission and its archived file are kept, still marked as once accepted
    old = store.submission(first)
    assert old.status is SubmissionStatus.ACCEPTED and store.archived_path(old).exists()
    assert [f.unit for f in store.current_figure_records(YEAR)] == ["U01"] * len(second_values)


def test_accepting_one_unit_leaves_the_others_alone(store, submit, spec2021):
    submit("U01", unit_values(spec2021, 1))
    submit("U02", unit_values(spec2021, 2))
    submit("U01", unit_values(spec2021, 3))
    current = store.current_figures(YEAR)
    assert current["U02"] == unit_values(spec2021, 2)
    assert current["U01"] == unit_values(spec2021, 3)


def test_accepting_again_is_a_no_op(store, submit, spec2021):
    values = unit_values(spec2021, 1)
    submission_id = submit("U01", values)
    store.accept(submission_id, as_figures(YEAR, "U01", values, spec2021))
    assert len(store.figure_history(YEAR, "U01", NEW_NATURAL)) == 1


def test_an_older_submission_cannot_replace_a_newer_accepted_one(store, received_file, spec2021):
    old = store.archive_file(received_file("old.xlsx", "old"), year=YEAR, unit="U01")
    new = store.archive_file(received_file("new.xlsx", "new"), year=YEAR, unit="U01")
    for submission in (old, new):
        store.record_validation(submission.id, [])
    store.accept(new.id, as_figures(YEAR, "U01", unit_values(spec2021, 2), spec2021))
    with pytest.raises(StoreError, match="已采用较新的报送"):
        store.accept(old.id, as_figures(YEAR, "U01", unit_values(spec2021, 1), spec2021))
    assert store.current_figures(YEAR)["U01"] == unit_values(spec2021, 2)


def test_a_failing_accept_rolls_back_entirely(store, submit, received_file, spec2021):
    """One transaction: if inserting the new figures fails, the old ones are still current."""
    submit("U01", unit_values(spec2021, 1))
    broken = store.archive_file(received_file("broken.xlsx", "broken"), year=YEAR, unit="U01")
    store.record_validation(broken.id, [])
    figures = as_figures(YEAR, "U01", unit_values(spec2021, 2), spec2021)
    figures[-1] = replace(figures[-1], value=1.5)  # a float is never a figure (fails after the supersession)
    with pytest.raises(TypeError, match="must be int or Decimal"):
        store.accept(broken.id, figures)
    assert store.current_figures(YEAR)["U01"] == unit_values(spec2021, 1)
    assert store.submission(broken.id).status is SubmissionStatus.PASSED


def test_a_broken_resubmission_loses_nothing(store, submit, received_file, spec2021, registry):
    accepted = submit("U01", unit_values(spec2021, 1))
    broken = store.archive_file(received_file("broken.xlsx", "not a workbook"), year=YEAR, unit="U01")
    store.record_validation(broken.id, [Problem("not_a_workbook", "文件不是 Excel 工作簿")])
    assert store.current_figures(YEAR)["U01"] == unit_values(spec2021, 1)
    row = unit_summaries(YEAR, store, registry)[0]
    assert (row.state, row.submission_id, row.current_submission_id) == ("校验未通过", broken.id, accepted)
    assert row.state_text == "校验未通过（沿用此前已采用的数据）" and row.in_totals
    assert store.archived_path(store.submission(broken.id)).read_bytes() == b"not a workbook"


def test_the_year_summary_has_one_row_per_registry_unit(store, submit, received_file, spec2021, registry):
    submit("U01", unit_values(spec2021, 1), name="2021_U01_地质调查院.xlsx")
    received = store.archive_file(received_file("u02.xlsx", "u02"), year=YEAR, unit="U02")
    rejected = store.archive_file(received_file("u03.xlsx", "u03"), year=YEAR, unit="U03")
    store.record_validation(rejected.id, [error_finding("R1"), error_finding("R4")])
    passed = store.archive_file(received_file("u04.xlsx", "u04"), year=YEAR, unit="U04")
    store.record_validation(
        passed.id, [Finding(rule="X2", severity=Severity.WARNING, message="…", justified=True)]
    )
    store.archive_file(received_file("u05.xlsx", "other year"), year=YEAR - 1, unit="U05")

    rows = {row.unit: row for row in unit_summaries(YEAR, store, registry)}
    assert list(rows) == registry.reporting_codes()
    assert {code: row.state for code, row in rows.items() if code <= "U05"} == {
        "U01": "已采用",
        "U02": "已提交",
        "U03": "校验未通过",
        "U04": "已通过",
        "U05": "未报送",
    }
    assert rows["U01"].file == "2021_U01_地质调查院.xlsx"
    assert rows["U01"].name == "地质调查院"
    assert (rows["U03"].errors, rows["U03"].warnings) == (2, 0)
    assert (rows["U04"].errors, rows["U04"].warnings) == (0, 1)
    assert rows["U02"].errors is None and rows["U02"].received_at == received.received_at
    assert rows["U05"].received_at is None and rows["U05"].last_activity is None
    assert rows["U03"].last_activity >= rows["U03"].received_at
    assert store.current_submission_ids(YEAR) == {"U01": rows["U01"].submission_id}


def test_provenance_lists_each_units_value_file_and_cell(store, submit, spec2021, registry):
    first = submit("U01", unit_values(spec2021, 1), name="u01.xlsx")
    second = submit("U02", unit_values(spec2021, 2), name="u02.xlsx")
    entries = store.provenance(YEAR, *NEW_NATURAL, registry=registry)
    assert [(e.unit, e.unit_name, e.file, e.submission_id) for e in entries] == [
        ("U01", "地质调查院", "u01.xlsx", first),
        ("U02", "基础地质调查院", "u02.xlsx", second),
    ]
    expected = {f.unit: f for f in store.current_figure_records(YEAR) if f.key == NEW_NATURAL}
    assert [(e.value, e.sheet, e.cell) for e in entries] == [
        (expected[u].value, expected[u].sheet, expected[u].cell) for u in ("U01", "U02")
    ]


def test_totals_are_saved_with_their_run(store, spec2021):
    values = {Cell("t3", "new", "natural"): 4, Cell("t2_8", "fees", "fee_amount"): Decimal("1.2500")}
    run_id = store.save_totals(
        year=YEAR,
        format_version="gov-2021",
        values=values,
        in_force_consolidation="sum",
        is_draft=True,
        draft_label="草稿（未完成：缺少 U03 矿产地质调查院）",
        contributing_units=["U01", "U02"],
        missing_units=["U03"],
        findings=[error_finding()],
    )
    saved = store.latest_totals(YEAR)
    assert saved.run_id == run_id
    assert saved.values == values and str(saved.values[Cell("t2_8", "fees", "fee_amount")]) == "1.2500"
    assert (saved.contributing_units, saved.missing_units, saved.invalid_units) == (
        ("U01", "U02"),
        ("U03",),
        (),
    )
    assert saved.is_draft and saved.draft_label.startswith("草稿")
    assert store.latest_totals(YEAR + 1) is None
