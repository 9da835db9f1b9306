"""The narrative: the 2020 sample reproduces the seed's prose; missing figures and facts raise; R7 catches prose
numbers that contradict the tables; gov-2021 states the 信息处理费."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from disclosure.errors import ReportError
from disclosure.formats import Cell
from tests.conftest import SEED_FILE
from tests.seed_2020 import seed_figures

pytestmark = pytest.mark.unit

SAMPLE = Path(__file__).resolve().parents[3] / "templates" / "narratives" / "2020.md.j2"


def squash(text: str) -> str:
    return re.sub(r"\s|\*\*", "", text)


def seed_prose(start: str, end: str | None) -> str:
    lines = SEED_FILE.read_text(encoding="utf-8").splitlines()
    stop = lines.index(end) if end else len(lines)
    return squash("".join(lines[lines.index(start) + 1 : stop]))


def narrative(spec, registry, totals=None, path: Path | None = None, year: int = 2020):
    from disclosure.report.narrative import render_narrative

    return render_narrative(
        year=year,
        spec=spec,
        totals=seed_figures() if totals is None else totals,
        registry=registry,
        narrative_path=path,
    )


def write_variant(tmp_path: Path, old: str, new: str, source: Path = SAMPLE) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "variant.md.j2"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.skipif(not SEED_FILE.exists(), reason="../shared/seed is not beside the checkout")
def test_sample_narrative_reproduces_the_seed_prose(spec2019, registry, data_dir):
    result = narrative(spec2019, registry)
    lines = SEED_FILE.read_text(encoding="utf-8").splitlines()
    opening = squash(
        "".join(lines[lines.index("2020 年政府信息公开工作年度报告") + 1 : lines.index("一、总体情况")])
    )
    assert squash("".join(p.text for p in result.opening)) == opening
    assert squash("".join(p.text for p in result.sections["一"].paragraphs)) == seed_prose(
        "一、总体情况", "二、主动公开政府信息情况"
    )
    assert squash("".join(p.text for p in result.sections["五"].paragraphs)) == seed_prose(
        "五、存在的主要问题及改进情况", None
    )


def test_sample_narrative_keeps_the_seed_structure(spec2019, registry, data_dir):
    result = narrative(spec2019, registry)
    assert list(result.sections) == ["一", "五", "六"]
    leads = [p.runs[0].text for p in result.sections["一"].paragraphs if p.runs[0].style == "lead"]
    assert leads == [
        "（一）加强组织领导，层层压实责任。",
        "（二）突出关键领域，强化主动公开。",
        "（三）聚焦重点方向，加强政策宣传。",
        "（四）筑牢平台建设，提升支撑能力。",
        "（五）坚持制度引领，促进工作规范。",
        "（六）抓实宣传教育，营造良好氛围。",
    ]
    bold = [r.text for p in result.sections["一"].paragraphs for r in p.runs if r.style == "bold"]
    assert bold[:2] == ["压实领导责任", "强化督查考核"]
    assert "本年度受理依申请公开1件次" in result.text
    assert result.figures_used[0].cell == Cell("t3", "new", "total")


def test_prose_figures_follow_the_totals(spec2019, registry, data_dir):
    totals = {**seed_figures(), ("t3", "new", "total"): 4, ("t4", "cases", "review_total"): 2}
    text = narrative(spec2019, registry, totals).text
    assert "本年度受理依申请公开4件次" in text
    assert "收到涉及政府信息公开的行政复议申请2件" in text


def test_a_figure_the_data_lacks_raises(spec2019, registry, data_dir):
    totals = {k: v for k, v in seed_figures().items() if k != ("t3", "new", "total")}
    with pytest.raises(ReportError, match=r"汇总数据中缺失.*t3\.new\.total"):
        narrative(spec2019, registry, totals)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("{{ facts.personnel_items }}", "{{ facts.personel_items }}", "未提供的数据"),
        ('{{ fig("t3", "new", "total") }}', '{{ fig("t3", "new", "sum") }}', "不是格式 gov-2019 中的单元格"),
        ('{{ fig("t3", "new", "total") }}', '{{ fig("t3", "results", "total") }}', "分组行"),
        ("## 五、存在的主要问题及改进情况", "## 五、存在的问题", "标题"),
        ("## 六、其他需要报告的事项", "", "缺少以下部分"),
    ],
)
def test_broken_narratives_raise(spec2019, registry, data_dir, tmp_path, old, new, message):
    with pytest.raises(ReportError, match=message):
        narrative(spec2019, registry, path=write_variant(tmp_path, old, new))


def test_strict_undefined_in_the_environment():
    import jinja2

    from disclosure.report.environment import get_environment

    with pytest.raises(jinja2.UndefinedError):
        get_environment().from_string("本年度受理{{ received }}件").render()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('受理依申请公开{{ fig("t3", "new", "total") }}件次', "受理依申请公开 3 件次"),
        (
            "未收到涉及政府信息公开的行政复议申请和投诉{% else %}",
            "收到涉及政府信息公开的行政复议申请 2 件{% else %}",
        ),
    ],
)
def test_r7_catches_a_prose_number_contradicting_a_table(spec2019, registry, data_dir, tmp_path, old, new):
    from disclosure.report import render_report

    with pytest.raises(ReportError, match=r"R7 正文与表格一致") as info:
        render_report(
            year=2020,
            spec=spec2019,
            totals=seed_figures(),
            registry=registry,
            out_dir=tmp_path / "out",
            narrative_path=write_variant(tmp_path, old, new),
        )
    assert "一、本年新收政府信息公开申请数量" in str(info.value) or "行政复议" in str(info.value)
    assert not (tmp_path / "out").exists()  # nothing is written for a report that contradicts itself


def test_r7_reads_phrases_that_state_zero_in_words(spec2019):
    from disclosure.report.quotes import find_mismatches

    totals = {**seed_figures(), ("t4", "cases", "review_total"): 1}
    text = "未收到涉及政府信息公开的行政复议申请和投诉。政府集中采购项目50个，采购总金额3421.7万元。"
    [mismatch] = find_mismatches(text, spec2019, totals)
    assert mismatch.table_value == 1 and mismatch.quoted == 0
    assert find_mismatches(text, spec2019, seed_figures()) == []
    assert find_mismatches("采购总金额3421.8万元", spec2019, seed_figures())[0].table_value == Decimal(
        "3421.7"
    )


def fees_narrative(tmp_path: Path, fees: str) -> Path:
    default = SAMPLE.parent / "default.md.j2"
    return write_variant(tmp_path, "---\n根据", f"{fees}\n---\n根据", source=default)


def zero_totals(spec) -> dict[Cell, int | Decimal]:
    return {cell: 0 for cell in spec.cells()}


def test_gov_2021_states_the_information_fee(spec2021, registry, data_dir, tmp_path):
    from docx import Document

    from disclosure.report import render_report

    path = fees_narrative(tmp_path, "fees: {notices: 2, noticed_yuan: 150, collected_yuan: 100.5}")
    totals = {**zero_totals(spec2021), Cell("t3", "new", "total"): 0}
    files = render_report(
        year=2021,
        spec=spec2021,
        totals=totals,
        registry=registry,
        out_dir=tmp_path / "out",
        narrative_path=path,
    )
    statement = "发出收费通知2件，通知收取信息处理费150元，实际收取信息处理费100.5元"
    body = "".join(p.text for p in Document(str(files.docx)).paragraphs)
    assert statement in body
    assert body.index("六、其他需要报告的事项") < body.index(statement)
    assert statement in files.html.read_text(encoding="utf-8")
    # the gov-2021 三 has the three 其他处理 rows
    tables = Document(str(files.docx)).tables
    assert len(tables[1].rows) == 3 + 25


@pytest.mark.parametrize(
    ("fees", "message"),
    [
        ("", "须说明信息处理费"),
        ("fees: {notices: 1, noticed_yuan: 10}", "collected_yuan"),
        ("fees: {notices: 1.5, noticed_yuan: 10, collected_yuan: 0}", "notices"),
        ("fees: {notices: 1, noticed_yuan: -3, collected_yuan: 0}", "noticed_yuan"),
    ],
)
def test_gov_2021_without_a_usable_fee_statement_raises(
    spec2021, registry, data_dir, tmp_path, fees, message
):
    with pytest.raises(ReportError, match=message):
        narrative(spec2021, registry, zero_totals(spec2021), fees_narrative(tmp_path, fees), year=2021)


def test_the_admins_narrative_overrides_the_bundled_one(spec2019, registry, data_dir, tmp_path):
    from disclosure.report.narrative import narrative_file

    assert narrative_file(2020) == SAMPLE
    assert narrative_file(2023).name == "default.md.j2"
    admin = data_dir / "narratives" / "2020.md.j2"
    admin.parent.mkdir()
    admin.write_text(
        write_variant(tmp_path, "认真贯彻", "深入贯彻").read_text(encoding="utf-8"), encoding="utf-8"
    )
    assert narrative_file(2020) == admin
    assert "深入贯彻" in narrative(spec2019, registry).text


def test_a_year_without_its_own_narrative_is_told_which_file_to_write(spec2021, registry, data_dir):
    """gov-2021 needs the office's fees: the bundled default cannot give them, and the error names the admin's
    file ``<data>/narratives/2023.md.j2``, not the bundled template."""
    own = data_dir / "narratives" / "2023.md.j2"
    with pytest.raises(ReportError) as raised:
        narrative(spec2021, registry, zero_totals(spec2021), year=2023)
    message = str(raised.value)
    assert f"请在报告正文文件 {own} 开头参数中填写 fees" in message
    assert f"请把示例复制为 {own}" in message and "default.md.j2" in message


def test_the_narrative_context_carries_the_years_notes(spec2019, registry, data_dir, tmp_path):
    """The justified warnings of the accepted returns reach the narrative as ``notes``; the 2020 sample's own
    narrative renders the same with or without them."""
    from disclosure.report.narrative import render_narrative
    from disclosure.status import Note

    note = Note(
        "U01",
        "宁夏回族自治区地质调查院",
        "O2",
        "二、主动公开政府信息情况!C23",
        "……单位已在封面“差异说明”中说明：设备采购",
    )
    path = write_variant(
        tmp_path,
        "## 六、其他需要报告的事项\n",
        "## 六、其他需要报告的事项\n\n{% for n in notes %}{{ n.display }}（{{ n.rule }}）：{{ n.message }}{% endfor %}\n",
    )
    six = render_narrative(
        year=2020, spec=spec2019, totals=seed_figures(), registry=registry, narrative_path=path, notes=[note]
    ).sections["六"]
    text = "".join(p.text for p in six.paragraphs)
    assert "U01 宁夏回族自治区地质调查院（O2）：……单位已在封面“差异说明”中说明：设备采购" in text
    assert (
        narrative(spec2019, registry).text
        == render_narrative(
            year=2020, spec=spec2019, totals=seed_figures(), registry=registry, notes=[note]
        ).text
    )
