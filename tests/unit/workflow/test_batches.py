"""Batches of units (``workflow.batches``): one unit each up to the threshold, chunks above, the label each
mapped instance shows in the grid, and the threshold and chunk size from the one settings module."""

from __future__ import annotations

import pytest

from disclosure.errors import SettingsError
from disclosure.settings import get_settings
from disclosure.workflow.batches import Batch, BatchUnit, make_batches

pytestmark = pytest.mark.unit


def _units(n: int) -> list[BatchUnit]:
    return [BatchUnit(f"U{i:04d}", f"U{i:04d} 第{i}单位", f"/outbox/U{i:04d}.xlsx") for i in range(1, n + 1)]


@pytest.mark.parametrize("n", [1, 12, 100])
def test_up_to_the_threshold_every_unit_is_its_own_batch_named_after_it(n):
    batches = make_batches(_units(n), threshold=100, size=100)
    assert [b.codes for b in batches] == [[u.code] for u in _units(n)]
    assert batches[0].label == "U0001 第1单位"


def test_above_the_threshold_units_go_in_chunks_in_plan_order():
    batches = make_batches(_units(1000), threshold=100, size=100)
    assert [len(b.units) for b in batches] == [100] * 10
    assert batches[1].label == "U0101–U0200（100 个单位）"
    assert [c for b in batches for c in b.codes] == [u.code for u in _units(1000)]


def test_the_last_chunk_holds_the_rest_and_a_lone_rest_is_named_after_its_unit():
    assert [b.label for b in make_batches(_units(11), threshold=4, size=5)] == [
        "U0001–U0005（5 个单位）",
        "U0006–U0010（5 个单位）",
        "U0011 第11单位",
    ]


def test_a_batch_crosses_xcom_as_plain_json():
    [batch] = make_batches(_units(3), threshold=2, size=5)
    data = batch.to_dict()
    assert data["units"][0] == {"code": "U0001", "display": "U0001 第1单位", "template": "/outbox/U0001.xlsx"}
    assert Batch.of(data) == batch


def test_threshold_and_chunk_size_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("DISCLOSURE_CHUNK_THRESHOLD", raising=False)
    monkeypatch.delenv("DISCLOSURE_CHUNK_SIZE", raising=False)
    assert get_settings().chunking == (100, 100)
    monkeypatch.setenv("DISCLOSURE_CHUNK_THRESHOLD", "4")
    monkeypatch.setenv("DISCLOSURE_CHUNK_SIZE", "5")
    assert get_settings().chunking == (4, 5)
    monkeypatch.setenv("DISCLOSURE_CHUNK_SIZE", "0")
    with pytest.raises(SettingsError, match="DISCLOSURE_CHUNK_SIZE must be positive"):
        _ = get_settings().chunking
