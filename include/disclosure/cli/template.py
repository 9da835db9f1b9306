"""``disclosure template``: write the fill-in workbook of one unit, or of every unit in the registry."""

from __future__ import annotations

from pathlib import Path

import click

from disclosure.errors import DisclosureError


@click.command(name="template")
@click.option("--year", type=int, required=True, help="报告年度 (report year)")
@click.option("--unit", "unit_code", help="单位代码 (unit code), with --out FILE")
@click.option("--all", "all_units", is_flag=True, help="名册中所有单位 (every unit), with --out DIR")
@click.option(
    "--out", type=click.Path(path_type=Path), required=True, help="输出文件或目录 (output file or folder)"
)
@click.option(
    "--format-version", help="指定格式版本，如 gov-2021 (override the format in force for the year)"
)
@click.option(
    "--units-file", type=click.Path(path_type=Path, exists=True), help="单位名册 YAML (registry file)"
)
def command(
    year: int,
    unit_code: str | None,
    all_units: bool,
    out: Path,
    format_version: str | None,
    units_file: Path | None,
) -> None:
    """写出单位填报模板，并打印写出的文件路径。

    Write fill-in templates generated from the format spec; prints the paths written.
    """
    from disclosure.formats import spec_for_year
    from disclosure.registry import load_registry
    from disclosure.workbook.template import write_template, write_templates

    if all_units == bool(unit_code):
        raise click.UsageError("请指定 --unit CODE 或 --all 之一 (give exactly one of --unit or --all)")
    try:
        spec = spec_for_year(year, format_version)
        registry = load_registry(units_file)
        if all_units:
            if out.exists() and not out.is_dir():
                raise click.UsageError(f"--all 需要一个目录：{out} 是文件")
            paths = write_templates(spec, year, registry.units, out)
        else:
            unit = registry.unit(unit_code or "")
            # --out names the file, or a folder (existing, or without the .xlsx suffix) to put it in
            is_folder = out.is_dir() or out.suffix.lower() != ".xlsx"
            target = out / _file_name(year, unit) if is_folder else out
            paths = [write_template(spec, year, unit.code, unit.name, target)]
    except DisclosureError as exc:
        raise click.UsageError(str(exc)) from exc
    for path in paths:
        click.echo(str(path))


def _file_name(year: int, unit) -> str:
    from disclosure.workbook.template import template_file_name

    return template_file_name(year, unit.code, unit.short_name or unit.name)
