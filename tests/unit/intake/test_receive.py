"""Receiving: a file becomes a submission once, with its channel, sender and reading, whatever the receiver."""

from __future__ import annotations

from pathlib import Path

import pytest

from disclosure.errors import StoreError
from disclosure.intake import guess_identity, receive
from disclosure.registry import Registry
from disclosure.store import Channel, Store, SubmissionStatus
from tests.unit.intake.conftest import YEAR, write_return

pytestmark = [pytest.mark.unit]


@pytest.fixture
def u01(small_registry: Registry, tmp_path: Path) -> Path:
    return write_return(small_registry, "U01", tmp_path / "2021_U01.xlsx")


def test_a_received_file_is_a_submission_with_its_channel_and_reading(store: Store, small_registry, u01):
    submission = receive(u01, channel=Channel.PORTAL, sender="U01", store=store, registry=small_registry)
    assert (submission.unit, submission.year, submission.channel, submission.sender) == (
        "U01",
        YEAR,
        "portal",
        "U01",
    )
    assert submission.status is SubmissionStatus.RECEIVED and submission.status.label == "已提交"
    assert store.archived_path(submission).read_bytes() == u01.read_bytes()
    reading = store.readings([submission.id])[submission.id]
    assert reading["meta"]["unit_code"] == "U01" and reading["meta"]["signature"]
    assert len(reading["figures"]["value"]) > 100


def test_the_same_bytes_through_the_same_receiver_are_one_submission(
    store: Store, small_registry, u01, tmp_path
):
    first = receive(u01, channel=Channel.CLI, store=store, registry=small_registry)
    again = receive(u01, channel=Channel.CLI, store=store, registry=small_registry)
    uploaded = receive(
        u01.read_bytes(), channel=Channel.CLI, original_name="年报.xlsx", store=store, registry=small_registry
    )
    assert first.id == again.id == uploaded.id
    by_portal = receive(u01, channel=Channel.PORTAL, sender="U01", store=store, registry=small_registry)
    assert by_portal.id != first.id
    assert len(store.submissions(YEAR, "U01")) == 2


def test_sending_an_earlier_file_again_after_another_is_a_new_submission(
    store: Store, small_registry, u01, tmp_path
):
    first = receive(u01, channel=Channel.CLI, store=store, registry=small_registry)
    other = write_return(small_registry, "U01", tmp_path / "other.xlsx", {})
    receive(other, channel=Channel.CLI, store=store, registry=small_registry)
    back = receive(u01, channel=Channel.CLI, store=store, registry=small_registry)
    assert back.id != first.id and store.latest_submission(YEAR, "U01").id == back.id


def test_an_inbox_file_is_one_submission_however_often_it_is_seen(store: Store, small_registry, u01):
    key = "inbox:abc"
    first = receive(u01, channel=Channel.INBOX, receipt_key=key, store=store, registry=small_registry)
    again = receive(u01, channel=Channel.INBOX, receipt_key=key, store=store, registry=small_registry)
    assert first.id == again.id and len(store.submissions()) == 1


def test_an_unreadable_file_is_received_too(store: Store, small_registry, tmp_path):
    garbage = tmp_path / "2021_U02_更正.xlsx"
    garbage.write_bytes(b"not a workbook")
    submission = receive(garbage, channel=Channel.CLI, store=store, registry=small_registry)
    assert (submission.unit, submission.year) == ("U02", 2021)  # guessed from the name, for the status only
    reading = store.readings([submission.id])[submission.id]
    assert reading["fatal"] and reading["meta"] is None and reading["problems"]


def test_a_missing_file_or_a_nameless_upload_is_an_error(store: Store, tmp_path):
    with pytest.raises(StoreError, match="文件不存在"):
        receive(tmp_path / "nowhere.xlsx", channel=Channel.CLI, store=store)
    with pytest.raises(StoreError, match="缺少文件名"):
        receive(b"PK", channel=Channel.PORTAL, sender="U01", store=store)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("2021_U01_更正.xlsx", ("U01", 2021)),
        ("U05 水文环境地质调查院 2022.xls", ("U05", 2022)),
        ("scan.pdf", (None, None)),
        ("U01_U02_2021.xlsx", (None, 2021)),  # two units: no guess
        ("U0123.xlsx", (None, None)),
    ],
)
def test_an_unreadable_files_unit_is_guessed_from_its_name(registry, name, expected):
    assert guess_identity(Path(name), registry) == expected
