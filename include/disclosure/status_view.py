"""The admin's business view of a report year: which units have reported, which failed and why, the totals
so far and the rendered report files.

Everything comes from the store and the data folder (never from Airflow's XCom), so the view is right after a
partial re-run and across runs. The Airflow plugin's status page shows it (adding the Airflow side: grid
links, the re-run action); ``StatusView.to_dict()`` is the JSON of its API and fits ``disclosure status --json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from disclosure.pipeline import default_deadline, parse_deadline
from disclosure.store.schema import NOT_SUBMITTED_LABEL, STATUS_LABELS, SubmissionStatus

if TYPE_CHECKING:
    from disclosure.figures import Number
    from disclosure.formats.model import FormatSpec
    from disclosure.registry import Registry
    from disclosure.settings import Settings
    from disclosure.store import Store, StoredFinding, TotalsRecord, UnitStatus

#: every state a unit's return can be in, in workflow order (the page's legend and the summary's counts)
STATES: tuple[str, ...] = (NOT_SUBMITTED_LABEL, *(STATUS_LABELS[s] for s in SubmissionStatus))
#: states in which a return has passed validation (counted in «x/12 已通过»)
PASSED_STATES = frozenset({STATUS_LABELS[SubmissionStatus.PASSED], STATUS_LABELS[SubmissionStatus.ACCEPTED]})
#: report files the renderer writes, in the order the page lists them, with the name the admin reads
REPORT_KINDS: dict[str, str] = {
    ".docx": "Word 文档",
    ".html": "网页版",
    ".xlsx": "Excel 汇总表",
    ".csv": "汇总数据 CSV",
    ".json": "汇总数据 JSON",
    ".pdf": "PDF",
}


def deadline_from(value: str | None, year: int) -> datetime:
    """The returns deadline a run chose (its ``deadline`` param: a date or ISO timestamp), else the default
    (15 January of the following year, 18:00 Beijing time): the same rule the DAG's ``prepare`` applies."""
    return parse_deadline(value, year)


@dataclass(frozen=True)
class FindingLine:
    """One finding as the admin reads it: rule, where, what."""

    rule: str
    severity: str  # error | warning
    location: str  # «三、收到和处理政府信息公开申请情况!D12», or "" for the whole file
    message: str
    justified: bool = False

    @property
    def severity_label(self) -> str:
        return "错误" if self.severity == "error" else "提示"


@dataclass(frozen=True)
class UnitRow:
    """One unit's line on the status page."""

    unit: str
    name: str
    state: str  # one of STATES
    state_code: str
    received_at: datetime | None
    file: str | None
    errors: int | None
    warnings: int | None
    findings: tuple[FindingLine, ...]
    feedback_file: str | None  # file name in the year's feedback folder
    last_activity: datetime | None
    on_time: bool | None  # None: nothing received yet
    nothing_to_report: bool = False  # the unit declared 本年度无依申请公开等事项，各表均为 0 (read as zeros)

    @property
    def passed(self) -> bool:
        return self.state in PASSED_STATES


@dataclass(frozen=True)
class Summary:
    """The year at a glance: «x/12 已通过», counts per state, on time vs. the deadline."""

    units: int
    passed: int
    counts: dict[str, int]
    on_time: int
    late: int
    missing: int
    deadline: datetime
    past_deadline: bool

    @property
    def headline(self) -> str:
        return f"{self.passed}/{self.units} 已通过"


@dataclass(frozen=True)
class TotalsLine:
    """One printed row of a table of totals: its label and its value per column (None = no figure)."""

    row: str
    label: str
    level: int
    group: bool
    values: tuple[Number | None, ...]


@dataclass(frozen=True)
class TotalsTable:
    table: str
    title: str
    columns: tuple[str, ...]
    lines: tuple[TotalsLine, ...]


