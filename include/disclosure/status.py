"""The one summary of a report year: where each unit stands and how complete the year is.

Computed here and only here, from the store and the data folder (never from Airflow's XCom, so it is right after
a partial re-run and across runs); every view reads it: the status page and its JSON API, ``disclosure status``,
the admin's emails (:func:`summary_email`), the totals' draft label (:func:`draft_label`) and the run's final
check (:func:`completeness_problems`).

A unit's state is the state of its latest submission, in words the admin can act on:

- 未报送: nothing received for the year;
- 已提交: received, not validated yet;
- 校验未通过: the latest file failed validation; the totals then use the unit's earlier accepted figures
  («沿用此前已采用的数据») or have none of it («无可用数据»);
- 已通过: validated, not accepted yet;
- 已采用: the latest file's figures are the unit's current figures;
- 已拒收: the only files received for the unit were refused (not a valid return of that unit: signature,
  sender, old template). A refused file never replaces a unit's valid return: the unit's state comes from its
  latest file that was not refused, and a newer refused file is only noted (``refused_file``).

The year is complete (the report final, not a draft) when every reporting unit's latest file is 已采用.

A warning the unit justified on its cover (差异说明: an outlier the unit says is right) does not keep a return
from being accepted; the accepted returns' justified warnings are the year's **notes** (:class:`Note`): listed
on the status page and handed to the report's narrative (its ``notes``), so the office can say why a figure moved.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from disclosure.store.schema import SubmissionStatus
from disclosure.workflow.calendar import default_deadline, parse_deadline

if TYPE_CHECKING:
    from disclosure.figures import Number
    from disclosure.formats.model import FormatSpec
    from disclosure.registry import Registry
    from disclosure.settings import Settings
    from disclosure.store import Store, StoredFinding, SubmissionInfo, TotalsRecord

NOT_SUBMITTED = "not_submitted"
#: a unit's state code → the word the admin reads, in workflow order (the page's legend and the counts)
STATE_LABELS: dict[str, str] = {
    NOT_SUBMITTED: "未报送",
    SubmissionStatus.RECEIVED.value: "已提交",
    SubmissionStatus.REJECTED.value: "校验未通过",
    SubmissionStatus.PASSED.value: "已通过",
    SubmissionStatus.ACCEPTED.value: "已采用",
    SubmissionStatus.REFUSED.value: "已拒收",
}
STATES: tuple[str, ...] = tuple(STATE_LABELS.values())
ACCEPTED = SubmissionStatus.ACCEPTED.value
#: what the totals hold of a unit whose latest file is not (yet) accepted
EARLIER_FIGURES = "沿用此前已采用的数据"
NO_FIGURES = "无可用数据"
#: report files the renderer writes, in the order the page lists them, with the name the admin reads
REPORT_KINDS: dict[str, str] = {
    ".docx": "Word 文档",
    ".pdf": "PDF",
    ".html": "网页版",
    ".xlsx": "Excel 汇总表",
    ".csv": "汇总数据 CSV",
    ".json": "汇总数据 JSON",
}
#: zones the admin knows by a Chinese name; any other is shown by its IANA key
ZONE_NAMES = {
    "Asia/Shanghai": "北京时间",
    "Asia/Chongqing": "北京时间",
    "Asia/Harbin": "北京时间",
    "UTC": "UTC",
}


def deadline_from(value: str | None, year: int) -> datetime:
    """The returns deadline a run chose (its ``deadline`` param: a date or ISO timestamp), else the default
    (15 January of the following year, 18:00 Beijing time): the same rule the DAG's ``prepare`` applies."""
    return parse_deadline(value, year)


def zone_label(zone: tzinfo) -> str:
    key = getattr(zone, "key", None) or str(zone)
    return ZONE_NAMES.get(key, key)


def local_time(value: datetime | str | None, zone: tzinfo, *, with_zone: bool = True) -> str:
    """A moment as the admin reads it: ``2021-01-15 18:00（北京时间）`` (stored times are UTC)."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    return f"{text}（{zone_label(zone)}）" if with_zone else text


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
class Note:
    """A justified warning of an accepted return: the unit's figure looked wrong and the unit explained it."""

    unit: str
    name: str  # the unit's name, as the registry gives it
    rule: str  # e.g. O2
    location: str
    message: str  # the finding's Chinese message, ending with the unit's 差异说明

    @property
    def display(self) -> str:
        return f"{self.unit} {self.name}"


