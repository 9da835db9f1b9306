"""Validate returns: one or many, as ``UnitReturn`` objects or as workbook files, in one GX run per format.

``validate_returns`` checks returns already read (also the bureau's consolidated return: its unit is the bureau
code); ``validate_files`` reads workbooks first (reader problems become findings), picks the format in force for
each return's year, writes Data Docs for the run and, on request, a feedback workbook per file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from disclosure.errors import Problem, ReturnReadError, SpecError
from disclosure.figures import UnitReturn
from disclosure.formats import Cell, FormatSpec, Severity, load_spec, spec_for_year
from disclosure.validation.checks import (
    CheckItem,
    Previous,
    build_check_items,
    check_frame,
    determined_value,
)
from disclosure.validation.findings import READ_RULE, SYSTEM_RULE, TEMPLATE_RULE, Finding, sort_findings
from disclosure.validation.messages import (
    cell_finding,
    equation_finding,
    outlier_finding,
    problem_finding,
    raw_issue,
    version_finding,
)
from disclosure.validation.outliers import History
from disclosure.validation.runner import RunResult, new_run_id, run_suite
from disclosure.validation.suite import BLANK, EQUATION, OUTLIER, VERSION, compile_suite
from disclosure.workbook.identity import COVER_SHEET

logger = logging.getLogger(__name__)


def _file_of(ret: UnitReturn) -> str | None:
    return str(ret.path) if ret.path is not None else None


def _layout(spec: FormatSpec):
    """Where a fresh template puts each figure: the fallback location of figures not read from a workbook."""
    from disclosure.workbook.template import template_layout

    return template_layout(spec)


def run_validation(
    returns: Sequence[UnitReturn],
    spec: FormatSpec,
    *,
    previous: Previous | None = None,
    justified: Mapping[str, str] | None = None,
    run_id: str | None = None,
    docs_dir: Path | None = None,
    history: History | None = None,
) -> tuple[list[Finding], RunResult]:
    """Validate ``returns`` against ``spec`` in one GX run; the findings and the run (Data Docs, counts).

    ``previous``: last year's accepted figures per unit code, for the cross-year rules (skipped for a unit
    without them). ``history``: each unit's accepted figures per earlier year, for the outlier rules (a rule is
    skipped for a unit with less history than it needs). ``justified``: a 差异说明 per unit code, in addition to
    the one on each return's cover sheet.

    One return never stops the others: a fault while checking one (building its checks, writing its findings, or
    a GX run that fails only with it) becomes a ``SYSTEM`` finding of that return alone, and the rest are judged
    as usual.
    """
    failures: dict[int, Exception] = {}
    items = build_check_items(returns, spec, previous, failures, history)
    suite = compile_suite(spec)
    try:
        run = run_suite(check_frame(items), suite, run_id=run_id, docs_dir=docs_dir)
    except Exception as exc:
        if len(returns) - len(failures) <= 1:
            raise
        # find the return(s) GX cannot evaluate: judge each on its own (slow, but only after a fault)
        logger.warning("validation run failed (%s): validating the %d returns one by one", exc, len(returns))
        return _one_by_one(returns, spec, previous, justified, run_id, docs_dir, failures, history)
    findings = _findings(run, items, returns, spec, previous, justified, failures)
    findings.extend(system_finding(returns[i], exc) for i, exc in sorted(failures.items()))
    findings.extend(_reader_findings(returns, findings))
    return sort_findings(findings, (COVER_SHEET, *spec.sheets)), run


def _one_by_one(returns, spec, previous, justified, run_id, docs_dir, failures, history):
    findings: list[Finding] = []
    run = RunResult(run_id=run_id or new_run_id())
    for index, ret in enumerate(returns):
        if index in failures:
            findings.append(system_finding(ret, failures[index]))
            findings.extend(_reader_findings([ret], findings))
            continue
        try:
            found, one = run_validation(
                [ret], spec, previous=previous, justified=justified, run_id=run_id, history=history
            )
        except Exception as exc:
            findings.append(system_finding(ret, exc))
            findings.extend(_reader_findings([ret], findings))
            continue
        findings.extend(found)
        run.evaluated += one.evaluated
        run.failures.extend(one.failures)  # item numbers are per return here: for counting only
    return sort_findings(findings, (COVER_SHEET, *spec.sheets)), run


def system_finding(ret: UnitReturn, exc: BaseException) -> Finding:
    """A return the system could not judge: an error of the system, not of the return (it blocks acceptance
    until the admin has fixed the cause and the return is validated again)."""
    logger.error("checking the return of %s (%s) failed", ret.unit, ret.path, exc_info=exc)
    return Finding(
        rule=SYSTEM_RULE,
        severity=Severity.ERROR,
        message=(
            f"系统校验本表时出错（{type(exc).__name__}），本表暂时无法判定是否通过。这不是填报错误：管理员已收到记录，"
            "处理后将重新校验，无需重新报送；其他单位的报表不受影响。"
        ),
        unit=ret.unit,
        file=_file_of(ret),
        actual=type(exc).__name__,
    )


def _findings(
    run: RunResult,
    items: list[CheckItem],
    returns: Sequence[UnitReturn],
    spec: FormatSpec,
    previous: Previous | None,
    justified: Mapping[str, str] | None,
    failures: dict[int, Exception],
) -> list[Finding]:
    """The findings of a run's failed expectations, return by return (a fault writing one return's findings
    becomes its ``SYSTEM`` finding)."""
    layout = _layout(spec)
    problems = [{(p.sheet, p.cell): p for p in ret.problems if p.cell} for ret in returns]
    by_return: dict[int, list[Finding]] = {}
    determined: set[tuple[int, Cell]] = set()  # blank cells whose finding says what a rule makes them
    for failure in run.failures:
        aspect = str(failure.meta.get("aspect"))
        for number in failure.items:
            item = items[number]
            index = item.return_index
            if index in failures:
                continue
            try:
                finding, solved = _finding(
                    item, aspect, returns[index], spec, layout, problems[index], previous, justified
                )
            except Exception as exc:  # one return's fault must not stop the batch
                failures[index] = exc
                by_return.pop(index, None)
                continue
            if finding is None:
                continue
            if solved and item.cell is not None:
                determined.add((index, item.cell))
            by_return.setdefault(index, []).append(finding)
    out: list[Finding] = []
    for index, found in by_return.items():
        if index in failures:
            continue
        for finding in found:
            # that blank cell's equation finding ("应为 272…，实为 空白") would only repeat it
            if (
                finding.key is not None
                and (index, finding.key) in determined
                and finding.actual == "空白"
                and not _is_cell_rule(spec, finding.rule)
            ):
                continue
            out.append(finding)
    return out


def _is_cell_rule(spec: FormatSpec, rule_id: str) -> bool:
    return any(r.id == rule_id and r.kind == "cell_type" for r in spec.rules)


def _finding(
    item: CheckItem,
    aspect: str,
    ret: UnitReturn,
    spec: FormatSpec,
    layout,
    problems: Mapping[tuple[str | None, str | None], Problem],
    previous: Previous | None,
    justified: Mapping[str, str] | None,
) -> tuple[Finding | None, bool]:
    """The finding of one failed check item, and whether it is a blank cell whose value a rule determines."""
    file = _file_of(ret)
    # a fresh template's coordinates locate figures built in memory (e.g. the bureau's totals), never those of a
    # unit's workbook, whose rows may have moved
    where = layout if ret.path is None else None
    if aspect == VERSION:
        return version_finding(spec, ret, file), False
    note = (justified or {}).get(ret.unit) or ret.meta.justification
    if aspect == EQUATION:
        return equation_finding(item, spec, ret, where, file, note), False
    if aspect == OUTLIER:
        return outlier_finding(item, spec, ret, where, file, note), False
    sheet, coord = (item.figure.sheet, item.figure.cell) if item.figure else (None, None)
    problem = problems.get((sheet, coord))
    # the reader's advice on the cell's content goes into this finding; its structural problems stand alone
    if (problem is None or not problem.advice) and _explained_by_reader(item, ret, spec):
        return None, False
    solved = None
    blank = item.figure is None or item.figure.raw in (None, "")
    if (
        aspect == BLANK
        and item.cell is not None
        and blank
        and (problem is None or problem.code == "blank_cell")
    ):
        last_year = (previous or {}).get(ret.unit)
        solved = determined_value(spec, item.cell, {f.key: f for f in ret.figures}, last_year)
    return cell_finding(item, aspect, spec, ret, where, file, problem, solved), solved is not None


def _explained_by_reader(item: CheckItem, ret: UnitReturn, spec: FormatSpec) -> bool:
    """A figure the reader could not place (row or column label not found, sheet missing) or could not use for a
    structural reason: the reader's own problem says what to change, a blank-cell finding would mislead."""
    if not ret.problems or item.cell is None:
        return False
    figure = item.figure
    if figure is None or not figure.cell:
        return True
    if figure.value is None and figure.raw not in (None, ""):
        column = spec.table(item.cell.table).column(item.cell.column)
        return raw_issue(figure.raw, column) is None
    return False


