"""The yearly workflow's steps, one function per task of the yearly DAG. No Airflow here.

Each step takes keys (year, unit code) and paths, writes to a place keyed by (year, unit) and returns small
JSON-able values (paths, codes), so a re-run overwrites the same place and the DAG passes no data. The DAG maps
:class:`ReturnInvalid` to a non-retried failure; any other exception is infrastructure and is retried.

The inbox may be a local folder or any path-like object with ``iterdir``/``open``/``stat`` (the DAG passes an
Airflow ``ObjectStoragePath`` for S3, SFTP …): returns are copied to a local staging folder by content hash and
recognised by what their cover sheet says (unit code and year), never by file name.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from disclosure.errors import DisclosureError, ReportError, ReturnInvalid, ReturnReadError

log = logging.getLogger(__name__)

BUREAU_TZ = ZoneInfo("Asia/Shanghai")
#: Returns are due on this day of January of the following year unless the run says otherwise.
DEFAULT_DEADLINE_DAY = 15
DEADLINE_TIME = time(18, 0)
#: Reminder of missing units this long before the deadline.
REMINDER_LEAD = timedelta(days=2)
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".et")


SendTemplate = Callable[[Any, Path, str, str], None]  # (unit, template path, subject, body)


# ----------------------------------------------------------------------------------------------------------------
# prepare
# ----------------------------------------------------------------------------------------------------------------


def default_year(run_after: datetime) -> int:
    """The report year of a run started at ``run_after``: the previous calendar year, in Beijing time."""
    return run_after.astimezone(BUREAU_TZ).year - 1


def default_deadline(year: int) -> datetime:
    return datetime.combine(date(year + 1, 1, DEFAULT_DEADLINE_DAY), DEADLINE_TIME, tzinfo=BUREAU_TZ)


def parse_deadline(raw: str | None, year: int) -> datetime:
    """A date (``2021-01-15``, end of that working day) or an ISO timestamp; naive times are Beijing time."""
    if not raw:
        return default_deadline(year)
    try:
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), DEADLINE_TIME, tzinfo=BUREAU_TZ)
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise DisclosureError(f"报送截止日期格式不正确：{raw!r}（应为 2021-01-15）") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=BUREAU_TZ)


def prepare(
    *,
    year: int | None,
    units: Iterable[str] | None,
    format_version: str | None,
    deadline: str | None,
    run_after: datetime,
) -> dict:
    """Resolve a run's choices: the report year, the units to collect, the format version, the deadline.

    ``units`` empty means every reporting unit of the registry; an unknown code is an error (not ignored).
    """
    from disclosure.formats import spec_for_year
    from disclosure.registry import load_registry

    year = int(year) if year else default_year(run_after)
    registry = load_registry()
    wanted = [u.strip() for u in (units or []) if u and u.strip()]
    codes = registry.reporting_codes()
    unknown = [c for c in wanted if c not in codes]
    if unknown:
        raise DisclosureError(f"单位代码不在名册中：{'、'.join(unknown)}（名册：{'、'.join(codes)}）")
    selected = [c for c in codes if c in wanted] if wanted else codes
    spec = spec_for_year(year, format_version or None)
    return {
        "year": year,
        "format_version": spec.version,
        "deadline": parse_deadline(deadline, year).isoformat(),
        "units": [{"code": c, "display": _display(registry, c)} for c in selected],
        "all_units": codes,
    }


def _display(registry, code: str) -> str:
    if code == registry.bureau.code:
        return f"{code} {registry.bureau.short_name or registry.bureau.name}"
    return registry.unit(code).display


def deadline_of(plan: dict) -> datetime:
    return datetime.fromisoformat(plan["deadline"])


def reminder_time(plan: dict) -> datetime:
    return deadline_of(plan) - REMINDER_LEAD


# ----------------------------------------------------------------------------------------------------------------
# distribute
# ----------------------------------------------------------------------------------------------------------------


def distribute(plan: dict, send: SendTemplate | None = None) -> list[dict]:
    """Write each selected unit's template to ``outbox/<year>/`` and send it with the cover note.

    ``send`` emails one template; without it (no mail server configured) the cover note is only logged.
    Re-running overwrites the same files. Returns the run's units (code, display, template path).
    """
    from disclosure.formats import load_spec
    from disclosure.registry import load_registry
    from disclosure.settings import get_settings
    from disclosure.workbook.template import write_templates

    year = plan["year"]
    registry = load_registry()
    units = [registry.unit(u["code"]) for u in plan["units"] if u["code"] != registry.bureau.code]
    folder = get_settings().outbox(year)
    folder.mkdir(parents=True, exist_ok=True)
    paths = write_templates(load_spec(plan["format_version"]), year, units, folder)
    for unit, path in zip(units, paths, strict=True):
        subject, body = cover_note(plan, unit, registry, path)
        if send is None:
            log.info("未配置邮件服务，未发送。%s → %s <%s>\n%s", path.name, unit.name, unit.email, body)
        else:
            send(unit, path, subject, body)
    templates = {unit.code: str(path) for unit, path in zip(units, paths, strict=True)}
    return [{**u, "template": templates.get(u["code"])} for u in plan["units"]]


def cover_note(plan: dict, unit, registry, template: Path) -> tuple[str, str]:
    """Subject and body of the Chinese note sent with a unit's template (``templates/cover_note.txt.j2``)."""
    from disclosure.formats import load_spec
    from disclosure.portal.links import unit_portal_link
    from disclosure.report.environment import get_environment

    deadline = deadline_of(plan).astimezone(BUREAU_TZ)
    subject = f"关于报送{plan['year']}年政府信息公开工作年度报告数据的通知（{unit.name}）"
    body = (
        get_environment()
        .get_template("cover_note.txt.j2")
        .render(
            unit=unit,
            bureau=registry.bureau,
            year=plan["year"],
            deadline=deadline.date(),
            attachment=template.name,
            spec=load_spec(plan["format_version"]),
            portal_link=unit_portal_link(plan["year"], unit.code, deadline),
        )
    )
    return subject, body


