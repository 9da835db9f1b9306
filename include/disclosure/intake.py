"""Accepting returns: read the identity → archive (always, readable or not) → validate → record findings →
accept when nothing blocks.

Each file stands alone: an unreadable or failing file is archived and recorded with its findings, and never
stops the others. A file that fails loses nothing: the unit's previously accepted figures stay current until a
valid resubmission replaces them. Re-running on a file already accepted changes nothing.

Returns are validated in one Great Expectations run per report year, against the format in force for that year
(or an override), with the previous year's accepted figures for the cross-year rules (X1, X2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from disclosure.errors import Problem, ReturnReadError, SpecError, StoreError
from disclosure.figures import UnitReturn
from disclosure.formats import FormatSpec, Severity, load_spec, spec_for_year
from disclosure.registry import Registry
from disclosure.store import Store, SubmissionInfo, SubmissionStatus
from disclosure.validation.findings import READ_RULE, TEMPLATE_RULE, Finding


@dataclass
class AcceptResult:
    """What happened to one file."""

    path: Path
    submission: SubmissionInfo | None = None
    findings: list[Finding] = field(default_factory=list)
    usable: bool = True  # False: nothing in the file could be used (CLI exit code 2)
    accepted: bool = False  # its figures are now the unit's current figures
    data_docs: Path | None = None
    unit_return: UnitReturn | None = None

    @property
    def unit(self) -> str | None:
        return self.submission.unit if self.submission else None

    @property
    def year(self) -> int | None:
        return self.submission.year if self.submission else None

    @property
    def status(self) -> SubmissionStatus | None:
        return self.submission.status if self.submission else None

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.WARNING)


def accept_files(
    paths: Iterable[Path],
    store: Store,
    registry: Registry,
    *,
    format_version: str | None = None,
    expected_unit: str | None = None,
    expected_year: int | None = None,
    docs_dir: Path | None = None,
) -> list[AcceptResult]:
    """Archive, validate and (when nothing blocks) accept each file; one result per file, in order.

    ``expected_unit`` / ``expected_year``: what the caller expects the file to be (the DAG task of one unit);
    a file that says otherwise is refused with a finding. ``docs_dir``: where each run's Data Docs go (none
    when omitted).
    """
    results = [_receive(Path(p), store, registry, expected_unit, expected_year) for p in paths]
    pending = [r for r in results if r.unit_return is not None and not r.accepted and not r.findings]
    by_year: dict[int, list[AcceptResult]] = {}
    for result in pending:
        assert result.unit_return is not None
        by_year.setdefault(result.unit_return.year, []).append(result)
    for year, group in sorted(by_year.items()):
        _validate_year(year, group, store, format_version, docs_dir)
    for result in results:
        _record(result, store)
    return results


def _receive(
    path: Path, store: Store, registry: Registry, expected_unit: str | None, expected_year: int | None
) -> AcceptResult:
    """Read the file's identity and archive it (also when unreadable: a received file is never lost)."""
    from disclosure.validation.messages import problem_finding
    from disclosure.workbook.reader import read_return

    result = AcceptResult(path=path)
    unit, year = expected_unit, expected_year
    try:
        ret = read_return(path, strict=False)
        ret.path = path  # the validator matches findings back to files by this path
        result.unit_return = ret
        unit, year = ret.unit, ret.year
        meta = (ret.meta.format_version, ret.meta.template_revision or None)
    except ReturnReadError as exc:
        result.usable = not exc.fatal
        unit = exc.unit or expected_unit
        if unit is None or year is None:
            guessed_unit, guessed_year = guess_identity(path, registry)
            unit, year = unit or guessed_unit, year or guessed_year
        result.findings = [problem_finding(p, unit=unit, file=str(path)) for p in exc.problems]
        meta = (None, None)
    except OSError as exc:
        result.usable = False
        problem = Problem(code="not_a_file", message=f"无法打开文件：{exc.strerror or exc}")
        result.findings = [problem_finding(problem, unit=expected_unit, file=str(path))]
        meta = (None, None)
    try:
        result.submission = store.archive_file(
            path, year=year, unit=unit, format_version=meta[0], template_revision=meta[1]
        )
    except StoreError as exc:
        result.usable = False
        result.findings.append(_finding(READ_RULE, str(exc), unit, path))
        return result
    if result.submission.status is SubmissionStatus.ACCEPTED:
        result.accepted = True  # a re-run on a file already accepted: nothing to do
        return result
    if result.unit_return is not None:
        result.findings.extend(
            _identity_findings(result.unit_return, registry, expected_unit, expected_year, path)
        )
    return result