def _reader_findings(returns: Sequence[UnitReturn], findings: list[Finding]) -> list[Finding]:
    """The reader's problems as findings, except those on a cell a rule already reported (no duplicates)."""
    reported = {(f.file, f.sheet, f.cell) for f in findings if f.cell}
    out = []
    for ret in returns:
        file = _file_of(ret)
        for problem in ret.problems:
            if problem.cell and (file, problem.sheet, problem.cell) in reported:
                continue
            out.append(problem_finding(problem, unit=ret.unit, file=file))
    return out


def findings_per_return(
    returns: Sequence[UnitReturn],
    spec: FormatSpec,
    *,
    previous: Previous | None = None,
    justified: Mapping[str, str] | None = None,
    run_id: str | None = None,
    docs_dir: Path | None = None,
    history: History | None = None,
) -> tuple[list[list[Finding]], RunResult]:
    """:func:`run_validation`, with each return's findings apart (in the order of ``returns``; matched by each
    return's ``path``, which must tell the returns apart)."""
    findings, run = run_validation(
        returns,
        spec,
        previous=previous,
        justified=justified,
        run_id=run_id,
        docs_dir=docs_dir,
        history=history,
    )
    by_file: dict[str | None, list[Finding]] = {}
    for finding in findings:
        by_file.setdefault(finding.file, []).append(finding)
    return [list(by_file.get(_file_of(ret), [])) for ret in returns], run


