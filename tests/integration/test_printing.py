"""Pages that print: every workbook the project writes and the report, converted to PDF by LibreOffice (as an
office prints them) and measured with poppler's ``pdftotext -bbox``: the expected number of pages, the cover
on one page, every word inside the page (no column cut at the edge, no table printed column by column), header
rows repeated, no page left half empty before a table.

Skipped only where LibreOffice or poppler is not installed (CI installs both: ``.ci/run``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.seed_2020 import seed_figures

pytestmark = [pytest.mark.integration, pytest.mark.slow]

if not (shutil.which("soffice") and shutil.which("pdftotext")):
    pytest.skip(
        "LibreOffice (soffice) and poppler-utils are needed (.ci/run installs them)", allow_module_level=True
    )


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    words: tuple[tuple[float, float, float, float, str], ...]  # xMin, yMin, xMax, yMax, text

    @property
    def text(self) -> str:
        return "".join(w[4] for w in self.words)

    @property
    def landscape(self) -> bool:
        return self.width > self.height

    @property
    def outside(self) -> list[str]:
        """Words running over the page's edge: a column cut off."""
        return [w[4] for w in self.words if w[0] < 0 or w[2] > self.width + 0.5]

    @property
    def filled(self) -> float:
        """How far down the page the body goes (0–1), leaving out the running header and footer."""
        body = [w for w in self.words if 0.1 * self.height < w[1] < 0.9 * self.height]
        return max((w[3] for w in body), default=0) / self.height


_WORD = re.compile(
    r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">([^<]*)</word>'
)
_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)


def pages_of(source: Path) -> list[Page]:
    """Print ``source`` to PDF with the project's own converter (LibreOffice) and read back its pages."""
    from disclosure.report.pdf import convert_to_pdf

    pdf = convert_to_pdf(source, source.parent / "pdf")
    xml = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [
        Page(
            float(m[1]),
            float(m[2]),
            tuple((float(a), float(b), float(c), float(d), t) for a, b, c, d, t in _WORD.findall(m[3])),
        )
        for m in _PAGE.finditer(xml)
    ]


def assert_nothing_cut(pages: list[Page]) -> None:
    for number, page in enumerate(pages, start=1):
        assert page.width == pytest.approx(595.3, abs=1) or page.height == pytest.approx(595.3, abs=1)  # A4
        assert page.outside == [], f"page {number}: words beyond the page's edge {page.outside[:5]}"


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("printing")


@pytest.mark.parametrize(("year", "pages"), [(2020, 8), (2021, 7)])
def test_the_units_template_prints_with_its_cover_on_one_page(out: Path, registry, year: int, pages: int):
    from disclosure.formats import spec_for_year
    from disclosure.workbook.template import write_template

    unit = registry.unit("U05")
    path = write_template(spec_for_year(year), year, unit.code, unit.name, out / f"template-{year}.xlsx")
    printed = pages_of(path)
    assert_nothing_cut(printed)
    assert len(printed) == pages
    cover = printed[0].text
    # the whole cover on the first page: the title and, last, the format note under the fields
    assert f"{year}年政府信息公开工作年度报告单位填报表" in cover and "填写前请阅读" in cover
    assert not printed[0].landscape
    # 填报说明 on portrait pages, then each table sheet in landscape, scaled to the page's width
    assert "填报说明" in printed[1].text and not printed[1].landscape
    tables = [p for p in printed if p.landscape]
    assert tables and all(
        "信息内容" in p.text or "申请人情况" in p.text or "行政复议" in p.text for p in tables
    )
    # table 三 runs over two pages: its header rows are printed again on the second
    three = [p for p in tables if "收到和处理政府信息公开申请情况" in p.text]
    assert len(three) == 2 and all("申请人情况" in p.text for p in three)


