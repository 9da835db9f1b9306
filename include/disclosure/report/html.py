"""The report as one HTML page for the portal: the same content as the .docx, with accessible tables.

Each table is named by its section's heading (``aria-labelledby``; one heading, no duplicate ``<caption>``),
header cells have ``<th scope>`` and, because the headers are multi-level (申请人情况 →
法人或其他组织 → 商业企业), every figure cell names its headers with ``headers``/``id`` (WCAG H43).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from disclosure.report.environment import get_environment
from disclosure.report.layout import Grid, GridCell
from disclosure.report.narrative import Paragraph

TEMPLATE = "report.html.j2"


def scope_of(cell: GridCell) -> str:
    """The ``scope`` of a header cell: groups of columns/rows when it spans several."""
    if cell.role == "header":
        return "colgroup" if cell.colspan > 1 else "col"
    if cell.role == "label":
        return "rowgroup" if cell.rowspan > 1 else "row"
    return "colgroup"  # a clause row heads the sub-table below it


def write_html(
    path: Path,
    *,
    title_lines: Sequence[str],
    draft_note: str | None,
    opening: Sequence[Paragraph],
    blocks: Sequence[tuple[str, Sequence[Paragraph] | Grid]],
) -> Path:
    sections = [
        {"heading": heading, "grid": content if isinstance(content, Grid) else None, "paragraphs": content}
        for heading, content in blocks
    ]
    html = (
        get_environment()
        .get_template(TEMPLATE)
        .render(
            title_lines=list(title_lines),
            draft_note=draft_note,
            opening=list(opening),
            sections=sections,
            scope_of=scope_of,
        )
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