def no_format_finding(ret: UnitReturn, file: str) -> Finding:
    """No format is in force for the year the return claims."""
    return Finding(
        rule=READ_RULE,
        severity=Severity.ERROR,
        message=f"报告年度 {ret.year} 没有适用的报告格式：请核对封面上的报告年度。",
        unit=ret.unit,
        file=file,
        actual=str(ret.year),
    )


def validate_returns(
    returns: Sequence[UnitReturn],
    spec: FormatSpec,
    *,
    previous: Previous | None = None,
    justified: Mapping[str, str] | None = None,
    docs_dir: Path | None = None,
    history: History | None = None,
) -> list[Finding]:
    """Every finding of every return (all at once, never the first error only), in reading order."""
    findings, _ = run_validation(
        returns, spec, previous=previous, justified=justified, docs_dir=docs_dir, history=history
    )
    return findings


@dataclass
class FileResult:
    """What validating one file gave: its return (when readable), findings, feedback workbook."""

    path: Path
    findings: list[Finding] = field(default_factory=list)
    unit_return: UnitReturn | None = None
    usable: bool = True  # False: the file could not be used at all (exit code 2)
    feedback: Path | None = None
    refused: bool = False  # not a valid return of the unit it claims (see ``screen``): not validated

    @property
    def unit(self) -> str | None:
        return self.unit_return.unit if self.unit_return is not None else None

    @property
    def has_errors(self) -> bool:
        return any(f.is_error for f in self.findings)


@dataclass
class ValidationReport:
    run_id: str
    files: list[FileResult] = field(default_factory=list)
    docs: list[Path] = field(default_factory=list)  # Data Docs index.html of the run (one per format)

    @property
    def findings(self) -> list[Finding]:
        return [f for result in self.files for f in result.findings]

    @property
    def has_errors(self) -> bool:
        return any(f.is_error for f in self.findings)

    @property
    def unusable(self) -> list[FileResult]:
        return [r for r in self.files if not r.usable]

    @property
    def exit_code(self) -> int:
        """0 valid (warnings allowed), 1 any error finding, 2 a file cannot be used at all."""
        if self.unusable:
            return 2
        return 1 if self.has_errors else 0


