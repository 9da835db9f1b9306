"""Submissions as records (migration 0002): channel, sender, receipt key, verified signature, the stored
reading, the inbox's seen-files cache, the 已拒收 state and the audit trail; on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from disclosure.errors import StoreError
from disclosure.store import Channel, Store, SubmissionStatus
from tests.unit.store.factories import YEAR

pytestmark = pytest.mark.unit


def test_a_submission_keeps_its_channel_sender_and_source(store: Store, received_file):
    path = received_file("u05.xlsx", "U05 return")
    sub = store.archive_file(
        path, year=YEAR, unit="U05", channel=Channel.PORTAL, sender="U05", source="portal upload"
    )
    again = store.submission(sub.id)
    assert (again.channel, again.sender, again.source, again.signature_verified) == (
        "portal",
        "U05",
        "portal upload",
        None,
    )


def test_one_submission_per_receipt_key(store: Store, received_file):
    path = received_file("a.xlsx", "same bytes")
    first = store.archive_file(path, year=YEAR, unit="U01", channel=Channel.INBOX, receipt_key="inbox:x")
    again = store.archive_file(path, year=YEAR, unit="U01", channel=Channel.INBOX, receipt_key="inbox:x")
    assert first.id == again.id and store.submission_by_receipt("inbox:x") == first
    assert len(store.submissions()) == 1


def test_a_refused_submission_is_kept_and_changes_no_figures(store: Store, received_file, submit, spec2021):
    from tests.unit.store.factories import unit_values

    accepted = submit("U01", unit_values(spec2021, 1))  # accepted figures of U01
    before = store.current_figures(YEAR)
    forged = store.archive_file(received_file("f.xlsx", "forged"), year=YEAR, unit="U01")
    summary = store.refuse(
        forged.id,
        [{"rule": "IDENTITY", "severity": "error", "message": "此文件不是发给本单位的报表模板"}],
        signature_verified=False,
    )
    refused = store.submission(forged.id)
    assert refused.status is SubmissionStatus.REFUSED and refused.status.label == "已拒收"
    assert refused.signature_verified is False and summary.errors == 1
    assert store.current_figures(YEAR) == before
    assert store.current_submission_id(YEAR, "U01") == accepted
    # the year's status summary: a refused file never displaces the unit's accepted return, it is noted
    from disclosure.status import unit_summaries

    [row] = [r for r in unit_summaries(YEAR, store, _registry()) if r.unit == "U01"]
    assert (row.state, row.current_submission_id) == ("已采用", accepted)
    assert row.refused_file == refused.original_name


def test_readings_round_trip(store: Store, received_file):
    sub = store.archive_file(received_file("r.xlsx", "r"), year=YEAR, unit="U02")
    store.save_reading(
        sub.id,
        {
            "version": 1,
            "meta": {"unit_code": "U02"},
            "figures": [["t", "r", "c", "1.50", "decimal", "S", "A1", None]],
        },
    )
    assert store.readings([sub.id, 999]) == {
        sub.id: {
            "version": 1,
            "meta": {"unit_code": "U02"},
            "figures": [["t", "r", "c", "1.50", "decimal", "S", "A1", None]],
        }
    }


def test_the_inbox_cache_knows_unchanged_files(store: Store):
    store.remember_inbox_file("/inbox/2021/a.xlsx", 10, 1700000000.25, "a" * 64)
    store.remember_inbox_file("/inbox/2021/a.xlsx", 10, 1700000000.25, "a" * 64)  # twice: no error
    known = store.inbox_hashes(["/inbox/2021/a.xlsx", "/inbox/2021/b.xlsx"])
    assert known == {("/inbox/2021/a.xlsx", 10, 1700000000.25): "a" * 64}


def test_audit_events_are_recorded_and_listed(store: Store, received_file):
    sub = store.archive_file(received_file("m.xlsx", "m"), year=YEAR, unit="U05")
    store.record_event(
        actor="王芳",
        action="manual_acceptance",
        year=YEAR,
        unit="U05",
        submission_id=sub.id,
        detail={"reason": "电话确认"},
    )
    store.record_event(actor="portal", action="upload", year=YEAR, unit="U06")
    [event] = store.events(unit="U05")
    assert (event.actor, event.action, event.submission_id, event.detail) == (
        "王芳",
        "manual_acceptance",
        sub.id,
        {"reason": "电话确认"},
    )
    assert [e.action for e in store.events(year=YEAR)] == ["manual_acceptance", "upload"]
    assert store.events(submission_ids=[sub.id]) == [event]
    with pytest.raises(StoreError, match="操作人"):
        store.record_event(actor="", action="x")


def test_migration_0002_goes_down_and_up_again(tmp_path: Path):
    from disclosure.store.migrations import current_revision, downgrade, upgrade

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    upgrade(url)
    head = current_revision(url)
    assert head >= "0002"
    downgrade(url, "0001")
    assert current_revision(url) == "0001"
    upgrade(url)
    assert current_revision(url) == head


def _registry():
    from disclosure.registry import load_registry

    return load_registry()
