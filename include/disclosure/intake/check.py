"""Checking submissions: whose return each one is (``intake.identity``), then every rule of its format in one
Great Expectations run per format, findings and state recorded with the submission.

Works on submission ids only: the figures come from the reading stored when the file was received, so no
workbook is opened again (except to annotate a feedback workbook for the unit). Many submissions (a chunk of
units) are checked in one run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from disclosure.errors import SpecError
from disclosure.figures import Figure, UnitReturn
from disclosure.formats import FormatSpec, Severity, load_spec, spec_for_year
from disclosure.intake.identity import identity_findings
from disclosure.intake.reading import Reading, is_current, read_file
from disclosure.registry import Registry
from disclosure.store import Store, SubmissionInfo, SubmissionStatus, ValidationOutcome
from disclosure.validation.findings import READ_RULE, Finding
from disclosure.validation.outliers import History

log = logging.getLogger(__name__)

#: The admin's decision that a file counts as one unit's return although it is unsigned or foreign.
MANUAL_ACCEPTANCE = "manual_acceptance"
#: Reader problems about whose template a file is: the admin's decision settles those.
_IDENTITY_PROBLEMS = frozenset({"old_template_revision", "unit_mismatch"})


@dataclass
class CheckResult:
    """What checking one submission gave."""

    submission: SubmissionInfo
    findings: list[Finding] = field(default_factory=list)
    feedback: Path | None = None  # the feedback workbook for the unit (when there are findings)
    data_docs: Path | None = None
    usable: bool = True  # False: nothing in the file could be used (CLI exit code 2)
    accepted: bool = False  # set by ``intake.accept``: its figures are now the unit's current figures
    signature_verified: bool | None = None

    @property
    def id(self) -> int:
        return self.submission.id

    @property
    def status(self) -> SubmissionStatus:
        return self.submission.status

    @property
    def refused(self) -> bool:
        return self.submission.status is SubmissionStatus.REFUSED

    @property
    def passed(self) -> bool:
        return self.submission.status in (SubmissionStatus.PASSED, SubmissionStatus.ACCEPTED)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.WARNING)

    @property
    def blocking(self) -> list[Finding]:
        return acceptance_blockers(self.findings)


def acceptance_blockers(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that keep a return from being accepted (the one rule: ``Finding.blocks_acceptance``)."""
    return [f for f in findings if f.blocks_acceptance]


def check(submission_id: int, **options: Any) -> CheckResult:
    """Check one submission; the options are :func:`check_many`'s."""
    [result] = check_many([submission_id], **options)
    return result


