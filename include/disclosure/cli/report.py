"""``disclosure report``: render the year's annual report from the accepted returns in the store."""

from __future__ import annotations

from pathlib import Path

import click

from disclosure.errors import DisclosureError, ReportError


@click.command(name="report")
@click.option("--year", type=int, required=True, help="报告年度 (report year)")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="输出目录，默认 <数据目录>/reports/<年度> (output folder)",
)
@click.option(
    "--format-version", help="指定格式版本，如 gov-2021 (override the format in force for the year)"
)
@click.option(
    "--narrative",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="报告正文文件 (narrative .md.j2), 默认 <数据目录>/narratives/<年度>.md.j2",
)
@click.option(
    "--units-file", type=click.Path(path_type=Path, exists=True), help="单位名册 YAML (registry file)"
)
@click.option(
    "--pdf/--no-pdf",
    default=True,
    show_default=True,
    help="安装了 LibreOffice 时同时生成 PDF (also print the report to PDF when LibreOffice is installed)",
)
def command(
    year: int,
    out: Path | None,
    format_version: str | None,
    narrative: Path | None,
    units_file: Path | None,
    pdf: bool,
) -> None:
    """汇总已采用的填报数据并生成年度报告（.docx、.html、.xlsx、汇总 CSV/JSON，可选 PDF），打印写出的文件路径。

    Consolidate the accepted returns, check the totals with the units' rules exactly as the DAG does, and render
    the report; prints the files written. While units are missing or invalid the report is marked 草稿. Exit 1
    when the report may not or cannot be rendered (the totals break a rule, a figure is missing, the prose
    contradicts the tables); 2 on wrong usage.
    """
    from disclosure.consolidation import consolidate_checked
    from disclosure.formats import spec_for_year
    from disclosure.registry import load_registry
    from disclosure.report import render_report
    from disclosure.settings import get_settings
    from disclosure.status import year_notes
    from disclosure.store.repository import Store

    settings = get_settings()
    try:
        spec = spec_for_year(year, format_version)
        registry = load_registry(units_file)
    except DisclosureError as exc:
        raise click.UsageError(str(exc)) from exc
    store = Store.from_settings(settings)
    try:
        store.upgrade()
        totals, _, _ = consolidate_checked(year, store, registry, spec, docs_dir=settings.validation_docs)
        notes = year_notes(year, store, registry)
        files = render_report(
            year=year,
            spec=spec,
            totals={cell: value for cell, value in totals.values.items() if value is not None},
            registry=registry,
            out_dir=out or settings.reports(year),
            draft_label=totals.draft_label,
            narrative_path=narrative,
            pdf=pdf,
            notes=notes,
        )
    except ReportError as exc:
        click.echo(f"无法生成报告：{exc}", err=True)
        raise SystemExit(1) from exc
    finally:
        store.dispose()
    if totals.draft_label:
        click.echo(f"注意：报告为{totals.draft_label}", err=True)
    for path in (files.docx, files.html, files.xlsx, files.csv, files.json, files.pdf):
        if path is not None:
            click.echo(str(path))