@dataclass(frozen=True)
class UnitSummary:
    """One unit's standing in the year."""

    unit: str
    name: str
    state: str  # one of STATES
    state_code: str  # not_submitted | received | rejected | passed | accepted
    detail: str  # EARLIER_FIGURES / NO_FIGURES while the latest file is not accepted, else ""
    in_totals: bool  # the unit has accepted figures: the totals sum them
    submission_id: int | None  # the latest submission
    current_submission_id: int | None  # the submission whose figures are current (may be older)
    file: str | None
    received_at: datetime | None
    on_time: bool | None  # the latest file vs the deadline; None: nothing received
    errors: int | None
    warnings: int | None
    last_activity: datetime | None
    findings: tuple[FindingLine, ...] = ()
    feedback_file: str | None = None  # file name in the year's feedback folder
    refused_file: str | None = None  # a newer file of the unit that was refused (已拒收), noted only
    nothing_to_report: bool = False  # the unit declared 本年度无依申请公开等事项，各表均为 0 (read as zeros)

    @property
    def display(self) -> str:
        return f"{self.unit} {self.name}"

    @property
    def state_text(self) -> str:
        """«校验未通过（沿用此前已采用的数据）»: the state, and what the totals hold while it is not 已采用."""
        return f"{self.state}（{self.detail}）" if self.detail else self.state

    @property
    def complete(self) -> bool:
        return self.state_code == ACCEPTED

    @property
    def notes(self) -> tuple[Note, ...]:
        """The justified warnings of the unit's accepted return (none while its latest file is not 已采用)."""
        if not self.complete:
            return ()
        return tuple(
            Note(self.unit, self.name, f.rule, f.location, f.message) for f in self.findings if f.justified
        )


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
    """The latest consolidation of the year as saved: when, who is in it, the bureau totals."""

    consolidated_at: datetime
    format_version: str
    contributing_units: tuple[str, ...]
    tables: tuple[TotalsTable, ...]
    changes: tuple[str, ...] = ()  # «U07 更正：…» of the newest consolidation that changed a total


@dataclass(frozen=True)
class ReportFile:
    name: str
    kind: str
    size: int
    modified: datetime


@dataclass(frozen=True)
class YearSummary:
    """The year at a glance: every unit, the counts, whether the report can be final and, if not, why."""

    year: int
    generated_at: datetime
    deadline: datetime
    timezone: str  # IANA key of the zone times are shown in
    units: tuple[UnitSummary, ...]
    totals: TotalsView | None = None
    reports: tuple[ReportFile, ...] = field(default=())

    def unit(self, code: str) -> UnitSummary:
        for unit in self.units:
            if unit.unit == code:
                return unit
        raise KeyError(code)

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATES, 0)
        for unit in self.units:
            counts[unit.state] += 1
        return counts

    @property
    def accepted(self) -> int:
        return sum(1 for u in self.units if u.complete)

    @property
    def in_totals(self) -> int:
        return sum(1 for u in self.units if u.in_totals)

    @property
    def on_time(self) -> int:
        return sum(1 for u in self.units if u.on_time is True)

    @property
    def late(self) -> int:
        return sum(1 for u in self.units if u.on_time is False)

    @property
    def past_deadline(self) -> bool:
        return self.generated_at > self.deadline

    @property
    def headline(self) -> str:
        return f"{self.accepted}/{len(self.units)} 已采用"

    @property
    def complete(self) -> bool:
        return all(u.complete for u in self.units)

    @property
    def is_draft(self) -> bool:
        return not self.complete

    @property
    def pending(self) -> tuple[UnitSummary, ...]:
        """The units keeping the report a draft, in registry order."""
        return tuple(u for u in self.units if not u.complete)

    @property
    def draft_label(self) -> str:
        return draft_label(self.units)

    @property
    def notes(self) -> tuple[Note, ...]:
        """Every accepted return's justified warnings, in registry order."""
        return notes_of(self.units)

    @property
    def totals_outdated(self) -> bool:
        """The saved totals do not sum the units that now have accepted figures (consolidate again)."""
        if self.totals is None:
            return self.in_totals > 0
        return set(self.totals.contributing_units) != {u.unit for u in self.units if u.in_totals}

    @property
    def problems(self) -> list[str]:
        """What keeps the year from being finished (see :func:`completeness_problems`)."""
        return completeness_problems(self)

    @property
    def zone_name(self) -> str:
        """«北京时间», or the zone's IANA key."""
        return zone_label(ZoneInfo(self.timezone))

    def time(self, value: datetime | str | None, *, with_zone: bool = True) -> str:
        return local_time(value, ZoneInfo(self.timezone), with_zone=with_zone)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: times as ISO 8601, figures as exact strings (never floats), derived facts included."""
        return _jsonable(self)


def draft_label(units: tuple[UnitSummary, ...] | list[UnitSummary]) -> str:
    """``草稿（未完成：未报送 U03 矿产地质调查院；校验未通过（沿用此前已采用的数据） U05 …）``; "" when every
    unit's latest file is 已采用. Units are grouped by what keeps them out, in registry order."""
    groups: dict[str, list[str]] = {}
    for unit in units:
        if not unit.complete:
            groups.setdefault(unit.state_text, []).append(unit.display)
    if not groups:
        return ""
    parts = [f"{reason} {'、'.join(names)}" for reason, names in groups.items()]
    return f"草稿（未完成：{'；'.join(parts)}）"