@dataclass(frozen=True)
class TotalsView:
    """The latest consolidation of the year: whether it is a draft, who is in it, the bureau totals."""

    consolidated_at: datetime
    format_version: str
    is_draft: bool
    draft_label: str
    contributing_units: tuple[str, ...]
    missing_units: tuple[str, ...]
    invalid_units: tuple[str, ...]
    tables: tuple[TotalsTable, ...]
    changes: tuple[str, ...] = ()  # «U07 更正：…» of the newest consolidation that changed a total


@dataclass(frozen=True)
class ReportFile:
    name: str
    kind: str
    size: int
    modified: datetime


@dataclass(frozen=True)
class StatusView:
    year: int
    generated_at: datetime
    rows: tuple[UnitRow, ...]
    summary: Summary
    totals: TotalsView | None
    reports: tuple[ReportFile, ...] = field(default=())

    def row(self, unit: str) -> UnitRow:
        for row in self.rows:
            if row.unit == unit:
                return row
        raise KeyError(unit)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: times as ISO 8601, figures as exact strings (never floats)."""
        return _jsonable(self)


def build_status_view(
    year: int,
    *,
    store: Store,
    registry: Registry,
    settings: Settings,
    deadline: datetime | None = None,
    now: datetime | None = None,
    spec: FormatSpec | None = None,
) -> StatusView:
    """Assemble the year's view from the store (unit states, findings, totals) and the data folder
    (feedback workbooks, report files)."""
    deadline = deadline or default_deadline(year)
    now = now or datetime.now(UTC)
    feedback_dir = settings.feedback(year)
    rows = tuple(_unit_row(status, store, feedback_dir, deadline) for status in store.status(year, registry))
    return StatusView(
        year=year,
        generated_at=now,
        rows=rows,
        summary=summarize(rows, deadline, now),
        totals=_totals_view(store.latest_totals(year), spec, _changes(year, store, registry, spec)),
        reports=report_files(settings.reports(year)),
    )


def summarize(rows: tuple[UnitRow, ...], deadline: datetime, now: datetime) -> Summary:
    counts = dict.fromkeys(STATES, 0)
    for row in rows:
        counts[row.state] = counts.get(row.state, 0) + 1
    return Summary(
        units=len(rows),
        passed=sum(1 for r in rows if r.passed),
        counts=counts,
        on_time=sum(1 for r in rows if r.on_time is True),
        late=sum(1 for r in rows if r.on_time is False),
        missing=counts[NOT_SUBMITTED_LABEL],
        deadline=deadline,
        past_deadline=now > deadline,
    )


def feedback_file(feedback_dir: Path, unit: str, file: str | None = None) -> Path | None:
    """The feedback workbook of the unit's return in the year's feedback folder: the one validation writes
    for ``file`` (``<stem>-校验结果.xlsx``), else the newest workbook named with the unit's code."""
    if not feedback_dir.is_dir():
        return None
    if file:
        from disclosure.validation.feedback import feedback_path

        own = feedback_path(feedback_dir, Path(file), unit=unit)
        if own.is_file():
            return own
    candidates = [
        p
        for p in feedback_dir.iterdir()
        if p.is_file() and p.suffix.lower() == ".xlsx" and _named_for(p.name, unit)
    ]
    return max(candidates, key=lambda p: p.stat().st_mtime_ns, default=None)


def report_files(reports_dir: Path) -> tuple[ReportFile, ...]:
    """The rendered report files of the year, in a fixed order by kind."""
    if not reports_dir.is_dir():
        return ()
    order = list(REPORT_KINDS)
    files = [p for p in reports_dir.iterdir() if p.is_file() and p.suffix.lower() in REPORT_KINDS]
    files.sort(key=lambda p: (order.index(p.suffix.lower()), p.name))
    return tuple(
        ReportFile(
            name=p.name,
            kind=REPORT_KINDS[p.suffix.lower()],
            size=p.stat().st_size,
            modified=datetime.fromtimestamp(p.stat().st_mtime, UTC),
        )
        for p in files
    )


