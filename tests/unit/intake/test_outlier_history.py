"""The outlier rules judge a return against what the store accepted through the intake in earlier years: the
sample's 2019 returns taken in first, its 2020 returns then show a justified outlier (accepted), a declared empty
return (accepted as zeros), and in the faulty set last year's figures sent again (not accepted)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from disclosure.formats import Cell
from disclosure.intake import take_in
from disclosure.registry import Registry
from disclosure.store import Store
from disclosure.workbook.sample import JUSTIFICATION, JUSTIFIED_CELL, write_sample_returns

pytestmark = [pytest.mark.unit, pytest.mark.slow]

DECISIONS = Cell("t2_5", "licensing", "decisions")


def _take_in_year(store: Store, registry: Registry, folder: Path, year: int, **faulty):
    files = write_sample_returns(year, folder / str(year), registry, **faulty)
    return {r.submission.unit: r for r in take_in([f.path for f in files], store=store, registry=registry)}


def test_the_2020_sample_after_2019_justified_outlier_and_declared_empty_return(
    store: Store, registry: Registry, tmp_path: Path
):
    first = _take_in_year(store, registry, tmp_path, 2019)
    assert all(r.accepted for r in first.values()), {
        u: r.findings for u, r in first.items() if not r.accepted
    }

    results = _take_in_year(store, registry, tmp_path, 2020)

    assert all(r.accepted for r in results.values()), {
        u: r.findings for u, r in results.items() if not r.accepted
    }
    (note,) = [f for r in results.values() for f in r.findings]  # the series has exactly one outlier
    assert (note.unit, note.rule, note.justified, note.key) == ("U01", "O2", True, JUSTIFIED_CELL)
    assert "上年为 5.12，今年为 1023.45，相差 100 倍以上" in note.message
    assert note.message.endswith(f"单位已在封面“差异说明”中说明：{JUSTIFICATION}")
    # the stored finding keeps it justified (the status page and the narrative's notes read it from there)
    stored = store.latest_validation(results["U01"].id)
    assert [(f.rule, f.justified) for f in stored.findings] == [("O2", True)]
    # U02 declared it had nothing to report: accepted as zeros
    assert set(store.current_figures(2020)["U02"].values()) == {0}

    # the justified warning is one of the year's notes: the status summary's and the narrative's
    from disclosure.settings import Settings
    from disclosure.status import summary_email, year_notes, year_summary

    summary = year_summary(2020, store=store, registry=registry, settings=Settings.from_env())
    assert summary.complete and summary.unit("U02").nothing_to_report
    (listed,) = summary.notes
    assert (listed.display, listed.rule, listed.message) == (
        "U01 地质调查院",
        "O2",
        note.message,
    )
    assert listed.location == f"{note.sheet}!{note.cell}"
    assert year_notes(2020, store, registry) == summary.notes
    assert summary.to_dict()["notes"][0]["message"] == note.message
    body = summary_email(summary)[1]  # the admin's email lists the same notes
    assert (
        f"已说明的提示（单位已在封面“差异说明”中说明原因，报表已采用）：\n  U01 地质调查院 O2：{note.message}"
        in body
    )


def test_the_faulty_sets_copy_of_last_year_is_an_unjustified_outlier(
    store: Store, registry: Registry, tmp_path: Path
):
    _take_in_year(store, registry, tmp_path, 2019)
    results = _take_in_year(store, registry, tmp_path, 2020, faulty=True)
    copy = results["U12"]
    assert not copy.accepted
    assert [(f.rule, f.justified, f.sheet) for f in copy.findings] == [("O3", False, "封面")]
    assert "与本单位2019年度已采用的报表完全相同" in copy.findings[0].message
    assert copy.blocking == copy.findings
    # every unit of the faulty set still fails, and an unjustified warning is no note
    assert not any(r.accepted for r in results.values())
    from disclosure.status import year_notes

    assert year_notes(2020, store, registry) == ()


def test_history_is_the_current_figures_of_earlier_years(store: Store, registry: Registry, tmp_path: Path):
    from tests.unit.intake.conftest import write_return

    two = registry.model_copy(update={"units": registry.units[:2]})
    _take_in_year(store, two, tmp_path, 2019)
    history = store.figure_years([2017, 2018, 2019], ["U01"])
    assert set(history) == {"U01"} and set(history["U01"]) == {2019}
    # a corrected 2019 return replaces the unit's history: the superseded figure is not history any more
    from disclosure.workbook.sample import sample_figures

    corrected = {**sample_figures(2019, two)["U01"], DECISIONS: 4}
    path = write_return(two, "U01", tmp_path / "fix" / "2019_U01_更正.xlsx", corrected, year=2019)
    (result,) = take_in([path], store=store, registry=two)
    assert result.accepted
    assert store.figure_years([2019], ["U01", "U02"])["U01"][2019][DECISIONS] == 4
    assert store.figure_years([2019], ["U02"])["U02"][2019][JUSTIFIED_CELL] == Decimal("7.7")