def notes_of(units: tuple[UnitSummary, ...] | list[UnitSummary]) -> tuple[Note, ...]:
    return tuple(note for unit in units for note in unit.notes)


def year_notes(year: int, store: Store, registry: Registry) -> tuple[Note, ...]:
    """The year's notes (justified warnings of accepted returns) for the report's narrative: the same as the
    status page's, without the rest of the summary."""
    return notes_of(unit_summaries(year, store, registry, with_findings=True))


def unit_summaries(
    year: int,
    store: Store,
    registry: Registry,
    *,
    deadline: datetime | None = None,
    feedback_dir: Path | None = None,
    with_findings: bool = False,
) -> tuple[UnitSummary, ...]:
    """Every reporting unit's standing (registry order). ``with_findings`` adds each latest validation's
    findings and, with ``feedback_dir``, the feedback workbook worth sending."""
    from disclosure.store import unit_name

    deadline = deadline or default_deadline(year)
    current = store.current_submission_ids(year)
    received: dict[str, list[SubmissionInfo]] = {}
    for submission in store.submissions(year):  # oldest first: one query for every unit
        received.setdefault(submission.unit or "", []).append(submission)
    out = []
    for code in registry.reporting_codes():
        files = received.get(code, [])
        valid = [f for f in files if f.status is not SubmissionStatus.REFUSED]
        latest = valid[-1] if valid else (files[-1] if files else None)
        refused = files[-1] if files and files[-1] is not latest else None
        validation = store.latest_validation(latest.id) if latest is not None else None
        unit = _unit(code, unit_name(registry, code), latest, validation, current.get(code), deadline)
        out.append(replace(unit, refused_file=refused.original_name) if refused else unit)
    if with_findings:
        out = [_with_findings(u, store, feedback_dir) for u in out]
    return tuple(out)


def year_summary(
    year: int,
    *,
    store: Store,
    registry: Registry,
    settings: Settings,
    deadline: datetime | None = None,
    now: datetime | None = None,
    spec: FormatSpec | None = None,
) -> YearSummary:
    """The year's summary from the store (states, findings, totals) and the data folder (feedback workbooks,
    report files)."""
    deadline = deadline or default_deadline(year)
    return YearSummary(
        year=year,
        generated_at=now or datetime.now(UTC),
        deadline=deadline,
        timezone=settings.timezone.key,
        units=unit_summaries(
            year,
            store,
            registry,
            deadline=deadline,
            feedback_dir=settings.feedback(year),
            with_findings=True,
        ),
        totals=_totals_view(store.latest_totals(year), spec, _changes(year, store, registry, spec)),
        reports=report_files(settings.reports(year)),
    )


def completeness_problems(summary: YearSummary) -> list[str]:
    """Why the year is not finished, one line each (empty when the report is final and up to date): the run's
    final check fails with these."""
    problems = [f"{u.display}：{u.state_text}" for u in summary.pending]
    if summary.totals is None:
        problems.append("尚未汇总")
    elif summary.totals_outdated:
        problems.append("汇总数据不是最新的（请重新运行汇总）")
    return problems


def summary_email(summary: YearSummary, *, reports_dir: Path | None = None) -> tuple[str, str]:
    """Subject and body of the admin's status email: the same facts as the status page."""
    year = summary.year
    verdict = "草稿（未完成）" if summary.is_draft else "已完成"
    subject = f"{year}年度政府信息公开工作年度报告：{verdict}，{summary.headline}"
    counts = "，".join(f"{state} {n}" for state, n in summary.counts.items() if n)
    lines = [
        f"截至 {summary.time(summary.generated_at)}，{len(summary.units)} 个单位：{counts}。",
        f"报送截止：{summary.time(summary.deadline)}{'（已截止）' if summary.past_deadline else ''}",
        "",
    ]
    for unit in summary.units:
        extra = f"，错误 {unit.errors} 处" if unit.errors else ""
        late = "，逾期报送" if unit.on_time is False else ""
        refused = f"（另收到的《{unit.refused_file}》已拒收）" if unit.refused_file else ""
        lines.append(f"  {unit.display}：{unit.state_text}{extra}{late}{refused}")
    lines.append("")
    lines.append(summary.draft_label or "各单位报表均已采用，报告为正式稿。")
    lines += [f"  - {problem}" for problem in completeness_problems(summary) if "汇总" in problem]
    if summary.notes:
        lines += ["", "已说明的提示（单位已在封面“差异说明”中说明原因，报表已采用）："]
        lines += [f"  {note.display} {note.rule}：{note.message}" for note in summary.notes]
    if summary.totals is not None and summary.totals.changes:
        lines += ["", "汇总数据变更（最近一次）："] + [f"  {change}" for change in summary.totals.changes]
    if reports_dir is not None:
        lines.append(f"报告文件：{reports_dir}")
    return subject, "\n".join(lines)


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


