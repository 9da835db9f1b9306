"""A published report that changes is republished as a new revision with its list of changes; the earlier
revision stays in the publish folder; publishing the same totals again is the same revision."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from disclosure.consolidation import consolidate
from disclosure.formats import Cell, load_spec
from disclosure.publication import CHANGE_NOTE, MANIFEST, revisions
from disclosure.registry import load_registry
from disclosure.settings import get_settings
from disclosure.workflow import steps
from tests.unit.store.factories import YEAR, as_figures, unit_values

pytestmark = pytest.mark.unit

NEW_NATURAL = Cell("t3", "new", "natural")


def _accept(store, unit: str, values, name: str) -> None:
    path = get_settings().data_dir / name
    path.write_text(name, encoding="utf-8")
    submission = store.archive_file(path, year=YEAR, unit=unit, format_version="gov-2021")
    store.record_validation(submission.id, [])
    store.accept(submission.id, as_figures(YEAR, unit, values, load_spec("gov-2021")))


def _consolidate_and_render(tmp_path: Path, text: str) -> tuple[int, dict[str, str]]:
    registry, spec = load_registry(), load_spec("gov-2021")
    store = steps.open_store()
    try:
        run_id = consolidate(YEAR, store, registry, spec).save(store)
    finally:
        store.dispose()
    report = tmp_path / f"{YEAR}-report.html"
    report.write_text(text, encoding="utf-8")
    return run_id, {"html": str(report)}


def test_a_changed_report_is_a_new_revision_and_keeps_the_earlier_one(data_dir: Path, tmp_path: Path):
    spec = load_spec("gov-2021")
    values = unit_values(spec, 3)
    store = steps.open_store()
    _accept(store, "U03", values, "u03-a.xlsx")
    store.dispose()
    run1, rendered = _consolidate_and_render(tmp_path, "<p>第一版</p>")
    steps.publish(YEAR, rendered, run_id=run1)
    folder = data_dir / "publish" / str(YEAR)

    # A re-run with the same totals: the same revision, no change note.
    run1b, rendered = _consolidate_and_render(tmp_path, "<p>第一版</p>")
    steps.publish(YEAR, rendered, run_id=run1b)
    assert [(r.revision, r.run) for r in revisions(folder)] == [(1, run1b)]
    assert not (folder / CHANGE_NOTE).exists()

    # U03 corrects a figure after publication: revision 2, revision 1 kept in 第1版/.
    store = steps.open_store()
    _accept(store, "U03", {**values, NEW_NATURAL: values[NEW_NATURAL] + 5}, "u03-b.xlsx")
    store.dispose()
    run2, rendered = _consolidate_and_render(tmp_path, "<p>第二版</p>")
    published = steps.publish(YEAR, rendered, run_id=run2)

    old = values[NEW_NATURAL]
    change = f"U03 更正：第三表（一、本年新收政府信息公开申请数量·自然人） {old} → {old + 5}"
    assert (folder / f"{YEAR}-report.html").read_text(encoding="utf-8") == "<p>第二版</p>"
    assert (folder / "第1版" / f"{YEAR}-report.html").read_text(encoding="utf-8") == "<p>第一版</p>"
    assert str(folder / CHANGE_NOTE) in published
    assert change in (folder / CHANGE_NOTE).read_text(encoding="utf-8")
    history = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    assert [(r["revision"], r["run"], r["changes"]) for r in history] == [(1, run1b, []), (2, run2, [change])]

    # The admin's email lists the change too.
    from datetime import UTC, datetime

    from disclosure.workflow.calendar import prepare
    from disclosure.workflow.notices import status_message

    plan = prepare(year=YEAR, units=["U03"], format_version=None, deadline=None, run_after=datetime.now(UTC))
    _subject, body = status_message(plan)
    assert f"汇总数据变更（最近一次）：\n  {change}" in body
