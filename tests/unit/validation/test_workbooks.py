"""Workbook-based validation: the real-world error classes in filled templates, the feedback workbook, the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from disclosure.formats import Cell, spec_for_year
from disclosure.validation import validate_files
from disclosure.validation.feedback import ERROR_FILL, RESULTS_SHEET
from disclosure.workbook.sample import sample_figures, write_sample_returns

pytestmark = pytest.mark.unit

YEAR = 2021


@pytest.fixture(scope="module")
def samples(tmp_path_factory, registry):
    """The 2021 sample returns, every unit with one real-world fault class, and one clean copy of U01."""
    folder = tmp_path_factory.mktemp("returns")
    faulty = write_sample_returns(YEAR, folder / "faulty", registry, faulty=True)
    clean = write_sample_returns(YEAR, folder / "clean", registry, faulty=False)
    return {r.fault: r for r in faulty}, {r.unit: r for r in clean}


@pytest.fixture(scope="module")
def report(samples, registry, tmp_path_factory):
    """One validation run over all faulty files, with last year's figures (one unit's carry-over broken)."""
    faulty, clean = samples
    data = tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DISCLOSURE_DATA_DIR", str(data))
        spec = spec_for_year(YEAR)
        last = sample_figures(YEAR - 1, registry)
        previous = {code: dict(figures) for code, figures in last.items()}
        # U02's own (clean) return is validated against a carry-over one short: X1 breaks on 自然人
        previous["U02"][Cell("t3", "carried_out", "natural")] += 1
        paths = [r.path for r in faulty.values()] + [clean["U02"].path]
        result = validate_files(paths, year=YEAR, previous=previous, feedback_dir=data / "feedback")
        yield result, spec, data


def _file(report, path: Path):
    return next(r for r in report.files if r.path == path)


def test_every_faulty_file_has_findings_and_docs_are_written(report, samples):
    result, _, data = report
    faulty, _ = samples
    for sample in faulty.values():
        assert _file(result, sample.path).findings, sample.fault
    assert result.exit_code == 1
    assert result.docs and all(p.exists() and p.is_relative_to(data / "validation") for p in result.docs)


def test_r5_total_left_zero(report, samples):
    (finding,) = _file(report[0], samples[0]["r5_total_zero"].path).findings
    assert finding.rule == "R5"
    assert finding.actual == "0" and int(finding.expected) > 0
    assert finding.message.startswith(
        f"第四表 {finding.cell}（行政复议·总计）应为 {finding.expected}（结果维持 "
    )


def test_total_column_left_blank(report, samples):
    # one finding per blank 总计, saying the value R4 gives it (not also R4's "应为 …，实为 空白")
    findings = _file(report[0], samples[0]["r4_total_blank"].path).findings
    assert {f.rule for f in findings} == {"R6"}
    assert all(f.cell.startswith("J") and f.actual == "空白" for f in findings)
    for f in findings:
        assert re.search(
            rf"未填写：按R4 申请人合计（自然人 \d+.*）应为 {f.expected}。请填写 {f.expected}", f.message
        )


def test_old_format_row_in_new_template(report, samples):
    findings = _file(report[0], samples[0]["old_format_row"].path).findings
    template = [f for f in findings if f.rule == "TEMPLATE"]
    assert template and any("（六）其他处理" in f.message for f in template)


def test_altered_label(report, samples):
    findings = _file(report[0], samples[0]["altered_label"].path).findings
    assert [f.rule for f in findings] == ["TEMPLATE"]
    assert "其他法律行政止公开" in findings[0].message and "其他法律行政法规禁止公开" in findings[0].message


def test_amount_with_unit(report, samples):
    (finding,) = _file(report[0], samples[0]["amount_with_unit"].path).findings
    assert finding.rule == "R6" and finding.actual == "251000元"
    assert "25.1" in finding.message and finding.message.startswith("第二表（第二十条第（八）项）")


def test_carry_over_breaks_x1(report, samples):
    (finding,) = _file(report[0], samples[1]["U02"].path).findings
    assert finding.rule == "X1" and finding.cell.endswith("6")
    assert int(finding.expected) == int(finding.actual) + 1


def test_other_year_is_a_template_error(report, samples):
    findings = _file(report[0], samples[0]["wrong_year"].path).findings
    assert any(f.rule == "TEMPLATE" and f.expected == str(YEAR) for f in findings)


def test_feedback_workbook_marks_exactly_the_finding_cells(report, samples):
    from openpyxl import load_workbook

    result = _file(report[0], samples[0]["r4_total_blank"].path)
    assert result.feedback is not None and result.feedback.exists()
    wb = load_workbook(result.feedback)
    marked = set()
    for ws in wb.worksheets:
        if ws.title == RESULTS_SHEET:
            continue
        for row in ws.iter_rows():
            for cell in row:
                if cell.comment is not None:
                    marked.add((ws.title, cell.coordinate))
                    assert cell.fill.fgColor.rgb.endswith(ERROR_FILL)
                    assert "应为" in cell.comment.text or "未填写" in cell.comment.text
                elif cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb.endswith(ERROR_FILL):
                    marked.add((ws.title, cell.coordinate, "fill without comment"))
    assert marked == {(f.sheet, f.cell) for f in result.findings}
    listed = wb[RESULTS_SHEET]
    assert listed.max_row == len(result.findings) + 1
    assert [c.value for c in listed[2]][1] in {"R4", "R6"}


def test_cli_exit_codes_and_json(samples, data_dir):
    from disclosure.cli import main

    faulty, clean = samples
    runner = CliRunner()
    ok = runner.invoke(main, ["validate", str(clean["U01"].path), "--no-docs"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(main, ["validate", str(faulty["r5_total_zero"].path), "--json", "--no-docs"])
    assert bad.exit_code == 1
    (finding,) = json.loads(bad.output)
    assert set(finding) >= {
        "file",
        "unit",
        "rule",
        "severity",
        "sheet",
        "cell",
        "expected",
        "actual",
        "message",
    }
    assert finding["rule"] == "R5" and finding["severity"] == "error"
    missing = runner.invoke(main, ["validate", str(data_dir / "nope.xlsx"), "--no-docs"])
    assert missing.exit_code == 2
    usage = runner.invoke(main, ["validate", str(clean["U01"].path), "--format-version", "gov-1999"])
    assert usage.exit_code == 2


def test_corrected_feedback_workbook_is_a_valid_resubmission(report, samples, tmp_path):
    """Units fix the marked cells in the feedback workbook and send that file back: it must read and pass."""
    from openpyxl import load_workbook

    from disclosure.workbook.reader import read_return

    sample = samples[0]["r5_total_zero"]  # 表四 总计 left 0 while 维持/纠正 are not
    result = _file(report[0], sample.path)
    assert result.feedback is not None and result.findings
    wb = load_workbook(result.feedback)
    for finding in result.findings:
        wb[finding.sheet][finding.cell] = int(finding.expected)  # what the message says the cell should be
    corrected = tmp_path / "resubmitted.xlsx"
    wb.save(corrected)

    fixed = read_return(corrected)  # strict: the extra 校验结果 sheet, fills and comments are not problems
    for finding in result.findings:
        figure = next(f for f in fixed.figures if (f.sheet, f.cell) == (finding.sheet, finding.cell))
        assert figure.value == int(finding.expected)
    resubmitted = validate_files([corrected], year=YEAR, docs=False)
    assert resubmitted.findings == [] and resubmitted.exit_code == 0


def test_feedback_workbooks_of_two_units_with_the_same_file_name_do_not_collide(tmp_path):
    from disclosure.validation.feedback import feedback_path

    a = feedback_path(tmp_path, Path("in/U01/年报.xlsx"), unit="U01")
    b = feedback_path(tmp_path, Path("in/U02/年报.xlsx"), unit="U02")
    assert a != b and a.name == "U01_年报-校验结果.xlsx"
    assert (
        feedback_path(tmp_path, Path("2020_U05_水文.xlsx"), unit="U05").name == "2020_U05_水文-校验结果.xlsx"
    )