# ----------------------------------------------------------------------------------------------------------------
# inbox
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxFile:
    """A file found in the inbox, its local staged copy and what its cover sheet says."""

    source: str  # where it was found (path or URL)
    name: str
    staged: str  # local copy, named by content hash
    sha256: str
    mtime: float
    unit: str | None
    year: int | None
    problem: str = ""  # why it cannot be identified, in Chinese


@dataclass
class InboxScan:
    """The inbox of one year: the files of each unit (newest first) and the files that are not ours."""

    year: int
    by_unit: dict[str, list[InboxFile]] = field(default_factory=dict)
    strays: list[InboxFile] = field(default_factory=list)

    def newest(self, unit: str) -> InboxFile | None:
        files = self.by_unit.get(unit)
        return files[0] if files else None

    def stray_lines(self, known_units: Iterable[str]) -> list[str]:
        """One Chinese line per file that does not belong to this year's known units."""
        known = set(known_units)
        lines = []
        for f in self.strays:
            if f.problem:
                reason = f.problem
            elif f.unit not in known:
                reason = f"单位代码 {f.unit} 不在单位名册中"
            else:
                reason = f"报告年度为 {f.year}，不是 {self.year}"
            lines.append(f"{f.name}：{reason}")
        return lines


def inbox_folder(year: int) -> Path:
    from disclosure.settings import get_settings

    return get_settings().inbox(year)


def scan_inbox(year: int, inbox: Any | None = None, known_units: Iterable[str] | None = None) -> InboxScan:
    """Identify every workbook in the year's inbox by content; newest file first per unit; strays listed.

    A file belongs to (unit, year) when its cover sheet / template identity says so. A file for an unknown
    unit, for another year, or that cannot be identified at all is a stray: it is reported, never dropped.
    """
    from disclosure.registry import load_registry

    folder = inbox if inbox is not None else inbox_folder(year)
    known = set(known_units) if known_units is not None else set(load_registry().reporting_codes())
    scan = InboxScan(year=year)
    if not folder.exists():
        return scan
    for source in sorted(folder.iterdir(), key=lambda p: p.name):
        if not _is_workbook(source):
            continue
        found = _identify(source)
        if found.unit in known and found.year == year and not found.problem:
            scan.by_unit.setdefault(found.unit, []).append(found)
        else:
            scan.strays.append(found)
    for files in scan.by_unit.values():
        files.sort(key=lambda f: (f.mtime, f.name), reverse=True)
    if scan.strays:
        log.warning(
            "收件箱中有 %d 个文件无法归入本年度单位：\n%s",
            len(scan.strays),
            "\n".join(scan.stray_lines(known)),
        )
    return scan


