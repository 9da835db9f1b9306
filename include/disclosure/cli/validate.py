"""``disclosure validate``: validate returned workbooks against the format spec with Great Expectations."""

from __future__ import annotations

import json
from pathlib import Path

import click

from disclosure.errors import DisclosureError


@click.command(name="validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出问题清单 (print the findings as JSON)")
@click.option(
    "--feedback",
    "feedback_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="写出标注问题的反馈工作簿到此目录 (write feedback workbooks to DIR)",
)
@click.option(
    "--format-version", help="指定格式版本，如 gov-2021 (override the format in force for the year)"
)
@click.option("--year", type=int, help="收集的报告年度：其他年度的表报错 (the year being collected)")
@click.option("--no-docs", is_flag=True, help="不生成 Data Docs (skip the GX Data Docs of the run)")
def command(
    files: tuple[Path, ...],
    as_json: bool,
    feedback_dir: Path | None,
    format_version: str | None,
    year: int | None,
    no_docs: bool,
) -> None:
    """校验填报表：核对模板签名，列出全部问题（规则、单元格、应为、实为、修改说明）。不入库。

    Check returns exactly as the intake does (signed identity first, then every rule in one Great Expectations
    run), without storing anything. Exit 0: valid (warnings allowed); 1: refused or at least one error;
    2: a file cannot be used at all, or wrong usage.
    """
    from disclosure.intake import identity_findings
    from disclosure.registry import load_registry
    from disclosure.settings import get_settings
    from disclosure.validation import validate_files

    try:
        registry = load_registry()
        keys = get_settings().secret_keys

        def screen(ret, file: str):
            return identity_findings(ret.meta, registry=registry, keys=keys, file=file)[0]

        report = validate_files(
            list(files),
            format_version=format_version,
            year=year,
            docs=not no_docs,
            feedback_dir=feedback_dir,
            screen=screen,
        )
    except DisclosureError as exc:
        raise click.UsageError(str(exc)) from exc

    if as_json:
        click.echo(json.dumps([f.to_dict() for f in report.findings], ensure_ascii=False, indent=2))
    else:
        _print_human(report)
    raise SystemExit(report.exit_code)


def _print_human(report) -> None:
    from disclosure.validation.findings import SEVERITY_LABELS

    for result in report.files:
        errors = sum(1 for f in result.findings if f.is_error)
        warnings = len(result.findings) - errors
        if not result.usable:
            verdict = "无法使用"
        elif result.refused:
            verdict = "拒收（不是本单位的有效报表）"
        elif errors:
            verdict = f"未通过：{errors} 个错误，{warnings} 个提示"
        elif warnings:
            verdict = f"通过（{warnings} 个提示）"
        else:
            verdict = "通过"
        unit = f"［{result.unit}］" if result.unit else ""
        click.echo(f"{result.path}{unit}：{verdict}")
        for f in result.findings:
            where = f" {f.location()}" if f.location() else ""
            note = "（已说明）" if f.justified else ""
            click.echo(f"  - [{f.rule} {SEVERITY_LABELS[f.severity]}{note}]{where} {f.message}")
        if result.feedback is not None:
            click.echo(f"  反馈工作簿：{result.feedback}")
    for index in report.docs:
        click.echo(f"Data Docs：{index}")