def check_many(
    submission_ids: Sequence[int],
    *,
    store: Store,
    registry: Registry | None = None,
    keys: Sequence[str] | None = None,
    format_version: str | None = None,
    expected_unit: str | None = None,
    expected_year: int | None = None,
    feedback_dir: Path | None = None,
    docs_dir: Path | None = None,
) -> list[CheckResult]:
    """Check submissions (one result each, in order): refuse those that are not a valid return of the unit they
    claim (已拒收), validate the others in one GX run per format (校验未通过 / 已通过).

    ``keys``: the bureau's secret keys (default: configured ones). ``format_version`` overrides the format in
    force for each year. ``expected_unit``: the unit the caller collects (the DAG's unit task);
    ``expected_year``: the report year it collects (the portal's link). With
    ``feedback_dir`` each readable file with findings gets its feedback workbook there; ``docs_dir``: where the
    run's Data Docs go. A submission already accepted is not checked again (a re-run changes nothing).
    """
    from disclosure.registry import load_registry
    from disclosure.settings import get_settings

    registry = registry or load_registry()
    keys = tuple(keys) if keys is not None else get_settings().secret_keys
    subs = store.submissions_by_id(submission_ids)
    readings = _readings(store, subs)
    manual = {
        e.submission_id: e.detail.get("unit")
        for e in store.events(action=MANUAL_ACCEPTANCE, submission_ids=[s.id for s in subs])
    }
    results = [CheckResult(submission=s) for s in subs]
    pending: list[tuple[CheckResult, UnitReturn]] = []
    settled: list[ValidationOutcome] = []  # unreadable or refused: recorded before the GX run
    for result in results:
        sub, reading = result.submission, readings[result.id]
        file = sub.original_name
        if sub.status is SubmissionStatus.ACCEPTED:
            result.accepted = True
            result.findings = _stored_findings(store, sub)
            continue
        if reading.unit_return is None:
            from disclosure.validation.messages import problem_finding

            result.usable = not reading.fatal
            result.findings = [
                _read_rule(problem_finding(p, unit=sub.unit, file=file), reading.fatal)
                for p in reading.problems
            ]
            settled.append(ValidationOutcome(sub.id, tuple(result.findings)))
            continue
        ret = reading.unit_return
        by_hand = manual.get(sub.id)
        if by_hand is None:
            refusals, verified = identity_findings(
                ret.meta,
                registry=registry,
                keys=keys,
                file=file,
                expected_unit=expected_unit,
                sender=sub.sender,
                expected_year=expected_year,
            )
            if refusals:
                result.findings = refusals
                settled.append(
                    ValidationOutcome(sub.id, tuple(refusals), signature_verified=verified, refused=True)
                )
                continue
            result.signature_verified = True
        else:
            # The admin decided whose return it is: the reader's doubts about the template's identity are moot.
            ret = _as_return_of(ret, by_hand, sub.year)
            ret.problems = [p for p in ret.problems if p.code not in _IDENTITY_PROBLEMS]
        pending.append((result, ret))
    store.record_validations(settled)
    _validate(pending, store, format_version, docs_dir)
    store.record_validations(
        ValidationOutcome(
            result.id,
            tuple(result.findings),
            data_docs=result.data_docs,
            signature_verified=result.signature_verified,
        )
        for result, _ in pending
    )
    if feedback_dir is not None:
        for result, ret in pending:
            if result.findings:
                result.feedback = _feedback(store, result, ret.unit, feedback_dir)
    for result, submission in zip(results, store.submissions_by_id(r.id for r in results), strict=True):
        result.submission = submission
    return results


def _readings(store: Store, subs: list[SubmissionInfo]) -> dict[int, Reading]:
    """Each submission's stored reading; a submission received before readings were kept is read now, once."""
    stored = store.readings([s.id for s in subs])
    out = {}
    for sub in subs:
        path = store.archived_path(sub)
        data = stored.get(sub.id)
        if is_current(data):
            out[sub.id] = Reading.from_json(data, path)
            continue
        reading = read_file(path)
        store.save_reading(sub.id, reading.to_json())
        if reading.unit_return is not None:
            reading.unit_return.path = path
        out[sub.id] = reading
    return out


def _as_return_of(ret: UnitReturn, unit: str, year: int | None) -> UnitReturn:
    """The return counted as ``unit``'s (the admin's decision): its figures carry that unit."""
    year = year or ret.year
    meta = replace(ret.meta, unit_code=unit, year=year)
    figures = [replace(f, unit=unit, year=year) for f in ret.figures]
    return UnitReturn(meta=meta, figures=figures, path=ret.path, problems=list(ret.problems))


def _spec(year: int, format_version: str | None) -> FormatSpec:
    return load_spec(format_version) if format_version else spec_for_year(year)