def find_return(year: int, unit: str, inbox: Any | None = None) -> str | None:
    """The staged local copy of the unit's newest return for the year, or None when it has sent nothing."""
    newest = scan_inbox(year, inbox).newest(unit)
    return newest.staged if newest else None


def missing_units(year: int, units: Iterable[str], inbox: Any | None = None) -> list[str]:
    """Units (codes, in the given order) that have no return for the year in the inbox."""
    scan = scan_inbox(year, inbox)
    return [u for u in units if scan.newest(u) is None]


def _is_workbook(source) -> bool:
    name = source.name
    return source.is_file() and name.lower().endswith(WORKBOOK_SUFFIXES) and not name.startswith(("~$", "."))


def _staging_dir() -> Path:
    from disclosure.settings import get_settings

    folder = get_settings().data_dir / "staging"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _mtime(source) -> float:
    try:
        return float(source.stat().st_mtime)
    except (AttributeError, OSError, TypeError):
        info = source.stat() if hasattr(source, "stat") else {}
        stamp = info.get("mtime") or info.get("LastModified") or info.get("last_modified") or 0
        return stamp.timestamp() if isinstance(stamp, datetime) else float(stamp or 0)


def _identify(source) -> InboxFile:
    """Copy the file to staging (by content hash) and read its identity once; cached next to the copy.

    Every unit's sensor scans the same inbox at the same time, so each copy goes through its own temporary
    file and lands by an atomic rename: a reader never sees a half-written copy or cache.
    """
    staging = _staging_dir()
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=staging, prefix=".incoming-")
    try:
        with source.open("rb") as src, os.fdopen(fd, "wb") as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                digest.update(chunk)
                dst.write(chunk)
        sha = digest.hexdigest()
        staged = staging / f"{sha}{Path(source.name).suffix.lower()}"
        os.replace(tmp_name, staged)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    cache = staging / f"{sha}.identity.json"
    if cache.exists():
        identity = json.loads(cache.read_text(encoding="utf-8"))
    else:
        identity = _read_identity(staged)
        fd, tmp_name = tempfile.mkstemp(dir=staging, prefix=".identity-")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(identity, out, ensure_ascii=False)
        os.replace(tmp_name, cache)
    return InboxFile(
        source=str(source),
        name=source.name,
        staged=str(staged),
        sha256=sha,
        mtime=_mtime(source),
        unit=identity.get("unit"),
        year=identity.get("year"),
        problem=identity.get("problem", ""),
    )


def _read_identity(path: Path) -> dict:
    from disclosure.workbook.reader import read_return

    try:
        meta = read_return(path, strict=False).meta
    except ReturnReadError as exc:
        # A broken file still belongs to its unit when the reader could tell whose it is.
        if exc.unit and not exc.fatal:
            return {"unit": exc.unit, "year": getattr(exc, "year", None), "problem": ""}
        return {
            "unit": exc.unit,
            "year": None,
            "problem": "无法识别：" + "；".join(p.message for p in exc.problems),
        }
    return {"unit": meta.unit_code, "year": int(meta.year), "problem": ""}


# ----------------------------------------------------------------------------------------------------------------
# ingest · validate · accept
# ----------------------------------------------------------------------------------------------------------------


def _store(store_url: str | None):
    from disclosure.settings import get_settings
    from disclosure.store import Store

    store = Store.from_url(store_url or get_settings().store_url)
    store.upgrade()
    return store