# ---- helpers ------------------------------------------------------------------------------------------------


def _unit(
    code: str,
    name: str,
    latest: SubmissionInfo | None,
    validation: Any,
    current_id: int | None,
    deadline: datetime,
) -> UnitSummary:
    in_totals = current_id is not None
    if latest is None:
        state_code, detail = NOT_SUBMITTED, ""
    else:
        state_code = latest.status.value
        detail = "" if state_code == ACCEPTED else (EARLIER_FIGURES if in_totals else NO_FIGURES)
    activity = [t for t in (latest and latest.received_at, latest and latest.status_changed_at) if t]
    if validation is not None:
        activity.append(validation.started_at)
    return UnitSummary(
        unit=code,
        name=name,
        state=STATE_LABELS[state_code],
        state_code=state_code,
        detail=detail,
        in_totals=in_totals,
        submission_id=latest.id if latest else None,
        current_submission_id=current_id,
        file=latest.original_name if latest else None,
        received_at=latest.received_at if latest else None,
        on_time=None if latest is None else latest.received_at <= deadline,
        errors=validation.errors if validation else None,
        warnings=validation.warnings if validation else None,
        last_activity=max(activity, default=None),
    )


def _with_findings(unit: UnitSummary, store: Store, feedback_dir: Path | None) -> UnitSummary:
    if unit.submission_id is None:
        return unit
    validation = store.latest_validation(unit.submission_id)
    findings = tuple(_finding_line(f) for f in validation.findings) if validation else ()
    # Only a return with findings has a feedback workbook worth sending: an accepted resubmission under the
    # same file name must not offer the old one.
    feedback = None
    if feedback_dir is not None and (unit.errors or unit.warnings):
        feedback = feedback_file(feedback_dir, unit.unit, unit.file)
    return replace(
        unit,
        findings=findings,
        feedback_file=feedback.name if feedback else None,
        nothing_to_report=_declared_empty(store, unit.submission_id),
    )


def _declared_empty(store: Store, submission_id: int | None) -> bool:
    """Whether the submission's cover declares 本年度无依申请公开等事项 (its figures were read as zeros)."""
    if submission_id is None:
        return False
    reading = store.readings([submission_id]).get(submission_id) or {}
    return bool((reading.get("meta") or {}).get("nothing_to_report"))


def _changes(year: int, store: Store, registry: Registry, spec: FormatSpec | None) -> tuple[str, ...]:
    from disclosure.total_changes import latest_changes

    return tuple(c.message for c in latest_changes(year, store, registry, spec))


def _named_for(name: str, unit: str) -> bool:
    # «U05-反馈.xlsx», «U05_2020_feedback.xlsx», «2020-U05-校验反馈.xlsx»: the code as a whole token
    tokens = name.rsplit(".", 1)[0].replace("_", "-").replace(" ", "-").split("-")
    return unit in tokens


def _finding_line(finding: StoredFinding) -> FindingLine:
    location = f"{finding.sheet}!{finding.cell}" if finding.sheet and finding.cell else finding.sheet or ""
    return FindingLine(
        rule=finding.rule,
        severity=finding.severity,
        location=location,
        message=finding.message,
        justified=finding.justified,
    )


def _totals_view(
    record: TotalsRecord | None, spec: FormatSpec | None, changes: tuple[str, ...] = ()
) -> TotalsView | None:
    if record is None:
        return None
    if spec is None or spec.version != record.format_version:
        from disclosure.formats import load_spec

        spec = load_spec(record.format_version)
    from disclosure.formats.model import Cell

    tables = []
    for table in spec.tables:
        lines = tuple(
            TotalsLine(
                row=row.id,
                label=row.label,
                level=row.level,
                group=row.group,
                values=tuple(
                    None if row.group else record.values.get(Cell(table.id, row.id, col.id))
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
        contributing_units=record.contributing_units,
        tables=tuple(tables),
        changes=changes,
    )


#: derived facts the JSON carries besides the fields
_DERIVED = (
    "headline", "counts", "accepted", "in_totals", "on_time", "late", "past_deadline", "complete", "is_draft",
    "draft_label", "totals_outdated", "problems", "zone_name", "severity_label", "display", "state_text",
    "notes",
)  # fmt: skip


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        out = {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
        for name in _DERIVED:
            if isinstance(getattr(type(value), name, None), property):
                out[name] = _jsonable(getattr(value, name))
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