def _named_for(name: str, unit: str) -> bool:
    # «U05-反馈.xlsx», «U05_2020_feedback.xlsx», «2020-U05-校验反馈.xlsx»: the code as a whole token
    tokens = name.rsplit(".", 1)[0].replace("_", "-").replace(" ", "-").split("-")
    return unit in tokens


def _unit_row(status: UnitStatus, store: Store, feedback_dir: Path, deadline: datetime) -> UnitRow:
    findings: tuple[FindingLine, ...] = ()
    if status.submission_id is not None:
        validation = store.latest_validation(status.submission_id)
        if validation is not None:
            findings = tuple(_finding_line(f) for f in validation.findings)
    # Only a return with findings has a feedback workbook worth sending: an accepted resubmission under the
    # same file name must not offer the old one.
    feedback = (
        feedback_file(feedback_dir, status.unit, status.file) if status.errors or status.warnings else None
    )
    return UnitRow(
        unit=status.unit,
        name=status.name,
        state=status.state,
        state_code=status.state_code,
        received_at=status.received_at,
        file=status.file,
        errors=status.errors,
        warnings=status.warnings,
        findings=findings,
        feedback_file=feedback.name if feedback else None,
        last_activity=status.last_activity,
        on_time=None if status.received_at is None else status.received_at <= deadline,
        nothing_to_report=_declared_empty(store, status.submission_id),
    )


def _declared_empty(store: Store, submission_id: int | None) -> bool:
    """Whether the submission's cover declares 本年度无依申请公开等事项 (its figures were read as zeros)."""
    if submission_id is None:
        return False
    reading = store.readings([submission_id]).get(submission_id) or {}
    return bool((reading.get("meta") or {}).get("nothing_to_report"))


def _finding_line(finding: StoredFinding) -> FindingLine:
    location = f"{finding.sheet}!{finding.cell}" if finding.sheet and finding.cell else finding.sheet or ""
    return FindingLine(
        rule=finding.rule,
        severity=finding.severity,
        location=location,
        message=finding.message,
        justified=finding.justified,
    )


def _changes(year: int, store: Store, registry: Registry, spec: FormatSpec | None) -> tuple[str, ...]:
    from disclosure.total_changes import latest_changes

    return tuple(c.message for c in latest_changes(year, store, registry, spec))


def _totals_view(
    record: TotalsRecord | None, spec: FormatSpec | None, changes: tuple[str, ...] = ()
) -> TotalsView | None:
    if record is None:
        return None
    if spec is None or spec.version != record.format_version:
        from disclosure.formats import load_spec

        spec = load_spec(record.format_version)
    tables = []
    for table in spec.tables:
        lines = tuple(
            TotalsLine(
                row=row.id,
                label=row.label,
                level=row.level,
                group=row.group,
                values=tuple(
                    None if row.group else record.values.get(_cell(table.id, row.id, col.id))
                    for col in table.columns
                ),
            )
            for row in table.rows
        )
        tables.append(
            TotalsTable(
                table=table.id,
                title=table.sheet if table.title in table.sheet else f"{table.sheet} {table.title}",
                columns=tuple("·".join((*col.header, col.display_label)) for col in table.columns),
                lines=lines,
            )
        )
    return TotalsView(
        consolidated_at=record.created_at,
        format_version=record.format_version,
        is_draft=record.is_draft,
        draft_label=record.draft_label,
        contributing_units=record.contributing_units,
        missing_units=record.missing_units,
        invalid_units=record.invalid_units,
        tables=tuple(tables),
        changes=changes,
    )


def _cell(table: str, row: str, column: str) -> Any:
    from disclosure.formats.model import Cell

    return Cell(table, row, column)


def _jsonable(value: Any) -> Any:
    from dataclasses import fields, is_dataclass
    from decimal import Decimal

    if is_dataclass(value) and not isinstance(value, type):
        out = {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
        for name in ("headline", "severity_label", "passed"):  # derived fields the page and JSON show
            if hasattr(type(value), name) and isinstance(getattr(type(value), name), property):
                out[name] = getattr(value, name)
        return out
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value