def _read(path: Path) -> FileResult:
    from disclosure.workbook.reader import read_return

    result = FileResult(path=path)
    try:
        ret = read_return(path, strict=False)
    except ReturnReadError as exc:
        # Fatal: nothing in the file can be used (exit 2). Otherwise no return came back, the problems are the
        # findings (exit 1).
        result.usable = not exc.fatal
        findings = [problem_finding(p, unit=exc.unit, file=str(path)) for p in exc.problems]
        result.findings = findings if result.usable else [_as_read(f) for f in findings]
        return result
    except OSError as exc:
        result.usable = False
        problem = Problem(code="not_a_file", message=f"无法打开文件：{exc.strerror or exc}")
        result.findings = [problem_finding(problem, unit=None, file=str(path))]
        return result
    ret.path = path  # findings are matched back to files by this path
    result.unit_return = ret
    return result


def _as_read(finding: Finding) -> Finding:
    return finding if finding.rule == READ_RULE else replace(finding, rule=READ_RULE)


def _spec_for(ret: UnitReturn, format_version: str | None, year: int | None) -> FormatSpec:
    return load_spec(format_version) if format_version else spec_for_year(year or ret.year)


def year_finding(ret: UnitReturn, year: int, file: str) -> Finding:
    """The workbook is another year's return (cover and template identity say so)."""
    from disclosure.validation.messages import COVER_YEAR_CELL

    return Finding(
        rule=TEMPLATE_RULE,
        severity=Severity.ERROR,
        message=f"该表的报告年度为 {ret.year}，本次收集的是 {year} 年度报告：请使用 {year} 年度模板填报后重新报送。",
        unit=ret.unit,
        file=file,
        sheet=COVER_SHEET,
        cell=COVER_YEAR_CELL,
        expected=str(year),
        actual=str(ret.year),
    )


def validate_files(
    paths: Iterable[Path],
    *,
    format_version: str | None = None,
    year: int | None = None,
    previous: Previous | None = None,
    justified: Mapping[str, str] | None = None,
    docs: bool = True,
    run_id: str | None = None,
    feedback_dir: Path | None = None,
    screen: Callable[[UnitReturn, str], list[Finding]] | None = None,
) -> ValidationReport:
    """Read and validate workbooks; one GX run per format version among them.

    ``format_version`` overrides the format chosen by each return's year (an unknown version raises
    ``SpecError``: a usage error). With ``year`` (the year being collected), a return of another year is an
    error and the format is the one in force for ``year``. Data Docs go to ``settings.validation_docs/<run id>`` unless ``docs`` is
    False; with ``feedback_dir``, each readable file with findings gets a feedback workbook there. ``screen``
    (the intake's identity check) refuses a return before validation: its findings are the file's findings.
    """
    from disclosure.settings import get_settings

    if format_version:
        load_spec(format_version)  # fail early on an unknown version
    report = ValidationReport(run_id=run_id or new_run_id())
    report.files = [_read(Path(p)) for p in paths]

    groups: dict[str, tuple[FormatSpec, list[FileResult]]] = {}
    for result in report.files:
        ret = result.unit_return
        if ret is None:
            continue
        refusals = screen(ret, str(result.path)) if screen is not None else []
        if refusals:
            result.findings, result.refused = list(refusals), True
            continue
        if year is not None and ret.year != year:
            result.findings.append(year_finding(ret, year, str(result.path)))
        try:
            spec = _spec_for(ret, format_version, year)
        except SpecError:
            result.usable = False
            result.findings.append(no_format_finding(ret, str(result.path)))
            continue
        groups.setdefault(spec.version, (spec, []))[1].append(result)

    run_dir = get_settings().validation_docs / report.run_id
    for version, (spec, results) in groups.items():
        docs_dir = None
        if docs:
            docs_dir = run_dir if len(groups) == 1 else run_dir / version
        returns = [r.unit_return for r in results if r.unit_return is not None]
        per_return, run = findings_per_return(
            returns, spec, previous=previous, justified=justified, run_id=report.run_id, docs_dir=docs_dir
        )
        if run.docs_index is not None:
            report.docs.append(run.docs_index)
        for result, found in zip(results, per_return, strict=True):
            result.findings.extend(found)

    if feedback_dir is not None:
        from disclosure.validation.feedback import feedback_path, write_feedback

        for result in report.files:
            if result.usable and not result.refused and result.unit_return is not None and result.findings:
                out = feedback_path(feedback_dir, result.path, unit=result.unit_return.unit)
                result.feedback = write_feedback(result.path, result.findings, out)
    return report
