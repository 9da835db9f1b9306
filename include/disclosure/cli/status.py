"""``disclosure status --year Y``: one row per unit that must report, with the state of its latest return."""

from __future__ import annotations

import json
from pathlib import Path

import click

from disclosure.cli._store import open_store, store_options, when
from disclosure.errors import DisclosureError


@click.command(name="status")
@click.option("--year", type=int, required=True, help="报告年度 (report year)")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON (machine-readable output)")
@store_options
def command(year: int, as_json: bool, store_url: str | None, units_file: Path | None) -> None:
    """查看各单位本年度填报进度：未提交、已提交、校验未通过、已通过、已采用。

    Each unit's state for the year, its latest file, error/warning counts and last activity.
    """
    from disclosure.registry import load_registry

    try:
        registry = load_registry(units_file)
        store = open_store(store_url)
        rows = store.status(year, registry)
    except DisclosureError as exc:
        raise click.UsageError(str(exc)) from exc
    store.dispose()
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in rows], ensure_ascii=False, indent=2))
        return
    click.echo(f"{year} 年度填报进度（{len(rows)} 个单位）")
    for r in rows:
        counts = "" if r.errors is None else f"  错误 {r.errors} 提示 {r.warnings}"
        file = f"  {r.file}（{when(r.received_at)}）" if r.file else ""
        click.echo(f"{r.unit:<6} {r.name:<12} {r.state:<6}{counts}{file}  最近活动 {when(r.last_activity)}")
    done = sum(1 for r in rows if r.state_code == "accepted")
    click.echo(f"已采用 {done}/{len(rows)}")
