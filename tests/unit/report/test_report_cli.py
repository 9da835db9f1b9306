"""``disclosure report``: consolidate the store and render; draft while units are missing; exit 1 on R7."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from disclosure.cli import main

pytestmark = pytest.mark.unit

SAMPLE = Path(__file__).resolve().parents[3] / "templates" / "narratives" / "2020.md.j2"


def test_report_from_an_empty_store_is_a_draft_naming_every_unit(data_dir, registry):
    result = CliRunner().invoke(main, ["report", "--year", "2020", "--no-pdf"])
    assert result.exit_code == 0, result.output
    paths = [Path(line) for line in result.stdout.splitlines()]
    assert [p.name for p in paths] == [
        "2020-report.docx",
        "2020-report.html",
        "2020-report-tables.xlsx",
        "2020-totals.csv",
        "2020-totals.json",
    ]
    assert all(p.is_file() and p.parent == data_dir / "reports" / "2020" for p in paths)
    assert "草稿（未完成：未报送 U01 地质调查院、" in result.stderr
    assert all(code in paths[1].read_text(encoding="utf-8") for code in registry.codes)


def test_report_exits_1_when_the_prose_contradicts_the_tables(data_dir, tmp_path):
    narrative = tmp_path / "2020.md.j2"
    text = SAMPLE.read_text(encoding="utf-8").replace('{{ fig("t3", "new", "total") }}件次', "3件次", 1)
    narrative.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["report", "--year", "2020", "--narrative", str(narrative), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert "R7 正文与表格一致" in result.stderr
    assert not (tmp_path / "o").exists()