def test_the_feedback_workbook_prints_its_findings_in_full(out: Path, registry):
    from disclosure.formats import Severity, spec_for_year
    from disclosure.validation.feedback import write_feedback
    from disclosure.validation.findings import Finding
    from disclosure.workbook.template import write_template

    unit = registry.unit("U05")
    source = write_template(spec_for_year(2020), 2020, unit.code, unit.name, out / "U05-2020.xlsx")
    sheet = "三、收到和处理政府信息公开申请情况"
    findings = [
        Finding(
            rule="R1",
            severity=Severity.ERROR if n % 3 else Severity.WARNING,
            message=f"第{n}处：第一项加第二项之和（12）不等于第三项加第四项之和（11），请核对本行各列并修改后重新报送",
            sheet=sheet,
            cell=f"D{12 + n}",
            expected="11",
            actual="12",
        )
        for n in range(1, 31)
    ]
    path = write_feedback(source, findings, out / "U05-2020-校验结果.xlsx")
    printed = pages_of(path)
    assert_nothing_cut(printed)
    results = [p for p in printed if "序号" in p.text]  # the header row, repeated on each page
    assert len(results) == 2 and all(p.landscape for p in results)  # 30 findings over two landscape pages
    text = "".join(p.text for p in results)
    for finding in findings:  # every message printed whole (wrapped in its cell, not cut)
        assert re.sub(r"\s", "", finding.message) in text
    assert len(printed) == 2 + 8  # the results, then the unit's own workbook as it prints


def test_the_consolidated_return_prints_like_the_template(out: Path, registry, spec2019):
    from disclosure.consolidation import Totals, write_consolidated_return

    totals = Totals(
        year=2020,
        format_version=spec2019.version,
        bureau=registry.bureau.code,
        values=seed_figures(),
        contributing_units=tuple(registry.codes),
        missing_units=(),
        invalid_units=(),
    )
    path = write_consolidated_return(totals, spec2019, registry, out / "2020_汇总.xlsx")
    printed = pages_of(path)
    assert_nothing_cut(printed)
    assert len(printed) == 8
    assert "单位填报表" in printed[0].text and "填写前请阅读" in printed[0].text
    assert "3421.7" in "".join(p.text for p in printed)


@pytest.fixture(scope="module")
def report(out: Path, spec2019, registry):
    from disclosure.report import render_report

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DISCLOSURE_DATA_DIR", str(out / "data"))
        mp.delenv("DISCLOSURE_TEMPLATES_DIR", raising=False)
        return render_report(
            year=2020,
            spec=spec2019,
            totals=seed_figures(),
            registry=registry,
            out_dir=out / "report",
            pdf=True,
        )


def test_the_tables_workbook_prints_each_table_across_its_page(report):
    printed = pages_of(report.xlsx)
    assert_nothing_cut(printed)
    assert len(printed) == 3  # 二, 三, 四: each on one page, 三 row by row rather than column by column
    assert "申请人情况" in printed[1].text and "总计" in printed[1].text


def test_the_report_prints_with_repeated_headers_and_no_half_empty_page(report):
    assert report.pdf is not None and report.pdf.suffix == ".pdf"  # written by render_report
    printed = pages_of(report.docx)
    assert_nothing_cut(printed)
    assert 8 <= len(printed) <= 11
    assert all(not p.landscape for p in printed)
    # table 三 runs on over pages, its header rows on each
    three = [i for i, p in enumerate(printed) if "一、本年新收政府信息公开申请数量" in p.text]
    assert three, "table 三 not found"
    following = [
        p for p in printed[three[0] + 1 :] if "四、结转下年度继续办理" in p.text or "予以公开" in p.text
    ]
    assert following and all("申请人情况" in p.text for p in following)
    # the page before each table's heading is filled (a table is not pushed to the next page whole)
    for heading in ("二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况"):
        at = next(i for i, p in enumerate(printed) if heading in p.text)
        if at > 0 and not printed[at].text.startswith(heading):
            continue  # the heading is under other text on its page: nothing was pushed
        assert printed[at - 1].filled > 0.6, f"page {at} is half empty before {heading}"
    # the money column of table 二 as the seed prints it
    assert "3421.7" in "".join(p.text for p in printed)


def test_a_report_without_libreoffice_is_written_without_pdf(out: Path, spec2019, registry, monkeypatch):
    from disclosure.report import render_report

    monkeypatch.setenv("DISCLOSURE_DATA_DIR", str(out / "data-nopdf"))
    monkeypatch.setenv("PATH", "/nonexistent")
    stale = out / "nopdf" / "2020-report.pdf"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"an old PDF")
    files = render_report(
        year=2020, spec=spec2019, totals=seed_figures(), registry=registry, out_dir=stale.parent, pdf=True
    )
    assert files.pdf is None and files.docx.is_file()
    assert not stale.exists()  # never a PDF of an older version beside the new report
