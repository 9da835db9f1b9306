"""``disclosure consolidate --year Y``: sum the accepted returns into the bureau totals, validate them, save
them, and write them as the bureau's own return workbook (for the supervising office)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from disclosure.cli._store import open_store, store_options
from disclosure.errors import DisclosureError


@click.command(name="consolidate")
@click.option("--year", type=int, required=True, help="报告年度 (report year)")
@click.option("--format-version", help="指定格式版本 (override the format in force for the year)")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="汇总填报表输出路径 (consolidated return workbook; default reports/<year>/<year>_<bureau>_汇总.xlsx)",
)
@click.option("--no-docs", is_flag=True, help="不生成 Data Docs (skip the Great Expectations Data Docs)")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON (machine-readable output)")
@store_options
def command(
    year: int,
    format_version: str | None,
    out: Path | None,
    no_docs: bool,
    as_json: bool,
    store_url: str | None,
    units_file: Path | None,
) -> None:
    """汇总各单位最新采用的数据，按同一套规则校验汇总数，并写出局汇总填报表。

    Consolidate, validate the totals with the units' suite, save them and write the consolidated return.
    Exit code 0 (also for a draft: it is marked as such), 1 when the totals break a rule.
    """
    from disclosure.consolidation import consolidate, validate_totals, write_consolidated_return
    from disclosure.formats import spec_for_year
    from disclosure.registry import load_registry
    from disclosure.settings import get_settings
    from disclosure.total_changes import total_changes

    settings = get_settings()
    try:
        spec = spec_for_year(year, format_version)
        registry = load_registry(units_file)
        store = open_store(store_url)
        totals = consolidate(year, store, registry, spec)
        findings, docs = validate_totals(
            totals, store, registry, spec, docs_dir=None if no_docs else settings.validation_docs
        )
        run_number = totals.save(store, findings=findings, data_docs=docs)
        changes = total_changes(year, store, registry, spec, run_id=run_number)
        target = out or settings.reports(year) / f"{year}_{registry.bureau.code}_汇总.xlsx"
        workbook = write_consolidated_return(totals, spec, registry, target)
    except DisclosureError as exc:
        raise click.UsageError(str(exc)) from exc
    store.dispose()
    errors = [f for f in findings if f.is_error]
    if as_json:
        payload = {
            "year": year,
            "run_id": run_number,
            "format_version": spec.version,
            "is_draft": totals.is_draft,
            "draft_label": totals.draft_label,
            "contributing_units": list(totals.contributing_units),
            "missing_units": list(totals.missing_units),
            "invalid_units": list(totals.invalid_units),
            "workbook": str(workbook),
            "findings": [f.to_dict() for f in findings],
            "changes": [c.to_dict() for c in changes],
            "totals": [
                {"table": c.table, "row": c.row, "column": c.column, "value": None if v is None else str(v)}
                for c, v in totals.values.items()
            ],
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        click.echo(f"{year} 年度汇总（第 {run_number} 次）：{len(totals.contributing_units)} 个单位计入")
        if totals.is_draft:
            click.echo(totals.draft_label)
        for f in findings:
            where = f"［{f.location()}］" if f.location() else ""
            click.echo(f"  - {f.rule} {where}{f.message}")
        if changes:
            click.echo("与上次汇总相比的变更：")
            for change in changes:
                click.echo(f"  {change.message}")
        if docs is not None:
            click.echo(f"Data Docs：{docs}")
        click.echo(f"汇总填报表：{workbook}")
    if errors:
        raise SystemExit(1)
