"""``disclosure links``: each unit's personal portal link for a year; revoke or re-issue one; read the
portal's audit log."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import click

from disclosure.cli._store import open_store, store_options, when
from disclosure.errors import DisclosureError


def _actor() -> str:
    try:
        return f"admin:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in a bare container
        return "admin"


@click.command(name="links")
@click.option("--year", type=int, required=True, help="报告年度 (report year)")
@click.option(
    "--deadline", help="报送截止日期，如 2021-01-15 (returns deadline; default 15 January of the next year)"
)
@click.option("--unit", "only", help="只列出此单位 (only this unit)")
@click.option("--revoke", "revoke_unit", metavar="UNIT", help="作废此单位的链接 (revoke this unit's link)")
@click.option(
    "--reissue",
    "reissue_unit",
    metavar="UNIT",
    help="作废并重新签发此单位的链接 (revoke and issue a new one)",
)
@click.option(
    "--audit",
    "show_audit",
    is_flag=True,
    help="查看审计日志：上传、链接的签发与作废、人工采用 (the audit trail)",
)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON (machine-readable output)")
@store_options
def command(
    year: int,
    deadline: str | None,
    only: str | None,
    revoke_unit: str | None,
    reissue_unit: str | None,
    show_audit: bool,
    as_json: bool,
    store_url: str | None,
    units_file: Path | None,
) -> None:
    """列出各单位本年度的专属填报链接（首次列出时签发），或作废、重新签发某单位的链接，或查看审计日志。

    Print each unit's personal portal link (issued the first time it is asked for), revoke or re-issue one
    unit's link, or read the audit log. Links are valid until the deadline plus DISCLOSURE_PORTAL_GRACE_DAYS.
    """
    from disclosure.portal import audit, links
    from disclosure.registry import load_registry
    from disclosure.settings import get_settings
    from disclosure.workflow.calendar import parse_deadline

    if sum(bool(x) for x in (revoke_unit, reissue_unit, show_audit)) > 1:
        raise click.UsageError("--revoke、--reissue 与 --audit 只能选一个")
    settings = get_settings()
    try:
        registry = load_registry(units_file)
        codes = registry.reporting_codes()
        for code in (only, revoke_unit, reissue_unit):
            if code and code not in codes:
                raise click.UsageError(f"单位代码“{code}”不在报送单位名册中（{', '.join(codes)}）")
        due = parse_deadline(deadline, year)
        keys = settings.secret_keys
        base = settings.portal_url or "http://127.0.0.1:8090"
        store = open_store(store_url)
        actor = _actor()
        if show_audit:
            entries = audit.events(store, year, only)
            if as_json:
                out = [{**e.to_dict(), "action_label": audit.label(e.action)} for e in entries]
                click.echo(json.dumps(out, ensure_ascii=False, indent=2))
            for e in [] if as_json else entries:
                gen = f" 第{e.detail['generation']}版" if e.detail.get("generation") else ""
                client = f" {e.detail['client']}" if e.detail.get("client") else ""
                extra = f" 报送#{e.submission_id}" if e.submission_id else ""
                rest = {k: v for k, v in e.detail.items() if k not in ("generation", "client", "note")}
                note = " ".join(
                    filter(None, [e.detail.get("note", ""), *(f"{k}={v}" for k, v in rest.items())])
                )
                click.echo(
                    f"{when(e.at)}  {e.unit or '—'}  {audit.label(e.action)}{gen}  {e.actor}{client}{extra}  {note}".rstrip()
                )
            return
        if revoke_unit:
            generation = links.revoke(store, year, revoke_unit, actor=actor)
            if generation is None:
                click.echo(f"{revoke_unit} {year} 年度没有有效链接，无需作废")
            else:
                click.echo(f"已作废 {revoke_unit} {year} 年度第 {generation} 版链接；用 --reissue 签发新链接")
            return
        rows = []
        for code in [reissue_unit] if reissue_unit else [c for c in codes if not only or c == only]:
            if reissue_unit:
                link = links.reissue(store, year, code, deadline=due, keys=keys, actor=actor)
            else:
                link = links.current_link(store, year, code, deadline=due, keys=keys, actor=actor)
            rows.append((code, link))
    except DisclosureError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(2) from exc
    expires = due + settings.portal_grace
    if as_json:
        out = [
            {
                "unit": code,
                "year": year,
                "generation": link.generation if link else None,
                "url": link.url(base) if link else None,
                "revoked": link is None,
                "deadline": due.isoformat(),
                "expires": expires.isoformat(),
            }
            for code, link in rows
        ]
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    if reissue_unit:
        click.echo(f"已为 {reissue_unit} 重新签发第 {rows[0][1].generation} 版链接，旧链接已失效：")
    for code, link in rows:
        name = registry.bureau.name if code == registry.bureau.code else registry.unit(code).name
        click.echo(f"{code}\t{name}\t{link.url(base) if link else '（已作废，未重新签发）'}")
    click.echo(f"链接有效至 {when(expires)}（截止日期加宽限 {settings.portal_grace.days} 天）", err=True)