def _validate(
    pending: list[tuple[CheckResult, UnitReturn]],
    store: Store,
    format_version: str | None,
    docs_dir: Path | None,
) -> None:
    """One GX run per format for the returns; each gets its own findings (matched by its archived path)."""
    from disclosure.validation.runner import new_run_id
    from disclosure.validation.validate import findings_per_return, no_format_finding

    groups: dict[str, tuple[FormatSpec, list[tuple[CheckResult, UnitReturn]]]] = {}
    for result, ret in pending:
        try:
            spec = _spec(ret.year, format_version)
        except SpecError:
            result.findings.append(no_format_finding(ret, result.submission.original_name))
            continue
        groups.setdefault(spec.version, (spec, []))[1].append((result, ret))
    for spec, group in groups.values():
        returns = [ret for _, ret in group]
        history = _history(store, spec, returns)
        previous = {
            ret.unit: history[ret.unit][ret.year - 1]
            for ret in returns
            if ret.year - 1 in history.get(ret.unit, {})
        }
        run_id = new_run_id("check")
        per_return, run = findings_per_return(
            returns,
            spec,
            previous=previous,
            history=history,
            run_id=run_id,
            docs_dir=docs_dir / run_id if docs_dir is not None else None,
        )
        for (result, _), found in zip(group, per_return, strict=True):
            name = result.submission.original_name
            result.findings.extend(replace(f, file=name) for f in found)
            result.data_docs = run.docs_index


def _history(store: Store, spec: FormatSpec, returns: Sequence[UnitReturn]) -> History:
    """The units' accepted figures of the years before their returns' year that the cross-year rules (last year)
    and the outlier rules (up to ``spec.history_years``) compare with: for a 2020 return, 2017–2019, as many of
    them as the store holds. Always what was accepted through the intake, never anything else."""
    depth = max(spec.history_years, 1)
    years = {y for ret in returns for y in range(ret.year - depth, ret.year)}
    return store.figure_years(years, {ret.unit for ret in returns})


def _feedback(store: Store, result: CheckResult, unit: str, folder: Path) -> Path | None:
    """The unit's feedback workbook: its own file with the findings marked, named after the file it sent."""
    from disclosure.validation.feedback import feedback_path, write_feedback

    out = feedback_path(folder, Path(result.submission.original_name), unit=unit)
    try:
        return write_feedback(store.archived_path(result.submission), result.findings, out)
    except Exception:
        log.exception("反馈表未能生成：%s", result.submission.original_name)
        return None


def earlier_result(store: Store, submission: SubmissionInfo, feedback_dir: Path | None = None) -> CheckResult:
    """What the last check of a submission gave, without checking it again: its stored findings and state, and
    its feedback workbook when one was written to ``feedback_dir``. A re-run that finds a unit's newest file
    already judged keeps that verdict (the DAG's batches re-check only what was resubmitted)."""
    from disclosure.validation.feedback import feedback_path

    result = CheckResult(submission=submission, findings=_stored_findings(store, submission))
    result.accepted = submission.status is SubmissionStatus.ACCEPTED
    if feedback_dir is not None and submission.unit and result.findings:
        path = feedback_path(feedback_dir, Path(submission.original_name), unit=submission.unit)
        result.feedback = path if path.exists() else None
    return result


def _read_rule(finding: Finding, fatal: bool) -> Finding:
    return replace(finding, rule=READ_RULE) if fatal and finding.rule != READ_RULE else finding


def _stored_findings(store: Store, sub: SubmissionInfo) -> list[Finding]:
    summary = store.latest_validation(sub.id)
    if summary is None:
        return []
    return [
        Finding(
            rule=f.rule,
            severity=Severity(f.severity),
            message=f.message,
            unit=sub.unit,
            file=sub.original_name,
            sheet=f.sheet,
            cell=f.cell,
            expected=f.expected,
            actual=f.actual,
            justified=f.justified,
        )
        for f in summary.findings
    ]


def figures_of(reading: Reading, submission: SubmissionInfo) -> list[Figure]:
    """The figures to accept for a submission: as read, counted for the submission's unit and year."""
    assert reading.unit_return is not None
    unit, year = submission.unit, submission.year
    if unit is None or year is None:
        return list(reading.unit_return.figures)
    # A figure already counted for them is kept as it is: no copy per figure.
    return [
        f if (f.unit, f.year) == (unit, year) else replace(f, unit=unit, year=year)
        for f in reading.unit_return.figures
    ]
