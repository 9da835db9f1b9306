"""``disclosure provenance``: where one bureau total comes from (each unit's value, file and cell)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from disclosure.cli._store import open_store, store_options, when
from disclosure.errors import DisclosureError


@click.command(name="provenance")
@click.option("--year", type=int, required=True, help="报告年度 (report year)")
@click.option("--table", "table_id", required=True, help="表格编号，如 t3 (table id from the format spec)")
@click.option("--row", "row_id", required=True, help="行编号，如 new (row id)")
@click.option("--column", "column_id", required=True, help="列编号，如 natural (column id)")
@click.option("--format-version", help="指定格式版本 (override the format in force for the year)")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON (machine-readable output)")
@store_options
def command(
    year: int,
    table_id: str,
    row_id: str,
    column_id: str,
    format_version: str | None,
    as_json: bool,
    store_url: str | None,
    units_file: Path | None,
) -> None:
    """查询一个汇总数字的来源：各单位的数值、文件与单元格。

    Explain one bureau total: each contributing unit's value, file and cell.
    """
    from disclosure.consolidation import provenance
    from disclosure.formats import Cell, spec_for_year
    from disclosure.registry import load_registry
    from disclosure.total_changes import cell_changes

    try:
        spec = spec_for_year(year, format_version)
        registry = load_registry(units_file)
        store = open_store(store_url)
        cell = Cell(table_id, row_id, column_id)
        explained = provenance(year, cell, store, registry, spec)
        changes = cell_changes(year, cell, store, registry, spec)
    except DisclosureError as exc:
        raise click.UsageError(str(exc)) from exc
    except KeyError as exc:  # a table, row or column the format does not have
        raise click.UsageError(str(exc.args[0])) from exc
    store.dispose()
    if as_json:
        data = {**explained.to_dict(), "changes": [c.to_dict() for c in changes]}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    table = spec.table(table_id)
    label = f"{table.title} · {table.row(row_id).label} · {table.column(column_id).display_label}"
    rule = "取局本级填报数" if explained.rule == "bureau" else "各单位之和"
    click.echo(f"{year} 年 {label}：{_fmt(explained.total)}（{rule}）")
    for e in explained.entries:
        where = f"{e.sheet}!{e.cell}" if e.sheet and e.cell else "—"
        click.echo(
            f"  {e.unit:<6} {e.unit_name:<12} {_fmt(e.value):>10}  {e.file}  {where}  （{when(e.received_at)}）"
        )
    counted = {e.unit for e in explained.entries}
    stale = [u for u in explained.invalid_units if u in counted]
    absent = [*explained.missing_units, *(u for u in explained.invalid_units if u not in counted)]
    if absent:
        click.echo(f"  未计入（尚无采用的数据）：{'、'.join(absent)}")
    if stale:
        click.echo(f"  最新报送未通过校验，计入的是上次采用的数据：{'、'.join(stale)}")
    if changes:
        click.echo("  变更记录：")
        for change in changes:
            click.echo(f"    汇总 #{change.to_run}  {change.message}")


def _fmt(value) -> str:
    return "—" if value is None else str(value)
