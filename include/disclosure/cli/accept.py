"""``disclosure accept FILE...``: archive, validate and store returns (each file on its own)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from disclosure.cli._store import open_store, store_options
from disclosure.errors import DisclosureError


@click.command(name="accept")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format-version", help="指定格式版本 (override the format in force for each return's year)")
@click.option("--no-docs", is_flag=True, help="不生成 Data Docs (skip the Great Expectations Data Docs)")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON (machine-readable output)")
@store_options
def command(
    files: tuple[Path, ...],
    format_version: str | None,
    no_docs: bool,
    as_json: bool,
    store_url: str | None,
    units_file: Path | None,
) -> None:
    """校验并入库：归档每个文件，校验通过的采用为该单位本年度数据（重新报送的替换旧数据，历史保留）。

    Archive, validate and accept returns. Exit code 0 all accepted, 1 some have findings, 2 some file unusable.
    """
    from disclosure.intake import accept_files
    from disclosure.registry import load_registry
    from disclosure.settings import get_settings

    try:
        registry = load_registry(units_file)
        store = open_store(store_url)
        docs_dir = None if no_docs else get_settings().validation_docs
        results = accept_files(files, store, registry, format_version=format_version, docs_dir=docs_dir)
    except DisclosureError as exc:
        raise click.UsageError(str(exc)) from exc
    store.dispose()
    if as_json:
        click.echo(json.dumps([_as_dict(r) for r in results], ensure_ascii=False, indent=2))
    else:
        for r in results:
            state = r.status.label if r.status else "无法读取"
            who = f"{r.unit or '?'} {r.year or '?'}"
            counts = f"错误 {r.errors}，提示 {r.warnings}" if r.findings else "无问题"
            click.echo(f"{'✓' if r.accepted else '✗'} {r.path.name}：{who} {state}（{counts}）")
            for f in r.findings:
                where = f"［{f.location()}］" if f.location() else ""
                mark = "（已说明）" if f.justified else ""
                click.echo(f"    - {f.rule} {where}{f.message}{mark}")
    if any(not r.usable for r in results):
        raise SystemExit(2)
    if any(not r.accepted for r in results):
        raise SystemExit(1)


def _as_dict(result) -> dict:
    return {
        "file": str(result.path),
        "unit": result.unit,
        "year": result.year,
        "submission_id": result.submission.id if result.submission else None,
        "state": result.status.label if result.status else None,
        "accepted": result.accepted,
        "usable": result.usable,
        "errors": result.errors,
        "warnings": result.warnings,
        "data_docs": str(result.data_docs) if result.data_docs else None,
        "findings": [f.to_dict() for f in result.findings],
    }
