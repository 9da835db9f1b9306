"""The store subcommands: ``disclosure status``, ``provenance``, ``accept``, ``consolidate`` (exit codes, JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from disclosure.cli import main
from disclosure.consolidation import consolidate
from disclosure.formats import Cell
from disclosure.status import unit_summaries
from disclosure.store import Store
from tests.unit.store.factories import YEAR, as_figures, unit_values

pytestmark = pytest.mark.unit

NEW_NATURAL = Cell("t3", "new", "natural")


@pytest.fixture
def store_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'cli.sqlite'}"


@pytest.fixture
def cli_store(store_url: str, data_dir: Path):
    store = Store.from_url(store_url, archive_dir=data_dir / "archive")
    store.upgrade()
    yield store
    store.dispose()


def accept_values(store: Store, data_dir: Path, spec, unit: str, seed: int, values=None) -> int:
    path = data_dir / f"{YEAR}_{unit}_{seed}.xlsx"
    path.write_text(f"{unit} {seed}")
    submission = store.archive_file(path, year=YEAR, unit=unit)
    store.record_validation(submission.id, [])
    store.accept(submission.id, as_figures(YEAR, unit, values or unit_values(spec, seed), spec))
    return submission.id


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_status_lists_every_unit(cli_store: Store, store_url, data_dir, spec2021, registry):
    accept_values(cli_store, data_dir, spec2021, "U02", 2)
    result = run("status", "--year", str(YEAR), "--store-url", store_url, "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["units"]
    assert [r["unit"] for r in rows] == registry.codes
    assert {r["unit"]: r["state"] for r in rows}["U02"] == "已采用"
    assert rows[0]["state"] == "未报送" and rows[0]["received_at"] is None
    text = run("status", "--year", str(YEAR), "--store-url", store_url).output
    assert "U02" in text and "1/12 已采用" in text and "草稿（未完成：未报送 U01 地质调查院、" in text


def test_provenance_explains_a_total(cli_store: Store, store_url, data_dir, spec2021, registry):
    for seed, unit in enumerate(("U01", "U02"), start=1):
        accept_values(cli_store, data_dir, spec2021, unit, seed)
    args = ["provenance", "--year", str(YEAR), "--table", "t3", "--row", "new", "--column", "natural"]
    result = run(*args, "--store-url", store_url, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    expected = consolidate(YEAR, cli_store, registry, spec2021).values[NEW_NATURAL]
    assert data["total"] == str(expected)
    assert [(e["unit"], e["file"]) for e in data["entries"]] == [
        ("U01", f"{YEAR}_U01_1.xlsx"),
        ("U02", f"{YEAR}_U02_2.xlsx"),
    ]
    text = run(*args, "--store-url", store_url).output
    assert "一、本年新收政府信息公开申请数量" in text and "未计入（尚无采用的数据）：U03" in text


def test_provenance_shows_the_changes_to_the_total(cli_store: Store, store_url, data_dir, spec2021, registry):
    accept_values(cli_store, data_dir, spec2021, "U01", 1)
    accept_values(cli_store, data_dir, spec2021, "U02", 2)
    before = consolidate(YEAR, cli_store, registry, spec2021)
    before.save(cli_store)
    corrected = {**unit_values(spec2021, 2), NEW_NATURAL: unit_values(spec2021, 2)[NEW_NATURAL] + 4}
    accept_values(cli_store, data_dir, spec2021, "U02", 3, values=corrected)
    run_id = consolidate(YEAR, cli_store, registry, spec2021).save(cli_store)
    args = ["provenance", "--year", str(YEAR), "--table", "t3", "--row", "new", "--column", "natural"]
    text = run(*args, "--store-url", store_url).output
    old = before.values[NEW_NATURAL]
    assert (
        f"汇总 #{run_id}  U02 更正：第三表（一、本年新收政府信息公开申请数量·自然人） {old} → {old + 4}"
        in text
    )
    data = json.loads(run(*args, "--store-url", store_url, "--json").output)
    assert [(c["before"], c["after"], [u["unit"] for u in c["units"]]) for c in data["changes"]] == [
        (str(old), str(old + 4), ["U02"])
    ]


@pytest.mark.parametrize(
    ("table", "row", "column", "message"),
    [("t9", "new", "natural", "no table 't9'"), ("t3", "new", "nope", "has no column 'nope'")],
)
def test_provenance_of_an_unknown_cell_is_a_usage_error(cli_store, store_url, table, row, column, message):
    result = run(
        "provenance", "--year", str(YEAR), "--table", table, "--row", row, "--column", column,
        "--store-url", store_url,
    )  # fmt: skip
    assert result.exit_code == 2
    assert message in result.output


def test_accepting_an_unusable_file_exits_2_and_keeps_it(cli_store: Store, store_url, data_dir, registry):
    path = data_dir / f"{YEAR}_U01_地质调查院.xlsx"
    path.write_bytes(b"not a workbook at all")
    result = run("accept", str(path), "--store-url", store_url, "--no-docs", "--json")
    assert result.exit_code == 2, result.output
    [data] = json.loads(result.output)
    assert (data["unit"], data["state"], data["accepted"], data["usable"]) == (
        "U01",
        "校验未通过",
        False,
        False,
    )
    assert unit_summaries(YEAR, cli_store, registry)[0].state_text == "校验未通过（无可用数据）"
    assert (
        cli_store.archived_path(cli_store.submission(data["submission_id"])).read_bytes() == path.read_bytes()
    )


@pytest.mark.slow
def test_consolidate_saves_totals_and_writes_the_bureau_return(
    cli_store: Store, store_url, data_dir, spec2021, registry
):
    from disclosure.workbook.reader import read_return
    from disclosure.workbook.sample import sample_figures

    valid = sample_figures(YEAR, registry)  # consistent returns: their sum passes the same rules
    for seed, unit in enumerate(registry.codes[:11], start=1):
        accept_values(cli_store, data_dir, spec2021, unit, seed, valid[unit])
    out = data_dir / "汇总.xlsx"
    result = run("consolidate", "--year", str(YEAR), "--store-url", store_url, "--out", str(out), "--no-docs")
    assert result.exit_code == 0, result.output
    assert "草稿（未完成：未报送 U12 综合服务中心）" in result.output
    saved = cli_store.latest_totals(YEAR)
    assert saved.is_draft and saved.missing_units == ("U12",)
    returned = read_return(out)
    assert returned.unit == registry.bureau.code and returned.year == YEAR
    assert {Cell(*f.key): f.value for f in returned.figures} == saved.values
    assert "与上次汇总相比的变更" not in result.output  # the year's first consolidation changed nothing
    # U12 sends its return late: the totals it moved are listed as 补报.
    accept_values(cli_store, data_dir, spec2021, "U12", 12, valid["U12"])
    args = ["consolidate", "--year", str(YEAR), "--store-url", store_url, "--out", str(out), "--no-docs"]
    data = json.loads(run(*args, "--json").output)
    moved = [c for c in spec2021.cells() if valid["U12"].get(c) not in (None, 0)]
    assert [(c["table"], c["row"], c["column"]) for c in data["changes"]] == [tuple(c) for c in moved]
    assert all(c["message"].startswith("U12 补报：") for c in data["changes"])