def ingest(
    plan: dict, unit: str, path: str | None = None, *, inbox: Any | None = None, store_url: str | None = None
) -> dict:
    """Archive every file the unit sent for the year (nothing is lost) and read the newest one.

    The newest file is looked up again when the step runs (``path``, the file the sensor saw, is only the
    fallback), so clearing a unit's task after it resubmitted reads its new file. Returns the submission id,
    the archived path and the file's name. A file that cannot be read at all raises :class:`ReturnInvalid`
    with the reader's problems, recorded in the store as the submission's findings.
    """
    from disclosure.workbook.reader import read_return

    year = plan["year"]
    files = scan_inbox(year, inbox).by_unit.get(unit, [])
    if not files and not (path and Path(path).is_file()):
        raise ReturnInvalid(unit, f"收件箱中没有 {unit} 的 {year} 年度报表")
    store = _store(store_url)
    try:
        known = {s.sha256 for s in store.submissions(year, unit)}
        for older in reversed(
            files[1:]
        ):  # oldest first, so the newest is archived last: the latest submission
            if older.sha256 not in known:
                store.archive_file(Path(older.staged), year=year, unit=unit, original_name=older.name)
        newest_path, newest_name = (files[0].staged, files[0].name) if files else (path, Path(path).name)
        submission = store.archive_file(Path(newest_path), year=year, unit=unit, original_name=newest_name)
        archived = store.archived_path(submission)
        try:
            read_return(archived, strict=False)
        except ReturnReadError as exc:
            store.record_validation(submission.id, exc.problems)
            raise ReturnInvalid(unit, f"{unit} 的报表《{newest_name}》无法读取：\n{exc}") from exc
        return {"submission": submission.id, "path": str(archived), "name": newest_name}
    finally:
        store.dispose()


def validate(
    plan: dict, unit: str, ingested: dict, *, inbox: Any | None = None, store_url: str | None = None
) -> dict:
    """Check the unit's newest return against every rule of its format (cross-year rules against last
    year's accepted figures) and record the findings in the store.

    When the unit has sent a newer file since ``ingested`` (the admin cleared this task after a
    resubmission), that file is ingested first and validated instead. On errors (or unexplained warnings)
    the feedback workbook is written to ``feedback/<year>/`` and :class:`ReturnInvalid` lists the findings in
    Chinese; re-validating the same file gives the same result.
    """
    from disclosure.settings import get_settings
    from disclosure.validation import validate_files

    year = plan["year"]
    settings = get_settings()
    current = ingest(plan, unit, ingested["path"], inbox=inbox, store_url=store_url)
    if current["submission"] != ingested["submission"]:
        log.info("%s 已重新报送《%s》：校验新文件（提交 #%s）", unit, current["name"], current["submission"])
    ingested = current
    # Validate a copy under the unit's own file name, so findings and the feedback workbook carry that name.
    work = settings.data_dir / "work" / str(year) / unit
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    copy = work / ingested["name"]
    shutil.copyfile(ingested["path"], copy)
    store = _store(store_url)
    try:
        report = validate_files(
            [copy],
            format_version=plan["format_version"],
            previous=store.current_figures(year - 1),
            feedback_dir=settings.feedback(year),
        )
        result = report.files[0]
        store.record_validation(
            ingested["submission"], result.findings, report.docs[0] if report.docs else None
        )
    finally:
        store.dispose()
    blocking = [f for f in result.findings if f.blocks_acceptance]
    if result.unit_return is not None and result.unit_return.unit != unit:
        raise ReturnInvalid(
            unit, f"文件《{ingested['name']}》封面上的单位代码为 {result.unit_return.unit}，不是 {unit}"
        )
    if not blocking and result.usable:
        return {**ingested, "warnings": len(result.findings)}
    raise ReturnInvalid(
        unit, findings_summary(unit, ingested["name"], blocking, result.feedback), result.feedback
    )


#: How many findings the task's failure message lists (the feedback workbook has them all).
SUMMARY_LIMIT = 20


