"""``disclosure accept FILE...``: receive, check and accept returns through the intake (each file on its own);
``--manual`` accepts one file by hand for one unit, recorded with who did it and why."""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path

import click

from disclosure.cli._store import open_store, store_options


@click.command(name="accept")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format-version", help="指定格式版本 (override the format in force for each return's year)")
@click.option("--no-docs", is_flag=True, help="不生成 Data Docs (skip the Great Expectations Data Docs)")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON (machine-readable output)")
@click.option(
    "--feedback",
    "feedback_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="写出反馈工作簿到此目录 (write feedback workbooks to DIR)",
)
@click.option(
    "--manual", is_flag=True, help="人工采用：未签名或他单位模板的文件，按 --unit 采用 (accept by hand)"
)
@click.option("--unit", help="人工采用时，文件计为哪个单位的报表 (with --manual: whose return it is)")
@click.option("--reason", help="人工采用的理由，记入审计记录 (with --manual: why; recorded)")
@click.option("--by", "actor", help="操作人，默认当前用户 (who accepts by hand; default $USER)")
@store_options
def command(
    files: tuple[Path, ...],
    format_version: str | None,
    no_docs: bool,
    as_json: bool,
    feedback_dir: Path | None,
    manual: bool,
    unit: str | None,
    reason: str | None,
    actor: str | None,
    store_url: str | None,
    units_file: Path | None,
) -> None:
    """校验并入库：接收每个文件为一次报送，核对模板签名并校验，通过的采用为该单位本年度数据（重新报送的替换旧数据，历史保留）。

    Receive, check and accept returns. Exit code 0 all accepted, 1 some refused or with findings, 2 some file
    unusable or wrong usage.
    """
    from disclosure.intake import accept_by_hand, receive, take_in
    from disclosure.registry import load_registry
    from disclosure.settings import get_settings
    from disclosure.store import Channel

    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise click.UsageError(f"文件不存在：{'、'.join(missing)}")
    if manual and not (unit and reason and reason.strip() and len(files) == 1):
        raise click.UsageError("人工采用须指定一个文件、--unit 单位代码和 --reason 理由")
    if not manual and (unit or reason):
        raise click.UsageError("--unit 与 --reason 只用于 --manual 人工采用")
    settings = get_settings()
    registry = load_registry(units_file)
    store = open_store(store_url)
    docs_dir = None if no_docs else settings.validation_docs
    try:
        if manual:
            submission = receive(files[0], channel=Channel.MANUAL, store=store, registry=registry)
            who = actor or os.environ.get("USER") or getpass.getuser()
            results = [
                accept_by_hand(
                    submission.id,
                    unit=str(unit),
                    reason=str(reason),
                    actor=who,
                    store=store,
                    registry=registry,
                    format_version=format_version,
                    feedback_dir=feedback_dir,
                    docs_dir=docs_dir,
                )
            ]
        else:
            results = take_in(
                list(files),
                store=store,
                registry=registry,
                channel=Channel.CLI,
                format_version=format_version,
                feedback_dir=feedback_dir,
                docs_dir=docs_dir,
            )
    finally:
        store.dispose()
    if as_json:
        click.echo(
            json.dumps(
                [_as_dict(p, r) for p, r in zip(files, results, strict=True)], ensure_ascii=False, indent=2
            )
        )
    else:
        for path, r in zip(files, results, strict=True):
            sub = r.submission
            counts = f"错误 {r.errors}，提示 {r.warnings}" if r.findings else "无问题"
            click.echo(
                f"{'✓' if r.accepted else '✗'} {path.name}：{sub.unit or '?'} {sub.year or '?'} "
                f"{sub.status.label}（报送 #{sub.id}，{counts}）"
            )
            for f in r.findings:
                where = f"［{f.location()}］" if f.location() else ""
                mark = "（已说明）" if f.justified else ""
                click.echo(f"    - {f.rule} {where}{f.message}{mark}")
            if r.feedback is not None:
                click.echo(f"    反馈工作簿：{r.feedback}")
    if any(not r.usable for r in results):
        raise SystemExit(2)
    if any(not r.accepted for r in results):
        raise SystemExit(1)


def _as_dict(path: Path, result) -> dict:
    sub = result.submission
    return {
        "file": str(path),
        "unit": sub.unit,
        "year": sub.year,
        "submission_id": sub.id,
        "channel": sub.channel,
        "state": sub.status.label,
        "state_code": sub.status.value,
        "signature_verified": sub.signature_verified,
        "accepted": result.accepted,
        "usable": result.usable,
        "errors": result.errors,
        "warnings": result.warnings,
        "data_docs": str(result.data_docs) if result.data_docs else None,
        "feedback": str(result.feedback) if result.feedback else None,
        "findings": [f.to_dict() for f in result.findings],
    }
