"""``disclosure submissions --year Y --unit U05``: every file a unit sent for a year, oldest first, which one is
current and why the others are not."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from disclosure.cli._store import open_store, store_options, when


@click.command(name="submissions")
@click.option("--year", type=int, required=True, help="报告年度 (report year)")
@click.option("--unit", required=True, help="单位代码 (unit code)")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON (machine-readable output)")
@store_options
def command(year: int, unit: str, as_json: bool, store_url: str | None, units_file: Path | None) -> None:
    """列出某单位本年度的全部报送：接收时间、渠道、文件、签名、状态，哪一份为当前采用的数据。

    Every submission of one unit for the year, oldest first: when the system received it, through which
    channel and from whom, the file, whether its signature verified, its state and findings; the current one
    (whose figures the report uses) is marked. Recorded manual actions are listed too.
    """
    store = open_store(store_url)
    try:
        subs = store.submissions(year, unit)
        current_id = store.current_submission_id(year, unit)
        validations = {s.id: store.latest_validation(s.id) for s in subs}
        events = store.events(year=year, unit=unit)
    finally:
        store.dispose()
    if as_json:
        rows = []
        for s in subs:
            row = asdict(s)
            row.update(
                received_at=s.received_at.isoformat(),
                status_changed_at=s.status_changed_at.isoformat(),
                status=s.status.value,
                state=s.status.label,
                current=s.id == current_id,
                findings=[asdict(f) for f in validations[s.id].findings] if validations[s.id] else [],
            )
            rows.append(row)
        click.echo(
            json.dumps(
                {"submissions": rows, "events": [e.to_dict() for e in events]}, ensure_ascii=False, indent=2
            )
        )
        return
    click.echo(f"{unit} {year} 年度报送记录（{len(subs)} 份，按接收时间排列）")
    for s in subs:
        mark = "★当前" if s.id == current_id else "    "
        sender = f"（{s.sender}）" if s.sender else ""
        signed = {True: "签名有效", False: "签名无效", None: "未核验"}[s.signature_verified]
        click.echo(
            f"{mark} #{s.id} {when(s.received_at)} {s.channel}{sender} 《{s.original_name}》 {signed} {s.status.label}"
        )
        summary = validations[s.id]
        for f in (summary.findings if summary else ())[:5]:
            where = f"［{f.sheet}!{f.cell}］" if f.sheet and f.cell else ""
            click.echo(f"        - {f.rule} {where}{f.message}")
    for e in events:
        click.echo(f"  {when(e.at)} {e.actor}：{e.action} #{e.submission_id} {e.detail.get('reason', '')}")
    if current_id is None:
        click.echo("尚无已采用的报送：报告中该单位按未报送处理。")