def findings_summary(unit: str, file_name: str, findings: list, feedback: Path | None) -> str:
    """The Chinese failure summary shown in the task log and sent to the admin."""
    lines = [f"{unit} 的报表《{file_name}》未通过校验：{len(findings)} 处问题"]
    for finding in findings[:SUMMARY_LIMIT]:
        where = f"［{finding.location()}］" if finding.location() else ""
        lines.append(f"  - {finding.rule} {where}{finding.message}")
    if len(findings) > SUMMARY_LIMIT:
        lines.append(f"  …… 其余 {len(findings) - SUMMARY_LIMIT} 处见反馈表")
    if feedback is not None:
        lines.append(f"反馈表：{feedback}（请发给该单位修改后重新报送）")
    return "\n".join(lines)


def accept(plan: dict, unit: str, validated: dict, *, store_url: str | None = None) -> str:
    """Make the validated return the unit's current figures for the year (已采用); returns the unit code."""
    from disclosure.workbook.reader import read_return

    store = _store(store_url)
    try:
        unit_return = read_return(Path(validated["path"]), strict=False)
        count = store.accept(validated["submission"], unit_return.figures)
        log.info("%s：已采用 %d 个数据（提交 #%s）", unit, count, validated["submission"])
        return unit
    finally:
        store.dispose()


# ----------------------------------------------------------------------------------------------------------------
# consolidate · render · publish
# ----------------------------------------------------------------------------------------------------------------


def consolidate(plan: dict, *, store_url: str | None = None) -> dict:
    """Sum every reporting unit's latest accepted return (whether or not this run collected it) into the
    bureau totals, record them, and write them as the bureau's own return workbook in ``reports/<year>/``.
    While units are missing or invalid the totals are a draft and say so."""
    from disclosure.consolidation import consolidate as sum_returns
    from disclosure.consolidation import validate_totals, write_consolidated_return
    from disclosure.formats import load_spec
    from disclosure.registry import load_registry
    from disclosure.settings import get_settings

    year = plan["year"]
    registry = load_registry()
    spec = load_spec(plan["format_version"])
    settings = get_settings()
    store = _store(store_url)
    try:
        totals = sum_returns(year, store, registry, spec)
        # The bureau's own figures go through the units' suite before anything is rendered or published.
        findings, docs = validate_totals(totals, store, registry, spec, docs_dir=settings.validation_docs)
        run_id = totals.save(store, findings=findings, data_docs=docs)
    finally:
        store.dispose()
    errors = [f for f in findings if f.is_error]
    for finding in errors:
        log.error("汇总数据校验：%s", finding.message)
    if errors and not totals.is_draft:
        # A draft's cross-year checks compare a partial sum with last year's totals: logged, not fatal.
        raise ReportError(
            f"{year} 年度汇总数据有 {len(errors)} 处未通过校验，报告不予生成：{errors[0].message}"
        )
    folder = settings.reports(year)
    folder.mkdir(parents=True, exist_ok=True)
    workbook = write_consolidated_return(
        totals, spec, registry, folder / f"{year}_{registry.bureau.code}_汇总.xlsx"
    )
    if totals.is_draft:
        log.warning("%d 年度汇总为%s", year, totals.draft_label)
    return {
        "run": run_id,
        "draft": totals.is_draft,
        "draft_label": totals.draft_label,
        "findings": len(findings),
        "missing": list(totals.missing_units),
        "invalid": list(totals.invalid_units),
        "contributing": list(totals.contributing_units),
        "workbook": str(workbook),
    }


def render(plan: dict, totals: dict, *, store_url: str | None = None) -> dict:
    """Render the report from the consolidation recorded by :func:`consolidate` into ``reports/<year>/``
    (marked as a draft listing the missing units when incomplete); returns {kind: path}."""
    from disclosure.formats import load_spec
    from disclosure.registry import load_registry
    from disclosure.report.render import render_report
    from disclosure.settings import get_settings

    year = plan["year"]
    store = _store(store_url)
    try:
        record = store.latest_totals(year)
    finally:
        store.dispose()
    if record is None or record.run_id != totals["run"]:
        raise DisclosureError(f"{year} 年度的汇总记录已变化（期望 #{totals['run']}），请重新运行汇总")
    registry = load_registry()
    files = render_report(
        year=year,
        spec=load_spec(plan["format_version"]),
        totals=record.values,
        registry=registry,
        out_dir=get_settings().reports(year),
        draft_missing=_registry_display([*totals["missing"], *totals["invalid"]]),
    )
    rendered = {kind: str(getattr(files, kind)) for kind in ("docx", "html", "xlsx", "csv", "json")}
    rendered["workbook"] = totals["workbook"]
    return rendered


