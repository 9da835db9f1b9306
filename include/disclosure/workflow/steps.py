"""The yearly workflow's steps, one function per task of the yearly DAG. No Airflow here.

Each step takes keys (the run plan, a unit code, a submission id) and paths, writes to a place keyed by (year,
unit) and returns small JSON-able values, so a re-run overwrites the same place and the DAG passes no data. A
unit's return goes through the intake (``disclosure.intake``): the sensor's poll receives the inbox, the unit
tasks check and accept the newest submissions by id. They work on a batch of units (``workflow.batches``): one
unit each in a run up to the threshold, a chunk above it; one poll, one query, one GX run and one store session
per batch, states and findings per unit. The DAG maps :class:`ReturnInvalid` to a non-retried failure; any other
exception is infrastructure and is retried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from disclosure.errors import DisclosureError, ReturnInvalid
from disclosure.store import Store, SubmissionInfo, SubmissionStatus
from disclosure.workflow.batches import BatchUnit, make_batches
from disclosure.workflow.calendar import RunPlan
from disclosure.workflow.notices import cover_note, findings_summary, refusal_summary

log = logging.getLogger(__name__)

SendTemplate = Callable[[Any, Path, str, str], None]  # (unit, template path, subject, body)
PlanLike = RunPlan | Mapping[str, Any]


def open_store(store_url: str | None = None) -> Store:
    """The report store (the given URL, else the configured one), migrated to the newest schema (under a lock:
    the DAG's parallel tasks may open a new store at the same moment)."""
    return Store.open(store_url)


# ---- distribute -----------------------------------------------------------------------------------------------


def distribute(
    plan: PlanLike, send: SendTemplate | None = None, *, store_url: str | None = None
) -> list[dict]:
    """Write each selected unit's signed template to ``outbox/<year>/`` and send it with the cover note.

    ``send`` emails one template; without it (no mail server configured) the cover note is only logged.
    Re-running overwrites the same files. Returns the run's batches of units (``workflow.batches``: one unit
    each up to the threshold of ``Settings.chunking``, else chunks), each with its label and its units' codes,
    names and template paths: what the DAG's unit tasks map over.
    """
    from disclosure.formats import load_spec
    from disclosure.registry import load_registry
    from disclosure.settings import get_settings
    from disclosure.workbook.template import write_templates

    plan = RunPlan.of(plan)
    registry = load_registry()
    units = [registry.unit(code) for code in plan.codes if code != registry.bureau.code]
    folder = get_settings().outbox(plan.year)
    folder.mkdir(parents=True, exist_ok=True)
    paths = write_templates(load_spec(plan.format_version), plan.year, units, folder)
    store = open_store(store_url)  # one store for every unit's portal link
    try:
        for unit, path in zip(units, paths, strict=True):
            subject, body = cover_note(plan, unit, registry, path, store=store)
            if send is None:
                log.info("未配置邮件服务，未发送。%s → %s <%s>\n%s", path.name, unit.name, unit.email, body)
            else:
                send(unit, path, subject, body)
    finally:
        store.dispose()
    templates = {unit.code: str(path) for unit, path in zip(units, paths, strict=True)}
    members = [BatchUnit(u.code, u.display, templates.get(u.code)) for u in plan.units]
    threshold, size = get_settings().chunking
    return [batch.to_dict() for batch in make_batches(members, threshold=threshold, size=size)]


# ---- a batch of units (one unit, or a chunk above the threshold): wait (receive) → check → accept ------------


def newest_submissions(
    plan: PlanLike, units: Sequence[str], *, inbox: Any | None = None, store_url: str | None = None
) -> dict[str, SubmissionInfo]:
    """Poll the inbox once (new files become submissions) and return each unit's newest submission of the year
    (by the time the system received it, whichever receiver got it), in one query; a unit that has sent nothing
    is absent."""
    from disclosure.intake import receive_inbox

    plan = RunPlan.of(plan)
    store = open_store(store_url)
    try:
        receive_inbox(plan.year, inbox, store=store)
        return store.latest_submissions(plan.year, units)
    finally:
        store.dispose()


def missing_units(plan: PlanLike, *, inbox: Any | None = None, store_url: str | None = None) -> list[str]:
    """The run's units (codes, in plan order) that have sent nothing for the year (after one inbox poll)."""
    plan = RunPlan.of(plan)
    sent = newest_submissions(plan, plan.codes, inbox=inbox, store_url=store_url)
    return [code for code in plan.codes if code not in sent]


def check_returns(
    plan: PlanLike,
    units: Sequence[str],
    submissions: Mapping[str, int] | None = None,
    *,
    inbox: Any | None = None,
    store_url: str | None = None,
) -> dict[str, list[dict]]:
    """Check the units' newest submissions: whose return each one is, then every rule of its format, all in one
    Great Expectations run; findings and state recorded with each submission, each unit's feedback workbook
    written to ``feedback/<year>/``.

    The newest submissions are looked up again when the step runs (``submissions``, what the sensor saw, may be
    older), so clearing the task after a unit resubmitted checks its new file. A newest submission already
    judged (checked, refused or accepted before) keeps its verdict and is not checked again, so clearing a batch
    re-checks only the units that resubmitted. Returns ``{"passed": [...], "failed": [...]}``, one item per unit
    that has sent something; raises :class:`ReturnInvalid` (in Chinese, naming each unit) when none of them can
    be accepted.
    """
    from disclosure.intake import check_many, earlier_result, receive_inbox
    from disclosure.settings import get_settings

    plan = RunPlan.of(plan)
    feedback_dir = get_settings().feedback(plan.year)
    store = open_store(store_url)
    try:
        receive_inbox(plan.year, inbox, store=store)
        newest = store.latest_submissions(plan.year, units)
        if not newest:
            raise ReturnInvalid("、".join(units), f"没有收到 {'、'.join(units)} 的 {plan.year} 年度报表")
        for code, sub in newest.items():
            if submissions and code in submissions and submissions[code] != sub.id:
                log.info("%s 已重新报送《%s》：校验新文件（报送 #%s）", code, sub.original_name, sub.id)
        fresh = [sub.id for sub in newest.values() if sub.status is SubmissionStatus.RECEIVED]
        # The batch's submissions were looked up by unit, so each is filed under the unit it is for (its verified
        # claim, or the sender a channel authenticated): the identity check needs no expected unit per file.
        checked = {
            r.id: r
            for r in check_many(
                fresh,
                store=store,
                format_version=plan.format_version,
                feedback_dir=feedback_dir,
                docs_dir=get_settings().validation_docs,
            )
        }
        results = {
            code: checked.get(sub.id) or earlier_result(store, sub, feedback_dir)
            for code, sub in newest.items()
        }
    finally:
        store.dispose()
    outcome: dict[str, list[dict]] = {"passed": [], "failed": []}
    for code in (c for c in units if c in results):
        result = results[code]
        name = result.submission.original_name
        item = {"unit": code, "submission": result.id, "name": name}
        if result.passed:
            outcome["passed"].append({**item, "warnings": result.warnings})
            continue
        if result.refused:
            summary = refusal_summary(code, name, result.findings)
        else:
            summary = findings_summary(code, name, result.blocking or result.findings, result.feedback)
        feedback = str(result.feedback) if result.feedback is not None else None
        outcome["failed"].append({**item, "summary": summary, "feedback": feedback})
    if not outcome["passed"]:
        raise batch_failure(outcome["failed"])
    return outcome


def accept_returns(plan: PlanLike, checked: Mapping[str, Any], *, store_url: str | None = None) -> list[str]:
    """Make every submission that passed its check its unit's current figures for the year (已采用); then raise
    :class:`ReturnInvalid` naming each unit whose file did not pass, so the run tells the truth while the good
    units are accepted. Returns the accepted units' codes."""
    from disclosure.intake import accept_many

    store = open_store(store_url)
    try:
        accept_many([int(item["submission"]) for item in checked["passed"]], store=store)  # one transaction
    finally:
        store.dispose()
    if checked["failed"]:
        raise batch_failure(checked["failed"])
    return [item["unit"] for item in checked["passed"]]


def batch_failure(failed: Sequence[Mapping[str, Any]]) -> ReturnInvalid:
    """The data error of units whose files cannot be accepted: one unit's own summary and feedback workbook,
    or, for several, a first line naming them all followed by each unit's summary."""
    if len(failed) == 1:
        [one] = failed
        feedback = Path(one["feedback"]) if one.get("feedback") else None
        return ReturnInvalid(one["unit"], one["summary"], feedback)
    codes = [item["unit"] for item in failed]
    head = f"{len(codes)} 个单位的报表未能采用：{'、'.join(codes)}"
    return ReturnInvalid("、".join(codes), "\n".join([head, *(item["summary"] for item in failed)]))


# ---- consolidate · render · publish ---------------------------------------------------------------------------


def consolidate(plan: PlanLike, *, store_url: str | None = None) -> dict:
    """Sum every reporting unit's latest accepted return (whether or not this run collected it) into the
    bureau totals, check and record them, and write them as the bureau's own return workbook in
    ``reports/<year>/``. While a unit's latest file is not 已采用 the totals are a draft and say why (the year's
    status summary words the label)."""
    from disclosure.consolidation import consolidate_checked, write_consolidated_return
    from disclosure.formats import load_spec
    from disclosure.registry import load_registry
    from disclosure.settings import get_settings
    from disclosure.total_changes import total_changes

    plan = RunPlan.of(plan)
    registry = load_registry()
    spec = load_spec(plan.format_version)
    settings = get_settings()
    store = open_store(store_url)
    try:
        totals, findings, run_id = consolidate_checked(
            plan.year, store, registry, spec, docs_dir=settings.validation_docs
        )
        changes = [c.message for c in total_changes(plan.year, store, registry, spec, run_id=run_id)]
    finally:
        store.dispose()
    for finding in findings:
        if finding.is_error:
            log.error("汇总数据校验：%s", finding.message)
    folder = settings.reports(plan.year)
    folder.mkdir(parents=True, exist_ok=True)
    workbook = write_consolidated_return(
        totals, spec, registry, folder / f"{plan.year}_{registry.bureau.code}_汇总.xlsx"
    )
    if totals.is_draft:
        log.warning("%d 年度汇总为%s", plan.year, totals.draft_label)
    for change in changes:
        log.info("汇总数据变更：%s", change)
    return {
        "run": run_id,
        "draft": totals.is_draft,
        "draft_label": totals.draft_label,
        "findings": len(findings),
        "missing": list(totals.missing_units),
        "invalid": list(totals.invalid_units),
        "contributing": list(totals.contributing_units),
        "changes": changes,
        "workbook": str(workbook),
    }


def render(plan: PlanLike, totals: Mapping[str, Any], *, store_url: str | None = None) -> dict:
    """Render the report from the consolidation recorded by :func:`consolidate` into ``reports/<year>/``
    (marked with the year's draft label when incomplete; a PDF too where LibreOffice is installed); returns
    {kind: path}. A missing or wrong narrative raises :class:`ReportError` naming the file to write."""
    from disclosure.formats import load_spec
    from disclosure.registry import load_registry
    from disclosure.report.render import render_report
    from disclosure.settings import get_settings
    from disclosure.status import year_notes

    plan = RunPlan.of(plan)
    registry = load_registry()
    store = open_store(store_url)
    try:
        record = store.latest_totals(plan.year)
        notes = year_notes(plan.year, store, registry)
    finally:
        store.dispose()
    if record is None or record.run_id != totals["run"]:
        raise DisclosureError(f"{plan.year} 年度的汇总记录已变化（期望 #{totals['run']}），请重新运行汇总")
    files = render_report(
        year=plan.year,
        spec=load_spec(plan.format_version),
        totals=record.values,
        registry=registry,
        out_dir=get_settings().reports(plan.year),
        draft_label=totals["draft_label"],
        pdf=True,
        notes=notes,
    )
    rendered = {kind: str(getattr(files, kind)) for kind in ("docx", "html", "xlsx", "csv", "json")}
    if files.pdf is not None:
        rendered["pdf"] = str(files.pdf)
    rendered["workbook"] = totals["workbook"]
    return rendered


def publish(
    year: int, rendered: Mapping[str, str], *, run_id: int, store_url: str | None = None
) -> list[str]:
    """Publish the approved report files of consolidation run ``run_id`` to ``publish/<year>/``: a new
    revision when the totals differ from the ones published (the earlier revision kept in ``第<n>版/``, the
    changes listed in 修订说明.txt), else the current revision again."""
    from disclosure.formats import load_spec
    from disclosure.publication import publish_revision
    from disclosure.registry import load_registry
    from disclosure.settings import get_settings

    store = open_store(store_url)
    try:
        spec = load_spec(store.totals_run(run_id).format_version)
        revision, published = publish_revision(
            year,
            [Path(p) for p in rendered.values()],
            run_id=run_id,
            folder=get_settings().publish(year),
            store=store,
            registry=load_registry(),
            spec=spec,
        )
    finally:
        store.dispose()
    if revision.changes:
        log.warning(
            "%d 年度报告已发布第 %d 版，汇总数据有变化：\n%s",
            year,
            revision.revision,
            "\n".join(revision.changes),
        )
    return [str(p) for p in published]
