"""The report as a Word document in the official typography (GB/T 9704-2012 conventions).

A4; margins top 37 mm, left 28 mm; text block 156 × 225 mm, 22 lines of 28 characters. Title 2号 方正小标宋简体;
body 3号 仿宋_GB2312; "一、" headings 3号 黑体; the "（一）" lead-in sentence 3号 楷体_GB2312; "1." and marked lead-ins
bold 仿宋; digits and Latin in Times New Roman; page numbers "— 1 —" in 4号 宋体, odd pages right, even pages
left. Tables in 宋体 五号 with all borders, numbers centred, merged headers and group rows as in the published
format (the layout comes from :mod:`disclosure.report.layout`).

Fonts are named as the bureau's computers have them; the document's font table gives each an ``altName``
fallback (宋体 / 黑体 / 楷体) for machines without the GB2312 fonts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table as DocxTable
from docx.table import _Cell
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run as DocxRun
from lxml import etree

from disclosure.report.layout import Grid, GridCell
from disclosure.report.narrative import Paragraph, Run

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
LEAD_FONT = "楷体_GB2312"
TABLE_FONT = "宋体"
LATIN_FONT = "Times New Roman"

#: font -> the font a machine without it should use (written to the document's font table as altName)
FALLBACKS = {
    TITLE_FONT: "宋体",
    BODY_FONT: "仿宋",
    LEAD_FONT: "楷体",
    HEADING_FONT: "SimHei",
    TABLE_FONT: "SimSun",
}

SIZE_2HAO = Pt(22)
SIZE_3HAO = Pt(16)
SIZE_4HAO = Pt(14)
SIZE_5HAO = Pt(10.5)
LINE = Pt(28.95)  # 225 mm / 22 lines
TEXT_WIDTH_MM = 156
INDENT = Pt(32)  # two characters of 3号

#: width (mm) of the label columns, by how many there are; the number columns share the rest equally
LABEL_WIDTHS_MM = {0: (), 1: (40,), 2: (25, 45), 3: (14, 18, 38)}
#: a table with more rows (三) runs on over pages, its header rows repeated on each; shorter ones are kept in one
#: piece (四), or in pieces of one clause each (二's sub-tables), so no page is left half empty before them
SHORT_TABLE_ROWS = 20
#: a table row is at least this tall (twips: 7 mm), so 五号 text has air above and below
ROW_HEIGHT_TWIPS = 397
RED = RGBColor(0xC0, 0x00, 0x00)


def set_fonts(
    run: DocxRun, east_asia: str, size: Pt, *, bold: bool = False, color: RGBColor | None = None
) -> None:
    """Chinese text in ``east_asia``, digits and Latin in Times New Roman (w:eastAsia + w:ascii/w:hAnsi)."""
    run.font.size = size
    run.font.bold = bold
    run.font.name = LATIN_FONT
    if color is not None:
        run.font.color.rgb = color
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asia)
    # curly quotes and dashes are "ambiguous" characters: print them in the Chinese font, as typeset reports do
    fonts.set(qn("w:hint"), "eastAsia")


def _paragraph_format(p: DocxParagraph, *, indent: bool = True, align=WD_ALIGN_PARAGRAPH.JUSTIFY) -> None:
    pf = p.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = LINE
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.first_line_indent = INDENT if indent else None
    p.alignment = align


def _add_fallback_fonts(document) -> None:
    part = document.part.part_related_by(
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable"
    )
    root = parse_xml(part.blob)
    present = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
    for name, alt in FALLBACKS.items():
        if name in present:
            continue
        root.append(
            parse_xml(
                f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{alt}"/>'
                '<w:charset w:val="86"/><w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>'
            )
        )
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _page_setup(document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = Mm(37)
    section.bottom_margin = Mm(297 - 37 - 225)
    section.left_margin = Mm(28)
    section.right_margin = Mm(210 - 28 - TEXT_WIDTH_MM)
    section.header_distance = Mm(15)
    section.footer_distance = Mm(21)  # the page number sits about 7 mm below the text block
    document.settings.odd_and_even_pages_header_footer = True
    # the document grid: 22 lines a page (GB/T 9704); 3号 characters fill the 156 mm line with about 28 a line
    grid = OxmlElement("w:docGrid")
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), "579")
    sect_pr = section._sectPr
    for old in sect_pr.findall(qn("w:docGrid")):
        sect_pr.remove(old)
    sect_pr.append(grid)
    normal = document.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = SIZE_3HAO
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), BODY_FONT)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)


def _page_number_footer(footer, align) -> None:
    p = footer.paragraphs[0]
    p.alignment = align
    p.paragraph_format.left_indent = Pt(14) if align == WD_ALIGN_PARAGRAPH.LEFT else None
    p.paragraph_format.right_indent = Pt(14) if align == WD_ALIGN_PARAGRAPH.RIGHT else None
    set_fonts(p.add_run("— "), TABLE_FONT, SIZE_4HAO)
    run = p.add_run()
    set_fonts(run, TABLE_FONT, SIZE_4HAO)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == "1":
            el = OxmlElement("w:t")
            el.text = text
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._element.append(el)
    set_fonts(p.add_run(" —"), TABLE_FONT, SIZE_4HAO)


def _draft_header(section, draft_note: str) -> None:
    for header in (section.header, section.even_page_header):
        p = header.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        set_fonts(p.add_run(draft_note), HEADING_FONT, SIZE_5HAO, color=RED)


def _title(document, lines: Sequence[str]) -> None:
    blank = document.add_paragraph()
    _paragraph_format(blank, indent=False)
    for line in lines:
        p = document.add_paragraph()
        _paragraph_format(p, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
        p.paragraph_format.line_spacing = Pt(35)
        set_fonts(p.add_run(line), TITLE_FONT, SIZE_2HAO)


#: an unbreakable Latin token (e-mail, phone, web address): justifying its line would open wide gaps
_LONG_LATIN = re.compile(r"[A-Za-z0-9@._:/-]{12,}")


def _prose(document, paragraph: Paragraph) -> None:
    p = document.add_paragraph()
    ragged = bool(_LONG_LATIN.search(paragraph.text))
    _paragraph_format(p, align=WD_ALIGN_PARAGRAPH.LEFT if ragged else WD_ALIGN_PARAGRAPH.JUSTIFY)
    for run in paragraph.runs:
        _add_run(p, run)


def _add_run(p: DocxParagraph, run: Run) -> None:
    if run.style == "lead":
        set_fonts(p.add_run(run.text), LEAD_FONT, SIZE_3HAO)
    else:
        set_fonts(p.add_run(run.text), BODY_FONT, SIZE_3HAO, bold=run.style == "bold")


def _heading(document, text: str) -> None:
    p = document.add_paragraph()
    _paragraph_format(p)
    p.paragraph_format.keep_with_next = True
    set_fonts(p.add_run(text), HEADING_FONT, SIZE_3HAO)


def _column_widths(grid: Grid) -> list[float]:
    labels = list(LABEL_WIDTHS_MM[grid.label_cols])
    rest = (TEXT_WIDTH_MM - sum(labels)) / (grid.n_cols - grid.label_cols)
    return labels + [rest] * (grid.n_cols - grid.label_cols)


# successors of an element in its parent's schema sequence (CT_TblPr, CT_PPr): new elements go before them
_AFTER_CELL_MARGINS = ("w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")
_AFTER_BORDERS = ("w:shd", "w:tblLayout", "w:tblCellMar", *_AFTER_CELL_MARGINS)
_AFTER_SNAP_TO_GRID = (
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)


def _borders(table: DocxTable) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), "4")
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
        borders.append(el)
    tbl_pr.insert_element_before(borders, *_AFTER_BORDERS)  # schema order matters to Word
    margins = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:w"), "40")  # 2 pt: narrow columns (四 has 15) keep two characters a line
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    tbl_pr.insert_element_before(margins, *_AFTER_CELL_MARGINS)


def _row_flags(table: DocxTable, grid: Grid) -> None:
    for index, row in enumerate(table.rows):
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        height = OxmlElement("w:trHeight")
        height.set(qn("w:val"), str(ROW_HEIGHT_TWIPS))
        height.set(qn("w:hRule"), "atLeast")
        tr_pr.append(height)
        if index in grid.header_rows:
            tr_pr.append(OxmlElement("w:tblHeader"))  # repeated on every page the table runs over


def _fill_cell(cell, gc: GridCell) -> None:
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    p = cell.paragraphs[0]
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    p.paragraph_format.first_line_indent = None
    p.paragraph_format.space_before = Pt(0)
    p.paragraph_format.space_after = Pt(0)
    # table text keeps its own single spacing instead of snapping to the body's 22-line grid
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    p._p.get_or_add_pPr().insert_element_before(snap, *_AFTER_SNAP_TO_GRID)
    if gc.role == "label" or (gc.role == "corner" and len(gc.text) > 8):
        p.alignment = WD_ALIGN_PARAGRAPH.LEFT
    else:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    bold = gc.role in ("clause",)
    set_fonts(p.add_run(gc.text), TABLE_FONT, SIZE_5HAO, bold=bold)


def _keep_together(table: DocxTable, grid: Grid) -> None:
    # A short table is not split over two pages: every row keeps with the next, except the last row before a
    # clause row of 二 (第二十条第（五）项 …): a page may end between two of its sub-tables, not inside one.
    clause_rows = {gc.row for gc in grid.cells if gc.role == "clause"}
    for index, row in enumerate(table.rows[:-1]):
        if index + 1 in clause_rows:
            continue
        for cell in row.cells:
            for p in cell.paragraphs:
                p.paragraph_format.keep_with_next = True


def add_grid(document, grid: Grid) -> DocxTable:
    """Draw a section's table: merges first, then one paragraph of text in each anchor cell."""
    table = document.add_table(rows=grid.n_rows, cols=grid.n_cols)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _borders(table)
    widths = _column_widths(grid)
    for i, column in enumerate(table.columns):
        column.width = Mm(widths[i])
    # the cells of the fresh (unmerged) table, taken once: table.cell() re-scans the whole table on each call
    cells = [[_Cell(tc, table) for tc in tr.tc_lst] for tr in table._tbl.tr_lst]
    for row in cells:
        for i, cell in enumerate(row):
            cell.width = Mm(widths[i])
    for gc in grid.cells:
        cell = cells[gc.row][gc.col]
        if gc.rowspan > 1 or gc.colspan > 1:
            cell = cell.merge(cells[gc.row + gc.rowspan - 1][gc.col + gc.colspan - 1])
        _fill_cell(cell, gc)
    _row_flags(table, grid)
    if grid.n_rows <= SHORT_TABLE_ROWS:
        _keep_together(table, grid)
    return table


