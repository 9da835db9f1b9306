"""Page set-up of every workbook the project writes: units print their return for their head's signature, the
office prints the feedback and the tables. One function, so every sheet prints the same way: A4, scaled to the
page's width (never cut column by column), header rows repeated on every page, page numbers in the footer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

#: footer «第 1 页，共 3 页» (Excel's page-number codes)
FOOTER = "第 &P 页，共 &N 页"


def set_up_printing(
    ws: Worksheet,
    *,
    landscape: bool = False,
    title_rows: tuple[int, int] | None = None,
    one_page: bool = False,
    center: bool = True,
) -> None:
    """Print ``ws`` on A4 scaled to the page's width (``one_page``: width and height, e.g. a cover), repeating
    the rows ``title_rows`` (first, last) at the top of every page."""
    from openpyxl.worksheet.page import PageMargins

    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if one_page else 0  # 0: as many pages tall as the rows need
    ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.6, header=0.3, footer=0.3)
    ws.print_options.horizontalCentered = center
    if title_rows is not None:
        ws.print_title_rows = f"{title_rows[0]}:{title_rows[1]}"
    if not one_page:
        ws.oddFooter.center.text = FOOTER


def text_width(text: str) -> float:
    """Display width in Excel column units: CJK characters count double."""
    return sum(2.0 if ord(ch) > 0x2E80 else 1.1 for ch in text)


def line_count(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` units wide (rows are given their height from it:
    not every spreadsheet program grows a row to fit its wrapped text)."""
    return sum(max(1, int(-(-text_width(line) // max(width - 2, 1)))) for line in text.split("\n"))
