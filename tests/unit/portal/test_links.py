"""Link generations in the store: first issue, revocation, re-issue (the old link fails, the new one works),
and the audit log of every admin action; ``disclosure links`` end to end."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from disclosure.cli import main
from disclosure.errors import LinkError
from disclosure.portal import audit, links
from tests.unit.portal.conftest import DEADLINE, YEAR

pytestmark = pytest.mark.unit

GRACE = timedelta(days=7)


def _auth(store, keys, link, registry):
    return links.authenticate(store, link.token, keys=keys, grace=GRACE, units=registry.reporting_codes())


def test_first_link_is_issued_once_and_stays_the_same(store, keys, registry):
    first = links.current_link(store, YEAR, "U05", deadline=DEADLINE, keys=keys, actor="admin:a")
    again = links.current_link(store, YEAR, "U05", deadline=DEADLINE, keys=keys, actor="admin:a")
    assert first == again and first.generation == 1
    assert _auth(store, keys, first, registry).unit == "U05"
    assert [e.action for e in audit.events(store, YEAR, "U05")] == [audit.Action.LINK_ISSUED]


def test_reissue_revokes_the_old_link_and_the_new_one_works(store, keys, registry):
    old = links.current_link(store, YEAR, "U05", deadline=DEADLINE, keys=keys, actor="admin:a")
    new = links.reissue(store, YEAR, "U05", deadline=DEADLINE, keys=keys, actor="admin:b")
    assert new.generation == 2 and new.token != old.token
    with pytest.raises(LinkError, match="not live"):
        _auth(store, keys, old, registry)
    assert _auth(store, keys, new, registry).generation == 2
    events = [(e.action, e.detail["generation"], e.actor) for e in audit.events(store, YEAR, "U05")]
    assert events == [
        (audit.Action.LINK_ISSUED, 1, "admin:a"),
        (audit.Action.LINK_REVOKED, 1, "admin:b"),
        (audit.Action.LINK_ISSUED, 2, "admin:b"),
    ]


def test_revoke_leaves_the_unit_without_a_link_until_reissued(store, keys, registry):
    old = links.current_link(store, YEAR, "U05", deadline=DEADLINE, keys=keys, actor="admin:a")
    assert links.revoke(store, YEAR, "U05", actor="admin:a") == 1
    assert links.revoke(store, YEAR, "U05", actor="admin:a") is None  # nothing live to revoke
    assert links.current_link(store, YEAR, "U05", deadline=DEADLINE, keys=keys, actor="admin:a") is None
    with pytest.raises(LinkError):
        _auth(store, keys, old, registry)
    other = links.current_link(store, YEAR, "U06", deadline=DEADLINE, keys=keys, actor="admin:a")
    assert _auth(store, keys, other, registry).unit == "U06"  # other units untouched


def test_a_link_of_another_year_or_unknown_unit_is_refused(store, keys, registry):
    stranger = links.current_link(store, YEAR, "U99", deadline=DEADLINE, keys=keys, actor="admin:a")
    with pytest.raises(LinkError, match="not a reporting unit"):
        _auth(store, keys, stranger, registry)


def test_links_cli_lists_reissues_revokes_and_shows_the_audit(store, keys, monkeypatch):
    monkeypatch.setenv("DISCLOSURE_PORTAL_URL", "https://tb.example.gov.cn/")
    runner = CliRunner()
    deadline = DEADLINE.date().isoformat()

    listed = runner.invoke(main, ["links", "--year", str(YEAR), "--deadline", deadline, "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {r["unit"]: r for r in json.loads(listed.stdout)}
    assert rows["U05"]["url"].startswith("https://tb.example.gov.cn/u/") and rows["U05"]["generation"] == 1

    reissued = runner.invoke(main, ["links", "--year", str(YEAR), "--deadline", deadline, "--reissue", "U05"])
    assert reissued.exit_code == 0 and "第 2 版" in reissued.output
    revoked = runner.invoke(main, ["links", "--year", str(YEAR), "--revoke", "U05"])
    assert revoked.exit_code == 0 and "已作废" in revoked.output
    after = runner.invoke(main, ["links", "--year", str(YEAR), "--unit", "U05", "--json"])
    assert json.loads(after.stdout) == [
        {**json.loads(after.stdout)[0], "url": None, "revoked": True, "generation": None}
    ]

    log = runner.invoke(main, ["links", "--year", str(YEAR), "--audit", "--unit", "U05", "--json"])
    actions = [(e["action"], e["detail"]["generation"]) for e in json.loads(log.stdout)]
    issued, revoked = "portal_link_issued", "portal_link_revoked"
    assert actions == [(issued, 1), (revoked, 1), (issued, 2), (revoked, 2)]

    unknown = runner.invoke(main, ["links", "--year", str(YEAR), "--revoke", "U77"])
    assert unknown.exit_code == 2 and "U77" in unknown.output


def test_cover_note_carries_the_units_live_link_when_a_portal_is_deployed(store, keys, registry, monkeypatch):
    from disclosure.workflow.calendar import RunPlan
    from disclosure.workflow.notices import cover_note

    plan = RunPlan.of(
        {"year": YEAR, "deadline": DEADLINE.isoformat(), "format_version": "gov-2019", "units": []}
    )
    unit = registry.unit("U05")
    monkeypatch.delenv("DISCLOSURE_PORTAL_URL", raising=False)
    _, without = cover_note(plan, unit, registry, Path("2020_U05.xlsx"))
    assert "/u/" not in without and "回复至本邮箱" in without

    monkeypatch.setenv("DISCLOSURE_PORTAL_URL", "https://tb.example.gov.cn")
    _, body = cover_note(plan, unit, registry, Path("2020_U05.xlsx"))
    url = re.search(r"https://tb\.example\.gov\.cn/u/(\S+)", body)
    assert url and "通过本单位专属链接上传" in body
    token = url.group(1)
    claims = links.authenticate(store, token, keys=keys, grace=GRACE, units=registry.reporting_codes())
    assert (claims.unit, claims.year, claims.deadline) == ("U05", YEAR, DEADLINE.replace(microsecond=0))


@pytest.mark.postgres
@pytest.mark.integration
def test_link_generations_on_postgresql(keys, registry, data_dir):
    from disclosure.store import Store
    from tests.store_backends import postgres_database

    with postgres_database() as url:
        store = Store.from_url(url, archive_dir=data_dir / "archive")
        store.upgrade()
        try:
            old = links.current_link(store, YEAR, "U05", deadline=DEADLINE, keys=keys, actor="admin:a")
            new = links.reissue(store, YEAR, "U05", deadline=DEADLINE, keys=keys, actor="admin:a")
            with pytest.raises(LinkError):
                _auth(store, keys, old, registry)
            assert _auth(store, keys, new, registry).generation == 2
            assert len(audit.events(store, YEAR, "U05")) == 3
        finally:
            store.dispose()


def test_cover_note_issues_the_link_in_the_store_the_dag_uses(store, keys, registry, monkeypatch, tmp_path):
    """The DAG's store may come from an Airflow connection: the link is issued there, not in the default."""
    from disclosure.store import Store
    from disclosure.workflow.calendar import RunPlan
    from disclosure.workflow.notices import cover_note

    monkeypatch.setenv("DISCLOSURE_PORTAL_URL", "https://tb.example.gov.cn")
    plan = RunPlan.of(
        {"year": YEAR, "deadline": DEADLINE.isoformat(), "format_version": "gov-2019", "units": []}
    )
    url = f"sqlite:///{tmp_path / 'dag-store.sqlite'}"
    _, body = cover_note(plan, registry.unit("U05"), registry, Path("2020_U05.xlsx"), store_url=url)
    token = re.search(r"/u/(\S+)", body).group(1)
    dag_store = Store.from_url(url, archive_dir=tmp_path / "archive")
    try:
        assert _auth(dag_store, keys, links.UnitLink("U05", YEAR, 1, DEADLINE, token), registry).unit == "U05"
    finally:
        dag_store.dispose()
    with pytest.raises(LinkError, match="not live"):
        _auth(store, keys, links.UnitLink("U05", YEAR, 1, DEADLINE, token), registry)
