"""What the units and the admin are told: the cover note with each template, the reminder before the deadline,
a unit's failed check, a failed task, the run's summary and its verdict. Chinese, in the office's wording."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from disclosure.workflow.calendar import BUREAU_TZ, RunPlan, displays

#: How many findings the task's failure message lists (the feedback workbook has them all).
SUMMARY_LIMIT = 20


def cover_note(
    plan: RunPlan, unit, registry, template: Path, *, store=None, store_url: str | None = None
) -> tuple[str, str]:
    """Subject and body of the Chinese note sent with a unit's template (``templates/cover_note.txt.j2``);
    with a portal deployed, the unit's link (issued in the open ``store``, else the store at ``store_url``,
    default: the configured one)."""
    from disclosure.formats import load_spec
    from disclosure.portal.links import unit_portal_link
    from disclosure.report.environment import get_environment

    deadline = plan.deadline.astimezone(BUREAU_TZ)
    subject = f"关于报送{plan.year}年政府信息公开工作年度报告数据的通知（{unit.name}）"
    body = (
        get_environment()
        .get_template("cover_note.txt.j2")
        .render(
            unit=unit,
            bureau=registry.bureau,
            year=plan.year,
            deadline=deadline.date(),
            attachment=template.name,
            spec=load_spec(plan.format_version),
            portal_link=unit_portal_link(plan.year, unit.code, deadline, store=store, store_url=store_url),
        )
    )
    return subject, body


def findings_summary(unit: str, file_name: str, findings: Sequence, feedback: Path | None) -> str:
    """The Chinese failure summary of a unit's check, shown in the task log and sent to the admin."""
    lines = [f"{unit} 的报表《{file_name}》未通过校验：{len(findings)} 处问题"]
    for finding in findings[:SUMMARY_LIMIT]:
        where = f"［{finding.location()}］" if finding.location() else ""
        lines.append(f"  - {finding.rule} {where}{finding.message}")
    if len(findings) > SUMMARY_LIMIT:
        lines.append(f"  …… 其余 {len(findings) - SUMMARY_LIMIT} 处见反馈表")
    if feedback is not None:
        lines.append(f"反馈表：{feedback}（请发给该单位修改后重新报送）")
    return "\n".join(lines)


def refusal_summary(unit: str, file_name: str, findings: Sequence) -> str:
    """The Chinese summary of a refused file (已拒收): not a valid return of the unit it claims."""
    lines = [f"{unit} 收到的文件《{file_name}》已拒收（不是该单位的有效报表），该单位的数据未作任何改动："]
    lines += [f"  - {finding.message}" for finding in findings]
    lines.append(
        "如确属该单位的报表，管理员可人工采用（disclosure accept --manual --unit 单位代码 --reason 理由）。"
    )
    return "\n".join(lines)


def reminder_message(plan: RunPlan, missing: list[str]) -> tuple[str, str]:
    """Subject and body of the reminder before the deadline: the units that have sent nothing yet."""
    year = plan.year
    deadline = plan.deadline.astimezone(BUREAU_TZ)
    due = f"{deadline.year}年{deadline.month}月{deadline.day}日{deadline:%H:%M}"
    if not missing:
        return (
            f"{year}年度政府信息公开工作年度报告：各单位均已报送",
            f"截至目前，{len(plan.units)} 个单位均已报送报表。",
        )
    subject = f"【催报提醒】{year}年度政府信息公开工作年度报告：尚有 {len(missing)} 个单位未报送"
    lines = [f"报送截止时间：{due}。以下单位尚未报送{year}年度报表，请督促报送：", ""]
    lines += [f"  {d}" for d in displays(missing)]
    return subject, "\n".join(lines)


def status_message(plan: RunPlan, *, store_url: str | None = None) -> tuple[str, str]:
    """The admin's status email: the year's one summary (``disclosure.status``), the same facts as the status
    page: every unit's state, whether the report is final or a draft and why, where the files are."""
    from disclosure.settings import get_settings
    from disclosure.status import summary_email

    return summary_email(
        year_status(plan, store_url=store_url), reports_dir=get_settings().reports(plan.year)
    )


def failure_message(*, task: str, unit: str, error: str, run_id: str) -> tuple[str, str]:
    where = f"（{unit}）" if unit else ""
    subject = f"【失败】政府信息公开年度报告任务 {task}{where}"
    return subject, f"运行 {run_id} 的任务 {task}{where} 失败：\n\n{error}"


def completeness(plan: RunPlan, *, store_url: str | None = None) -> str:
    """The run's final check, in Chinese ("" when the year is finished): from the year's one summary, each unit
    whose latest file is not 已采用 and why, and totals that are missing or out of date."""
    from disclosure.status import completeness_problems

    return "；".join(completeness_problems(year_status(plan, store_url=store_url)))


def year_status(plan: RunPlan, *, store_url: str | None = None):
    """The year's status summary as of now, with the run's deadline."""
    from disclosure.registry import load_registry
    from disclosure.settings import get_settings
    from disclosure.status import year_summary
    from disclosure.workflow.steps import open_store

    store = open_store(store_url)
    try:
        return year_summary(
            plan.year, store=store, registry=load_registry(), settings=get_settings(), deadline=plan.deadline
        )
    finally:
        store.dispose()
