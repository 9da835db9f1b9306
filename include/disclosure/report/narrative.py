"""The prose sections (一、五、六 and the opening paragraph) from a narrative file the admin edits per year.

A narrative file is Markdown with Jinja, rendered by the project's one environment, after a YAML front matter
holding the year's facts (e.g. ``facts.personnel_items: 101``) and, in gov-2021, the 信息处理费 (``fees``). Figures
from the tables are inserted with ``{{ fig("t3", "new", "total") }}``; a figure the data lacks raises. Level-2
headings (``## 一、总体情况``) open the prose sections and must match the format's section titles.

The context also carries the year's ``notes``: the justified warnings of the accepted returns
(``disclosure.status.Note``: unit, name, rule, location, message), for a narrative that explains why a figure
moved (``{% for n in notes %}…{% endfor %}``); a narrative may leave them unused.

Which file is used, first found: the ``narrative_path`` given; ``<data>/narratives/<year>.md.j2`` (the admin's);
``templates/narratives/<year>.md.j2`` (bundled sample); ``templates/narratives/default.md.j2``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import jinja2
import yaml
from markdown_it import MarkdownIt

from disclosure.errors import ReportError
from disclosure.formats import Cell, FormatSpec
from disclosure.registry import Registry
from disclosure.report.environment import get_environment, templates_dir
from disclosure.settings import get_settings

if TYPE_CHECKING:
    from disclosure.status import Note

RunStyle = Literal["plain", "bold", "lead"]  # lead: the 楷体 lead-in sentence of a （一） paragraph

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_KAI_LEAD = re.compile(r"^（[一二三四五六七八九十]+）")
_NUMBER_LEAD = re.compile(r"^\d+[.．]")


@dataclass(frozen=True)
class Run:
    text: str
    style: RunStyle = "plain"


@dataclass(frozen=True)
class Paragraph:
    runs: tuple[Run, ...]

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


@dataclass(frozen=True)
class ProseSection:
    number: str
    title: str
    paragraphs: tuple[Paragraph, ...]

    @property
    def heading(self) -> str:
        return f"{self.number}、{self.title}"


@dataclass(frozen=True)
class FigureUse:
    """A figure the narrative inserted with ``fig()``: R7 knows it came from the table."""

    cell: Cell
    value: int | Decimal


@dataclass(frozen=True)
class Narrative:
    source: Path
    opening: tuple[Paragraph, ...]
    sections: dict[str, ProseSection]
    facts: Mapping[str, Any] = field(default_factory=dict)
    figures_used: tuple[FigureUse, ...] = ()

    @property
    def text(self) -> str:
        """All prose as plain text, one paragraph a line (what R7 reads)."""
        lines = [p.text for p in self.opening]
        for s in self.sections.values():
            lines.append(s.heading)
            lines.extend(p.text for p in s.paragraphs)
        return "\n".join(lines)


def narrative_file(year: int, narrative_path: Path | None = None) -> Path:
    """The narrative file for ``year`` (see the module docstring for the order)."""
    if narrative_path is not None:
        if not narrative_path.is_file():
            raise ReportError(f"找不到报告正文文件 {narrative_path}")
        return narrative_path
    candidates = [
        get_settings().narratives() / f"{year}.md.j2",
        templates_dir() / "narratives" / f"{year}.md.j2",
        templates_dir() / "narratives" / "default.md.j2",
    ]
    for path in candidates:
        if path.is_file():
            return path
    raise ReportError(f"找不到 {year} 年的报告正文文件，已查找：{', '.join(str(p) for p in candidates)}")


def split_front_matter(source: str, path: Path) -> tuple[dict[str, Any], str]:
    """The YAML front matter (facts the admin edits) and the Markdown/Jinja body."""
    m = _FRONT_MATTER.match(source)
    if not m:
        return {}, source
    try:
        data = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        raise ReportError(f"报告正文文件 {path} 的开头参数（front matter）不是有效的 YAML：{exc}") from exc
    if not isinstance(data, dict):
        raise ReportError(f"报告正文文件 {path} 的开头参数（front matter）必须是“名称: 值”的列表")
    return data, source[m.end() :]


class _FigureLookup:
    """``fig(table, row, column)`` in a narrative: the bureau total of one cell, recorded for R7."""

    def __init__(self, spec: FormatSpec, totals: Mapping[Cell, int | Decimal]) -> None:
        self.spec = spec
        self.totals = totals
        self.used: list[FigureUse] = []

    def __call__(self, table: str, row: str, column: str) -> int | Decimal:
        cell = Cell(table, row, column)
        try:
            t = self.spec.table(table)
            r = t.row(row)
            c = t.column(column)
        except KeyError as exc:
            raise ReportError(
                f"报告正文引用的 fig({table!r}, {row!r}, {column!r}) 不是格式 {self.spec.version} 中的单元格"
            ) from exc
        if r.group:
            raise ReportError(f"报告正文引用的“{r.label}”是分组行，没有数字；请引用其下的具体行")
        value = self.totals.get(cell)
        if value is None:
            raise ReportError(
                f"报告正文引用的“{t.title}／{r.label}／{c.display_label}”在汇总数据中缺失"
                f"（{table}.{row}.{column}）"
            )
        self.used.append(FigureUse(cell, value))
        return value


def render_narrative(
    *,
    year: int,
    spec: FormatSpec,
    totals: Mapping[Cell, int | Decimal],
    registry: Registry,
    narrative_path: Path | None = None,
    notes: Sequence[Note] = (),
) -> Narrative:
    """Render the year's narrative with the totals (and the year's ``notes``) and parse it into the prose
    sections of the report.

    When the year has no narrative of its own and a bundled sample does not fit (e.g. gov-2021's fees), the
    error names the file the office has to write (``<data>/narratives/<year>.md.j2``), not the sample."""
    path = narrative_file(year, narrative_path)
    own = narrative_path or get_settings().narratives() / f"{year}.md.j2"
    try:
        return _render_narrative(year, spec, totals, registry, path, notes)
    except ReportError as exc:
        if path == own:
            raise
        raise ReportError(
            f"{str(exc).replace(str(path), str(own))}。{year} 年尚无报告正文文件 {own}（目前套用内置示例 "
            f"{path}）：请把示例复制为 {own}，按本年度情况改写后重新运行"
        ) from exc


def _render_narrative(
    year: int,
    spec: FormatSpec,
    totals: Mapping[Cell, int | Decimal],
    registry: Registry,
    path: Path,
    notes: Sequence[Note] = (),
) -> Narrative:
    facts, body = split_front_matter(path.read_text(encoding="utf-8"), path)
    fig = _FigureLookup(spec, totals)
    context = {
        **facts,
        "year": year,
        "spec": spec,
        "bureau": registry.bureau,
        "units": registry.units,
        "unit_count": len(registry.units),
        "fig": fig,
        "notes": tuple(notes),
    }
    env = get_environment()
    try:
        markdown = env.from_string(body).render(context)
    except jinja2.UndefinedError as exc:
        raise ReportError(f"报告正文文件 {path} 引用了未提供的数据：{exc.message}") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise ReportError(f"报告正文文件 {path} 第 {exc.lineno} 行模板语法错误：{exc.message}") from exc
    opening, sections = parse_markdown(markdown, spec, path)
    if spec.fee_statement:
        six = sections["六"]
        fee = fee_statement(facts, registry, year, path)
        sections["六"] = ProseSection(six.number, six.title, (*six.paragraphs, fee))
    return Narrative(
        source=path, opening=opening, sections=sections, facts=facts, figures_used=tuple(fig.used)
    )


FEE_FIELDS = {
    "notices": "发出收费通知的件数",
    "noticed_yuan": "收费通知的金额（元）",
    "collected_yuan": "实际收取的金额（元）",
}


def fee_statement(facts: Mapping[str, Any], registry: Registry, year: int, path: Path) -> Paragraph:
    """The 信息处理费 sentence 六 must contain in gov-2021, from the front matter's ``fees``."""
    fees = facts.get("fees")
    if not isinstance(fees, dict):
        raise ReportError(
            f"{year} 年报告第六部分须说明信息处理费收取情况：请在报告正文文件 {path} 开头参数中填写 fees"
            f"（{'、'.join(f'{k}: {v}' for k, v in FEE_FIELDS.items())}）"
        )
    values: dict[str, int | Decimal] = {}
    for key, label in FEE_FIELDS.items():
        raw = fees.get(key)
        if raw is None or isinstance(raw, bool):
            raise ReportError(f"报告正文文件 {path} 的 fees 缺少 {key}（{label}）")
        try:
            value = Decimal(str(raw))
        except ArithmeticError as exc:
            raise ReportError(f"报告正文文件 {path} 的 fees.{key}（{label}）不是数字：{raw!r}") from exc
        if value < 0 or (key == "notices" and value != value.to_integral_value()):
            raise ReportError(f"报告正文文件 {path} 的 fees.{key}（{label}）应为非负数，得到 {raw!r}")
        values[key] = int(value) if key == "notices" else value
    text = (
        get_environment()
        .get_template("fee_statement.md.j2")
        .render(year=year, bureau=registry.bureau, **values)
    )
    return Paragraph((Run(" ".join(text.split()), "plain"),))


def parse_markdown(
    markdown: str, spec: FormatSpec, path: Path
) -> tuple[tuple[Paragraph, ...], dict[str, ProseSection]]:
    """Paragraphs before the first heading (the opening) and one section per ``##`` heading."""
    tokens = MarkdownIt("commonmark", {"html": False}).parse(markdown)
    opening: list[Paragraph] = []
    sections: dict[str, tuple[str, list[Paragraph]]] = {}
    current: list[Paragraph] = opening
    prefix = ""
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "heading_open":
            text = tokens[i + 1].content.strip()
            number, _, title = text.partition("、")
            try:
                section = spec.section(number)
            except KeyError:
                raise ReportError(
                    f"报告正文文件 {path} 的标题“{text}”不是报告的部分（应为“一、总体情况”等）"
                ) from None
            if section.kind != "prose" or section.title != title.strip():
                raise ReportError(
                    f"报告正文文件 {path} 的标题“{text}”应为正文部分的标题之一："
                    + "、".join(f"“{s.heading}”" for s in spec.sections if s.kind == "prose")
                )
            if number in sections:
                raise ReportError(f"报告正文文件 {path} 中“{text}”出现了两次")
            sections[number] = (title.strip(), [])
            current = sections[number][1]
            i += 3
            continue
        if tok.type == "list_item_open" and tok.info:
            prefix = f"{tok.info}{tok.markup}"  # an ordered item "1." keeps its number in print
        elif tok.type == "inline":
            current.append(_paragraph(tok.children or [], prefix))
            prefix = ""
        i += 1
    missing = [s.heading for s in spec.sections if s.kind == "prose" and s.number not in sections]
    if missing:
        raise ReportError(f"报告正文文件 {path} 缺少以下部分（用“## 标题”开头）：{'、'.join(missing)}")
    return tuple(opening), {
        n: ProseSection(n, title, tuple(paras))
        for n, (title, paras) in sorted(sections.items(), key=_order(spec))
    }


def _order(spec: FormatSpec):
    numbers = [s.number for s in spec.sections]
    return lambda item: numbers.index(item[0])


def _paragraph(children: list, prefix: str) -> Paragraph:
    runs: list[Run] = []
    bold = False
    for child in children:
        if child.type == "strong_open":
            bold = True
        elif child.type == "strong_close":
            bold = False
        elif child.type in ("text", "code_inline"):
            runs.append(Run(child.content, "bold" if bold else "plain"))
        elif child.type in ("softbreak", "hardbreak"):
            continue  # Chinese has no space between wrapped lines
    if prefix:
        runs.insert(0, Run(prefix, "plain"))
    return Paragraph(tuple(_merge(_leads(runs))))


def _leads(runs: list[Run]) -> list[Run]:
    """Mark the lead-in sentence of a "（一）" paragraph (楷体) and of a "1." paragraph (bold)."""
    text = "".join(r.text for r in runs)
    if _KAI_LEAD.match(text):
        style: RunStyle = "lead"
    elif _NUMBER_LEAD.match(text):
        style = "bold"
    else:
        return runs
    end = text.find("。")
    end = len(text) if end < 0 else end + 1
    out: list[Run] = []
    pos = 0
    for r in runs:
        start, stop = pos, pos + len(r.text)
        pos = stop
        if stop <= end:
            out.append(Run(r.text, style))
        elif start >= end:
            out.append(r)
        else:
            cut = end - start
            out.extend([Run(r.text[:cut], style), Run(r.text[cut:], r.style)])
    return out


def _merge(runs: list[Run]) -> list[Run]:
    out: list[Run] = []
    for r in runs:
        if not r.text:
            continue
        if out and out[-1].style == r.style:
            out[-1] = Run(out[-1].text + r.text, r.style)
        else:
            out.append(r)
    return out
