"""The inbox receiver: one poll receives new or changed files once; file dates never order resubmissions."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

import disclosure.intake.inbox as inbox_module
from disclosure.intake import receive_inbox, take_in
from disclosure.registry import Registry
from disclosure.settings import get_settings
from disclosure.store import Store
from tests.unit.intake.conftest import YEAR, write_return

pytestmark = [pytest.mark.unit, pytest.mark.slow]


def _inbox() -> Path:
    folder = get_settings().inbox(YEAR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _dated(path: Path, when: float) -> Path:
    os.utime(path, (when, when))
    return path


def test_each_new_file_is_received_once_and_unchanged_files_are_not_hashed_again(
    store: Store, small_registry: Registry, monkeypatch
):
    inbox = _inbox()
    for code in ("U01", "U02"):
        write_return(small_registry, code, inbox / f"{code}.xlsx")
    (inbox / "readme.txt").write_text("not a workbook")
    copies = []
    real = inbox_module._local_copy

    def counted(source):
        copies.append(source.name)
        return real(source)

    monkeypatch.setattr(inbox_module, "_local_copy", counted)
    first = receive_inbox(YEAR, store=store, registry=small_registry)
    assert sorted(s.unit for s in first.received) == ["U01", "U02"]
    second = receive_inbox(YEAR, store=store, registry=small_registry)
    assert second.received == [] and sorted(copies) == ["U01.xlsx", "U02.xlsx"]

    # touched, same bytes: hashed once more, still the same submission
    _dated(inbox / "U01.xlsx", time.time() + 5)
    third = receive_inbox(YEAR, store=store, registry=small_registry)
    assert [s.id for s in third.received] == [s.id for s in first.received if s.unit == "U01"]
    assert len(store.submissions(YEAR)) == 2


def test_a_correction_with_an_older_file_date_becomes_the_newest(
    store: Store, small_registry: Registry, tmp_path
):
    inbox = _inbox()
    now = time.time()
    first = _dated(write_return(small_registry, "U02", inbox / "2021_U02.xlsx"), now)
    receive_inbox(YEAR, store=store, registry=small_registry)
    # the correction was saved last week and copied with its date kept (cp -p, unzipped from mail)
    fixed = write_return(small_registry, "U02", tmp_path / "fix.xlsx", {})
    shutil.copy2(_dated(fixed, now - 7 * 86400), inbox / "2021_U02_更正.xlsx")
    receive_inbox(YEAR, store=store, registry=small_registry)
    newest = store.latest_submission(YEAR, "U02")
    assert newest.original_name == "2021_U02_更正.xlsx"
    assert newest.received_at > store.submissions(YEAR, "U02")[0].received_at
    assert first.exists()


def test_a_file_dated_in_the_future_does_not_win_by_its_date(store: Store, small_registry: Registry):
    inbox = _inbox()
    _dated(write_return(small_registry, "U03", inbox / "a.xlsx"), time.time() + 365 * 86400)
    receive_inbox(YEAR, store=store, registry=small_registry)
    _dated(write_return(small_registry, "U03", inbox / "b.xlsx", {}), time.time())
    receive_inbox(YEAR, store=store, registry=small_registry)
    assert store.latest_submission(YEAR, "U03").original_name == "b.xlsx"


def test_files_that_are_not_this_years_returns_are_reported(store: Store, small_registry, registry, tmp_path):
    inbox = _inbox()
    write_return(registry, "U09", inbox / "u09.xlsx")  # not in the small registry
    write_return(small_registry, "U01", inbox / "last-year.xlsx", year=YEAR - 1)
    (inbox / "scan.xlsx").write_bytes(b"scanned paper")
    receipt = receive_inbox(YEAR, store=store, registry=small_registry)
    assert len(receipt.strays) == 3
    assert any("U09 不在单位名册中" in line for line in receipt.strays)
    assert any("报告年度为 2020" in line for line in receipt.strays)
    assert any(line.startswith("scan.xlsx：无法识别") for line in receipt.strays)


def test_the_inbox_and_the_cli_go_through_the_same_functions(store: Store, small_registry, tmp_path):
    """A file received from the inbox and the same content handed in on the CLI end the same way."""
    from disclosure.intake import check

    inbox = _inbox()
    write_return(small_registry, "U04", inbox / "u04.xlsx")
    [received] = receive_inbox(YEAR, store=store, registry=small_registry).received
    by_inbox = check(received.id, store=store, registry=small_registry)
    [by_cli] = take_in([inbox / "u04.xlsx"], store=store, registry=small_registry)
    assert by_inbox.passed and by_cli.accepted
    assert (received.channel, by_cli.submission.channel) == ("inbox", "cli")
    assert by_inbox.findings == by_cli.findings == []


def _poll(data_dir: str, barrier, reads, results) -> None:
    import disclosure.workbook.reader as reader
    from disclosure.registry import load_registry

    real = reader.read_return

    def counted(*args, **kwargs):
        with reads.get_lock():
            reads.value += 1
        return real(*args, **kwargs)

    reader.read_return = counted
    store = Store.from_url(f"sqlite:///{data_dir}/store.sqlite", archive_dir=Path(data_dir) / "archive")
    registry = load_registry()
    barrier.wait(timeout=60)
    try:
        receipt = receive_inbox(
            YEAR, store=store, registry=registry.model_copy(update={"units": registry.units[:5]})
        )
        results.put(len(receipt.received))
    except Exception as exc:
        results.put(f"{type(exc).__name__}: {exc}")
    finally:
        store.dispose()


def test_sensors_polling_at_the_same_moment_receive_each_file_once(store: Store, small_registry, data_dir):
    import multiprocessing

    inbox = _inbox()
    for code in ("U01", "U02", "U03"):
        write_return(small_registry, code, inbox / f"{code}.xlsx")
    context = multiprocessing.get_context("fork")
    barrier, reads, results = context.Barrier(2), context.Value("i", 0), context.Queue()
    workers = [context.Process(target=_poll, args=(str(data_dir), barrier, reads, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    received = sorted(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
    assert received == [0, 3]  # one poller received the three files, the other found them known
    assert reads.value == 3
    assert len(store.submissions(YEAR)) == 3