def guess_identity(path: Path, registry: Registry) -> tuple[str | None, int | None]:
    """Unit and year from a file name like ``2021_U05_水文环境地质调查院.xlsx`` (the template's own naming).

    Only for files whose identity cannot be read: so an unusable file still shows under its unit in the
    status, instead of being lost among unattributed submissions. Never used for figures.
    """
    tokens = re.split(r"[^A-Za-z0-9]+", path.stem)
    codes = [code for code in registry.reporting_codes() if code in tokens]
    years = [int(t) for t in tokens if re.fullmatch(r"(19|20)\d\d", t)]
    return (codes[0] if len(codes) == 1 else None, years[0] if len(set(years)) == 1 else None)


def _identity_findings(
    ret: UnitReturn, registry: Registry, expected_unit: str | None, expected_year: int | None, path: Path
) -> list[Finding]:
    """A return from a unit the registry does not know, or not the one this intake expects, is refused."""
    out = []
    if ret.unit not in registry.reporting_codes():
        out.append(
            _finding(
                TEMPLATE_RULE,
                f"封面上的单位代码“{ret.unit}”不在本年度报送单位名册中，请使用本单位的填报模板。",
                ret.unit,
                path,
            )
        )
    if expected_unit is not None and ret.unit != expected_unit:
        out.append(
            _finding(
                TEMPLATE_RULE,
                f"此文件属于单位“{ret.unit}”，不是“{expected_unit}”：请使用本单位的填报模板。",
                ret.unit,
                path,
            )
        )
    if expected_year is not None and ret.year != expected_year:
        out.append(
            _finding(
                TEMPLATE_RULE, f"此文件的报告年度为 {ret.year} 年，应为 {expected_year} 年。", ret.unit, path
            )
        )
    return out


def _finding(rule: str, message: str, unit: str | None, path: Path) -> Finding:
    return Finding(rule=rule, severity=Severity.ERROR, message=message, unit=unit, file=str(path))


def _spec(year: int, format_version: str | None) -> FormatSpec:
    return load_spec(format_version) if format_version else spec_for_year(year)


def _validate_year(
    year: int, group: list[AcceptResult], store: Store, format_version: str | None, docs_dir: Path | None
) -> None:
    """One GX run for the year's returns; each file gets its own findings."""
    from disclosure.validation import run_validation
    from disclosure.validation.runner import new_run_id

    try:
        spec = _spec(year, format_version)
    except SpecError:
        for result in group:
            result.findings.append(
                _finding(
                    READ_RULE,
                    f"报告年度 {year} 没有适用的报告格式：请核对封面上的报告年度。",
                    result.unit,
                    result.path,
                )
            )
        return
    returns = [r.unit_return for r in group if r.unit_return is not None]
    run_id = new_run_id("accept")
    findings, run = run_validation(
        returns,
        spec,
        previous=store.current_figures(year - 1),
        run_id=run_id,
        docs_dir=docs_dir / run_id if docs_dir is not None else None,
    )
    by_file: dict[str | None, list[Finding]] = {}
    for finding in findings:
        by_file.setdefault(finding.file, []).append(finding)
    for result in group:
        result.findings.extend(by_file.get(str(result.path), []))
        result.data_docs = run.docs_index


def _record(result: AcceptResult, store: Store) -> None:
    """Record the findings; accept when nothing blocks (an error, or a warning the unit has not justified)."""
    if result.submission is None or result.accepted:
        return
    store.record_validation(result.submission.id, result.findings, data_docs=result.data_docs)
    blocking = any(f.blocks_acceptance for f in result.findings)
    if not blocking and result.unit_return is not None:
        store.accept(result.submission.id, result.unit_return.figures)
        result.accepted = True
    result.submission = store.submission(result.submission.id)