def publish(plan: dict, rendered: dict) -> list[str]:
    """Copy the approved report files to ``publish/<year>/`` (overwriting an earlier publication)."""
    from disclosure.settings import get_settings

    folder = get_settings().publish(plan["year"])
    folder.mkdir(parents=True, exist_ok=True)
    published = []
    for path in sorted({Path(p) for p in rendered.values()}):
        target = folder / path.name
        shutil.copy2(path, target)
        published.append(str(target))
    return published


# ----------------------------------------------------------------------------------------------------------------
# messages to the admin and the run's verdict
# ----------------------------------------------------------------------------------------------------------------


def _registry_display(codes: Iterable[str]) -> list[str]:
    from disclosure.registry import load_registry

    registry = load_registry()
    return [_display(registry, c) if c in registry.reporting_codes() else c for c in codes]


def reminder_message(plan: dict, missing: list[str]) -> tuple[str, str]:
    """Subject and body of the reminder before the deadline: the units that have sent nothing yet."""
    year = plan["year"]
    deadline = deadline_of(plan).astimezone(BUREAU_TZ)
    due = f"{deadline.year}年{deadline.month}月{deadline.day}日{deadline:%H:%M}"
    if not missing:
        return (
            f"{year}年度政府信息公开工作年度报告：各单位均已报送",
            f"截至目前，{len(plan['units'])} 个单位均已报送报表。",
        )
    subject = f"【催报提醒】{year}年度政府信息公开工作年度报告：尚有 {len(missing)} 个单位未报送"
    lines = [f"报送截止时间：{due}。以下单位尚未报送{year}年度报表，请督促报送：", ""]
    lines += [f"  {d}" for d in _registry_display(missing)]
    return subject, "\n".join(lines)


def status_message(plan: dict, accepted_now: list[str], *, store_url: str | None = None) -> tuple[str, str]:
    """The run's summary for the admin: every unit's state, whether the report is complete, where it is."""
    from disclosure.registry import load_registry
    from disclosure.settings import get_settings

    year = plan["year"]
    registry = load_registry()
    store = _store(store_url)
    try:
        rows = store.status(year, registry)
        totals = store.latest_totals(year)
    finally:
        store.dispose()
    draft = bool(totals and totals.is_draft)
    state = "草稿（未完成）" if draft or totals is None else "已完成"
    subject = f"{year}年度政府信息公开工作年度报告：{state}"
    lines = [f"本次运行处理 {len(plan['units'])} 个单位，{len(accepted_now)} 个单位的报表已采用。", ""]
    lines += [f"  {row.unit} {row.name}：{row.state}" for row in rows]
    if totals is not None and totals.draft_label:
        lines += ["", totals.draft_label]
    lines += ["", f"报告文件：{get_settings().reports(year)}"]
    return subject, "\n".join(lines)


def failure_message(*, task: str, unit: str, error: str, run_id: str) -> tuple[str, str]:
    where = f"（{unit}）" if unit else ""
    subject = f"【失败】政府信息公开年度报告任务 {task}{where}"
    return subject, f"运行 {run_id} 的任务 {task}{where} 失败：\n\n{error}"


def completeness(plan: dict, accepted_now: list[str], *, store_url: str | None = None) -> str:
    """Why this run is not complete, in Chinese ("" when it is): units of this run that were not accepted,
    and units the report still lacks (no accepted return, or a rejected latest submission)."""
    not_accepted = [u["code"] for u in plan["units"] if u["code"] not in set(accepted_now)]
    store = _store(store_url)
    try:
        totals = store.latest_totals(plan["year"])
    finally:
        store.dispose()
    problems = []
    if not_accepted:
        problems.append("本次运行未采用（未报送或未通过校验）：" + "、".join(_registry_display(not_accepted)))
    if totals is None:
        problems.append("尚未生成汇总")
    elif totals.is_draft:
        problems.append(totals.draft_label)
    return "；".join(problems)
