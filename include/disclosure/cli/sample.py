"""``disclosure sample``: write the sample units' filled returns for a year (optionally with faults)."""

from __future__ import annotations

from pathlib import Path

import click

from disclosure.errors import DisclosureError


@click.command(name="sample")
@click.option("--year", type=int, required=True, help="报告年度 (report year)")
@click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="输出目录 (folder)"
)
@click.option("--faulty", is_flag=True, help="每个单位各带一类错误 (every unit carries one error class)")
@click.option("--faulty-units", help="只让这些单位带错误，逗号分隔，如 U01,U03 (only these units are faulty)")
@click.option(
    "--units-file", type=click.Path(path_type=Path, exists=True), help="单位名册 YAML (registry file)"
)
def command(year: int, out: Path, faulty: bool, faulty_units: str | None, units_file: Path | None) -> None:
    """生成示例单位的填报表（可带错误），并打印每个文件路径及所带错误。

    Write the registry units' filled sample returns; prints each path, with its fault when it has one.
    """
    from disclosure.registry import load_registry
    from disclosure.workbook.sample import write_sample_returns

    if faulty and faulty_units:
        raise click.UsageError(
            "--faulty 与 --faulty-units 只能选一个 (use one of --faulty or --faulty-units)"
        )
    chosen: bool | list[str] = bool(faulty)
    if faulty_units:
        chosen = [code.strip() for code in faulty_units.split(",") if code.strip()]
    try:
        results = write_sample_returns(year, out, load_registry(units_file), faulty=chosen)
    except (DisclosureError, KeyError, ValueError) as exc:
        raise click.UsageError(str(exc)) from exc
    for r in results:
        click.echo(f"{r.path}\t{r.fault}：{r.change}" if r.fault else str(r.path))