def write_docx(
    path: Path,
    *,
    title_lines: Sequence[str],
    draft_note: str | None,
    opening: Sequence[Paragraph],
    blocks: Sequence[tuple[str, Sequence[Paragraph] | Grid]],
) -> Path:
    """Write the report: title, draft line, opening paragraphs, then each section (prose or table) in order."""
    document = Document()
    _page_setup(document)
    _add_fallback_fonts(document)
    section = document.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    _page_number_footer(section.footer, WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number_footer(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)
    _title(document, title_lines)
    if draft_note:
        _draft_header(section, draft_note)
        p = document.add_paragraph()
        _paragraph_format(p, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
        set_fonts(p.add_run(draft_note), HEADING_FONT, SIZE_3HAO, color=RED)
    blank = document.add_paragraph()
    _paragraph_format(blank, indent=False)
    for paragraph in opening:
        _prose(document, paragraph)
    for heading, content in blocks:
        if isinstance(content, Grid):
            # the heading keeps with the table's first rows; the table follows on the same page
            _heading(document, heading)
            add_grid(document, content)
            spacer = document.add_paragraph()  # one blank line between a table and the next heading
            _paragraph_format(spacer, indent=False)
        else:
            _heading(document, heading)
            for paragraph in content:
                _prose(document, paragraph)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path
