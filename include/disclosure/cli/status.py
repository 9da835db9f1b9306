"""``disclosure status --year Y``: the year's status summary (``disclosure.status``), as the status page shows
it: each unit's state, whether its figures are in the totals, on time or late, and what keeps the report a draft.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from disclosure.cli._store import open_store, store_options
from disclosure.errors import DisclosureError


@click.command(name="status")
@click.option("--year", type=int, required=True, help="报告年度 (report year)")
@click.option(
    "--deadline",
    help="报送截止日期，如 2021-01-15；留空为次年 1 月 15 日 18:00 (returns deadline; default 15 January)",
)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON (machine-readable output)")
@store_options
def command(
    year: int, deadline: str | None, as_json: bool, store_url: str | None, units_file: Path | None
) -> None:
    """查看本年度填报进度：各单位未报送、已提交、校验未通过、已通过或已采用，以及报告是否完成。

    Each unit's state for the year, its latest file, error/warning counts, whether its figures are in the
    totals; then whether the report is final or a draft, and why.
    """
    from disclosure.registry import load_registry
    from disclosure.settings import get_settings
    from disclosure.status import deadline_from, year_summary

    try:
        registry = load_registry(units_file)
        store = open_store(store_url)
        try:
            summary = year_summary(
                year,
                store=store,
                registry=registry,
                settings=get_settings(),
                deadline=deadline_from(deadline, year),
            )
        finally:
            store.dispose()
    except DisclosureError as exc:
        raise click.UsageError(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(
        f"{year} 年度填报进度（{len(summary.units)} 个单位，报送截止 {summary.time(summary.deadline)}，"
        f"时间均为{summary.zone_name}）"
    )
    for u in summary.units:
        counts = "" if u.errors is None else f"  错误 {u.errors} 提示 {u.warnings}"
        timing = "" if u.on_time is None else ("（按时）" if u.on_time else "（逾期）")
        file = f"  {u.file}  收到 {summary.time(u.received_at, with_zone=False)}{timing}" if u.file else ""
        totals = "  计入汇总" if u.in_totals else "  未计入汇总"
        click.echo(f"{u.unit:<6} {u.name:<12} {u.state_text}{counts}{totals}{file}")
    click.echo(summary.headline)
    click.echo(summary.draft_label or "各单位报表均已采用，报告为正式稿。")
    if summary.notes:
        click.echo("已说明的提示（单位已在封面“差异说明”中说明原因，报表已采用）：")
        for note in summary.notes:
            click.echo(f"  {note.display} {note.rule}：{note.message}")
