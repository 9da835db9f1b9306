"""Render the year's annual report from the bureau totals: .docx, .html, .xlsx, and the totals as CSV/JSON.

The narrative (一、五、六) is rendered first, with the totals; R7 then checks every number it quotes against the
tables; only then are files written, so a report that contradicts itself is never produced. While the year is
not complete, every output is visibly marked with the year's draft label (``draft_label``, worded by
``disclosure.status``: 草稿（未完成：未报送 …；校验未通过（沿用此前已采用的数据） …）).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from disclosure.formats import Cell, FormatSpec
from disclosure.registry import Registry
from disclosure.report.docx import write_docx
from disclosure.report.export import totals_records, write_csv, write_json
from disclosure.report.html import write_html
from disclosure.report.layout import Grid, section_grid
from disclosure.report.narrative import Narrative, Paragraph, render_narrative
from disclosure.report.pdf import write_pdf
from disclosure.report.quotes import check_quotes
from disclosure.report.tables_xlsx import write_xlsx

if TYPE_CHECKING:
    from disclosure.status import Note


@dataclass(frozen=True)
class ReportFiles:
    docx: Path
    html: Path
    xlsx: Path
    csv: Path
    json: Path
    pdf: Path | None = None  # with LibreOffice installed (optional)


def title_lines(year: int, registry: Registry) -> tuple[str, str]:
    """The two title lines: the issuing body, then «2020年政府信息公开工作年度报告»."""
    bureau = registry.bureau
    return (bureau.short_name or bureau.name, f"{year}年政府信息公开工作年度报告")


def report_blocks(
    spec: FormatSpec, narrative: Narrative, totals: Mapping[Cell, int | Decimal]
) -> list[tuple[str, Sequence[Paragraph] | Grid]]:
    """The six sections in the format's order: prose from the narrative, tables from the totals."""
    blocks: list[tuple[str, Sequence[Paragraph] | Grid]] = []
    for section in spec.sections:
        if section.kind == "prose":
            blocks.append((section.heading, narrative.sections[section.number].paragraphs))
        else:
            blocks.append((section.heading, section_grid(spec, section.number, totals)))
    return blocks


def render_report(
    *,
    year: int,
    spec: FormatSpec,
    totals: Mapping[Cell, int | Decimal],
    registry: Registry,
    out_dir: Path,
    draft_label: str = "",
    narrative_path: Path | None = None,
    pdf: bool = False,
    notes: Sequence[Note] = (),
) -> ReportFiles:
    """Write the report files for ``year`` into ``out_dir`` (overwriting: re-rendering is idempotent).

    Raises :class:`~disclosure.errors.ReportError` when a figure the narrative or a table needs is missing from
    ``totals``, when the narrative's headings do not match the format, when gov-2021's 信息处理费 is not given,
    or when a number quoted in the prose contradicts the tables (R7). With ``pdf``, the .docx is also printed
    to PDF when LibreOffice is installed (an older PDF is removed when it is not, so none is left stale).
    ``notes``: the year's justified warnings (``disclosure.status.year_notes``), for the narrative.
    """
    narrative = render_narrative(
        year=year, spec=spec, totals=totals, registry=registry, narrative_path=narrative_path, notes=notes
    )
    check_quotes(narrative.text, spec, totals)
    blocks = report_blocks(spec, narrative, totals)
    records = totals_records(spec, totals)
    title = title_lines(year, registry)
    note = draft_label or None
    stem = f"{year}-report"
    out_dir.mkdir(parents=True, exist_ok=True)
    content = {"title_lines": title, "draft_note": note, "opening": narrative.opening, "blocks": blocks}
    grids = [b for _, b in blocks if isinstance(b, Grid)]
    xlsx_title = "".join(title) + (f" {note}" if note else "")
    meta = {
        "year": year,
        "format_version": spec.version,
        "bureau": registry.bureau.name,
        "draft": bool(note),
        "draft_label": draft_label,
    }
    docx = write_docx(out_dir / f"{stem}.docx", **content)
    printed = None
    if pdf:
        (out_dir / f"{stem}.pdf").unlink(missing_ok=True)
        printed = write_pdf(docx)
    return ReportFiles(
        docx=docx,
        html=write_html(out_dir / f"{stem}.html", **content),
        xlsx=write_xlsx(out_dir / f"{stem}-tables.xlsx", title=xlsx_title, grids=grids),
        csv=write_csv(out_dir / f"{year}-totals.csv", records),
        json=write_json(out_dir / f"{year}-totals.json", records, meta),
        pdf=printed,
    )
