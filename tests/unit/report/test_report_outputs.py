"""HTML accessibility, draft marking, CSV/JSON exports, the templates folder and number formatting."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from disclosure.errors import ReportError
from tests.seed_2020 import seed_figures

pytestmark = pytest.mark.unit


class _Tables(HTMLParser):
    """Collects what an accessibility check needs: table names, headings, header cells, ids, data cells' headers."""

    def __init__(self) -> None:
        super().__init__()
        self.lang = None
        self.tables = 0
        self.captions: list[str] = []
        self.headings: dict[str, str] = {}  # h2 id -> text
        self.labelled_by: list[str] = []
        self._heading: str | None = None
        self.th: list[dict[str, str | None]] = []
        self.td_headers: list[str | None] = []
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "table":
            self.tables += 1
            self.labelled_by.append(a.get("aria-labelledby"))
        elif tag == "h2":
            self._heading = a.get("id") or ""
            self.headings[self._heading] = ""
        elif tag == "caption":
            self._in_caption = True
            self.captions.append("")
        elif tag == "th":
            self.th.append(a)
        elif tag == "td" and "headers" in a:
            self.td_headers.append(a["headers"])

    def handle_endtag(self, tag):
        if tag == "caption":
            self._in_caption = False
        elif tag == "h2":
            self._heading = None

    def handle_data(self, data):
        if self._heading is not None:
            self.headings[self._heading] += data
        if self._in_caption:
            self.captions[-1] += data


def test_html_tables_are_accessible(seed_report, spec2019):
    page = _Tables()
    page.feed(seed_report.html.read_text(encoding="utf-8"))
    assert page.lang == "zh-CN"
    # one heading per table: the section's <h2> names it; no second caption repeats it
    assert page.captions == []
    assert [page.headings[i] for i in page.labelled_by] == [
        s.heading for s in spec2019.sections if s.kind == "tables"
    ]
    assert all(th.get("scope") in {"col", "colgroup", "row", "rowgroup"} for th in page.th)
    ids = {th["id"] for th in page.th}
    assert len(ids) == len(page.th)  # ids are unique
    assert len(page.td_headers) == sum(1 for _ in spec2019.cells())
    for headers in page.td_headers:
        assert headers and set(headers.split()) <= ids


def test_html_figure_cell_names_all_its_headers(seed_report):
    html = seed_report.html.read_text(encoding="utf-8")
    # 三, row 1.本机关不掌握相关政府信息, column 商业企业: 申请人情况 (id of its first column), 法人或其他组织,
    # 商业企业, then the row path 三、本年度办理结果 / （四）无法提供 / 1.本机关不掌握相关政府信息
    expected = (
        'headers="t3-h0-natural t3-h1-business t3-c-business t3-r-results t3-r-unable t3-r-unable_not_held"'
    )
    assert expected in html


def test_html_has_the_same_prose(seed_report):
    html = seed_report.html.read_text(encoding="utf-8")
    assert "本年度受理依申请公开1件次" in html
    assert '<span class="lead">（一）加强组织领导，层层压实责任。</span>' in html
    assert "<strong>压实领导责任</strong>" in html
    assert "《自治区党委办公厅人民政府印发&lt;关于深入推进全区预决算公开工作的意见&gt;的通知》" in html


def test_draft_is_marked_in_every_output(spec2019, registry, data_dir, tmp_path):
    from docx import Document
    from openpyxl import load_workbook

    from disclosure.report import render_report

    files = render_report(
        year=2020,
        spec=spec2019,
        totals=seed_figures(),
        registry=registry,
        out_dir=tmp_path,
        draft_label="草稿（未完成：未报送 U03 矿产地质调查院；校验未通过（无可用数据） U07 地质灾害防治中心）",
    )
    note = "草稿（未完成：未报送 U03 矿产地质调查院；校验未通过（无可用数据） U07 地质灾害防治中心）"
    document = Document(str(files.docx))
    assert note in [p.text for p in document.paragraphs][:5]  # under the title
    assert note in document.sections[0].header.paragraphs[0].text
    assert f'<p class="draft" role="status">{note}</p>' in files.html.read_text(encoding="utf-8")
    assert note in load_workbook(files.xlsx).worksheets[0]["A1"].value
    assert json.loads(files.json.read_text(encoding="utf-8"))["draft_label"] == note


def test_final_report_has_no_draft_marking(seed_report):
    from docx import Document

    document = Document(str(seed_report.docx))
    assert not any("草稿" in p.text for p in document.paragraphs)
    assert "草稿" not in seed_report.html.read_text(encoding="utf-8")


def test_csv_and_json_carry_official_labels(seed_report, spec2019):
    with seed_report.csv.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == sum(1 for _ in spec2019.cells())
    by_key = {(r["表格编号"], r["行编号"], r["列编号"]): r for r in rows}
    amount = by_key[("t2_9", "central_procurement", "purchase_amount")]
    assert (amount["表格"], amount["行"], amount["列"], amount["单位"], amount["数值"]) == (
        "第二十条第（九）项",
        "政府集中采购",
        "采购总金额（万元）",
        "万元",
        "3421.7",
    )
    row = by_key[("t3", "unable_not_held", "business")]
    assert row["行"] == "三、本年度办理结果 / （四）无法提供 / 1.本机关不掌握相关政府信息"
    assert row["列"] == "申请人情况 / 法人或其他组织 / 商业企业"
    document = json.loads(seed_report.json.read_text(encoding="utf-8"))
    assert (document["year"], document["format_version"], document["draft"]) == (2020, "gov-2019", False)
    values = {(f["table_id"], f["row_id"], f["column_id"]): f["value"] for f in document["figures"]}
    assert values[("t2_9", "central_procurement", "purchase_amount")] == "3421.7"  # a decimal, never a float
    assert values[("t3", "new", "total")] == 1


def test_a_table_figure_missing_from_the_totals_raises(spec2019, registry, data_dir, tmp_path):
    from disclosure.report import render_report

    totals = {k: v for k, v in seed_figures().items() if k != ("t2_1", "rules", "made")}
    with pytest.raises(ReportError, match="规章／本年新制作数量"):
        render_report(year=2020, spec=spec2019, totals=totals, registry=registry, out_dir=tmp_path)


def test_templates_folder_is_found_from_the_installed_package(monkeypatch):
    import disclosure.report.environment as environment

    monkeypatch.delenv("DISCLOSURE_TEMPLATES_DIR", raising=False)
    folder = environment.templates_dir()
    assert folder == Path(__file__).resolve().parents[3] / "templates"
    assert {"report.html.j2", "cover_note.txt.j2", "fee_statement.md.j2"} <= {
        p.name for p in folder.iterdir()
    }


def test_templates_folder_from_the_environment(monkeypatch, tmp_path):
    from disclosure.report.environment import templates_dir

    monkeypatch.setenv("DISCLOSURE_TEMPLATES_DIR", str(tmp_path))
    with pytest.raises(ReportError, match="不是报告模板目录"):
        templates_dir()
    (tmp_path / "report.html.j2").write_text("x", encoding="utf-8")
    assert templates_dir() == tmp_path


def test_cover_note_renders_with_the_deadline(registry, spec2021):
    from datetime import date

    from disclosure.report.environment import get_environment

    unit = registry.units[0]
    text = (
        get_environment()
        .get_template("cover_note.txt.j2")
        .render(
            unit=unit,
            bureau=registry.bureau,
            year=2021,
            deadline=date(2022, 1, 15),
            attachment="U01.xlsx",
            spec=spec2021,
            portal_link=None,
        )
    )
    assert text.startswith(f"{unit.name}：")
    assert "请于2022年1月15日前" in text


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "零"), (10, "十"), (12, "十二"), (20, "二十"), (105, "一百零五"), (1010, "一千零一十")],
)
def test_chinese_numerals(value, text):
    from disclosure.report.environment import chinese_numeral

    assert chinese_numeral(value) == text


@pytest.mark.parametrize(
    ("value", "text"), [(0, "0"), (-3, "-3"), (Decimal("3421.7000"), "3421.7"), (Decimal("100"), "100")]
)
def test_number_format(value, text):
    from disclosure.report.environment import format_number

    assert format_number(value) == text


def test_number_format_refuses_floats():
    from disclosure.report.environment import format_number

    with pytest.raises(ReportError, match="整数或小数"):
        format_number(3421.7)


def test_layouts_of_both_formats_cover_every_cell(spec2019, spec2021):
    from disclosure.report.layout import section_grids

    for spec in (spec2019, spec2021):
        grids = section_grids(spec, {cell: 0 for cell in spec.cells()})
        shown = [c.cell for g in grids for c in g.cells if c.role == "number"]
        assert sorted(shown) == sorted(spec.cells())


def test_quote_patterns_are_validated():
    from pydantic import ValidationError

    from disclosure.formats import Quote

    with pytest.raises(ValidationError, match="needs 1 group"):
        Quote(pattern="受理申请", cell="t3.new.total")
    with pytest.raises(ValidationError, match=r"table\.row\.column"):
        Quote(pattern=r"受理(\d+)件", cell="t3.new")
