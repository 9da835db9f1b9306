"""What a person sees on a sheet, beyond the cached values: hidden rows and columns, number formats, formulas and
error values.

python-calamine gives the cached values fast but none of these (0.9: only merged ranges and sheet visibility):
it returns "" for a ``#DIV/0!`` and 7.051 for a cell that shows 705.10%. openpyxl knows them, but only by loading
the whole workbook (read-only mode drops the row and column dimensions). So the few sheets that hold tables are
scanned once here, straight from the .xlsx package: one pass per sheet, no object per cell.
Rows and columns are 0-based like calamine's grid.
"""

from __future__ import annotations

import html
import io
import posixpath
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from xml.etree import ElementTree

from openpyxl.styles.numbers import BUILTIN_FORMATS

_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")
#: Locale-dependent built-in formats Excel does not spell out in the file (Chinese dates and times).
_IMPLIED_DATE_FORMATS = {
    **dict.fromkeys(range(27, 37), "yyyy-mm-dd"),
    **dict.fromkeys(range(50, 59), "yyyy-mm-dd"),
}


@dataclass
class SheetView:
    """The parts of one sheet a person sees that calamine does not report."""

    hidden_rows: set[int] = field(default_factory=set)
    hidden_columns: set[int] = field(default_factory=set)
    formats: dict[tuple[int, int], str] = field(default_factory=dict)  # number format, when not General
    #: cells holding a formula, its XML text undecoded (decoded on demand: the template's check formulas are long)
    formula_xml: dict[tuple[int, int], bytes] = field(default_factory=dict)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # cached error value, e.g. "#DIV/0!"

    def hidden(self, r: int, c: int) -> bool:
        return r in self.hidden_rows or c in self.hidden_columns

    def formula(self, r: int, c: int) -> str | None:
        """The cell's formula as typed ("=SUM(B4:G4)"; "=" alone for a cell sharing another's formula)."""
        raw = self.formula_xml.get((r, c))
        return None if raw is None else "=" + _text(raw)


def read_sheet_views(archive: zipfile.ZipFile, sheets: set[str]) -> dict[str, SheetView]:
    """Sheet name -> its view, for the named sheets found in the workbook's package (others are left out)."""
    parts = _sheet_parts(archive.read("xl/workbook.xml"), archive.read("xl/_rels/workbook.xml.rels"))
    formats = _cell_formats(archive.read("xl/styles.xml") if "xl/styles.xml" in archive.NameToInfo else b"")
    out: dict[str, SheetView] = {}
    for name in sheets:
        part = parts.get(name)
        if part is None or part not in archive.NameToInfo:
            continue
        out[name] = _parse_sheet(archive.read(part), formats)
    return out


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# The two parts below are the same in every return of a template revision: parsed once per content (the cache is
# keyed by the parts' bytes, so a changed part is parsed again).
@lru_cache(maxsize=64)
def _sheet_parts(workbook_xml: bytes, rels_xml: bytes) -> dict[str, str]:
    """Sheet name -> its XML part, through the workbook's relationships (callers do not change the result)."""
    workbook = ElementTree.fromstring(workbook_xml)
    rels = ElementTree.fromstring(rels_xml)
    targets = {}
    for rel in rels:
        target = rel.get("Target", "")
        targets[rel.get("Id")] = (
            target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        )
    out = {}
    for element in workbook.iter():
        if _local(element.tag) == "sheet":
            rel_id = element.get(f"{{{_REL_NS}}}id") or next(
                (v for k, v in element.attrib.items() if _local(k) == "id"), None
            )
            if rel_id in targets:
                out[element.get("name", "")] = targets[rel_id]
    return out


@lru_cache(maxsize=64)
def _cell_formats(styles_xml: bytes) -> tuple[str, ...]:
    """Number format code of each cell style (``s`` attribute), "General" where none is set."""
    if not styles_xml:
        return ()
    root = ElementTree.fromstring(styles_xml)
    custom: dict[int, str] = {}
    codes: list[str] = []
    for element in root:
        name = _local(element.tag)
        if name == "numFmts":
            for fmt in element:
                try:
                    custom[int(fmt.get("numFmtId", ""))] = fmt.get("formatCode", "General")
                except ValueError:
                    continue
        elif name == "cellXfs":
            for xf in element:
                try:
                    number = int(xf.get("numFmtId", "0"))
                except ValueError:
                    number = 0
                codes.append(
                    custom.get(number)
                    or BUILTIN_FORMATS.get(number)
                    or _IMPLIED_DATE_FORMATS.get(number, "General")
                )
    return tuple(codes)


def _index(ref: str | None) -> tuple[int, int] | None:
    match = _CELL_REF.match(ref or "")
    if not match:
        return None
    letters, digits = match.groups()
    column = 0
    for ch in letters:
        column = column * 26 + ord(ch) - 64
    return int(digits) - 1, column - 1


# The sheet XML is scanned with regular expressions, not parsed into elements: a sheet holds a few hundred cells
# but tens of kilobytes of strings and formulas, and only a handful of attributes matter here (an ElementTree
# pass cost more than reading the whole workbook with calamine). Elements and attributes are matched by local
# name with either quote style; a cell without its "r" reference (legal, never written by Excel/WPS) makes the
# scan fall back to ElementTree.
_ROW = re.compile(rb"<(?:[\w.-]+:)?row\b([^>]*)>")
_COL = re.compile(rb"<(?:[\w.-]+:)?col\b([^>]*)>")
_CELL = re.compile(rb"<(?:[\w.-]+:)?c\b([^>]*?)(/?)>")
# fast path: the main namespace as default (no prefix), a literal start each expression can search for
_CELL_RS = re.compile(rb"""<c r=["']([A-Z]{1,3})([0-9]+)["'](?: s=["']([0-9]+)["'])?""")
_FORMULA_START = re.compile(rb"<f[\s/>]")
_FAST_ROW = re.compile(rb"<row\b([^>]*)>")
_FAST_COL = re.compile(rb"<col\b([^>]*)>")
_ERROR_CELL = re.compile(rb"""<c\s([^>]*\bt\s*=\s*["']e["'][^>]*)>(.*?)</c>""", re.DOTALL)
_CELL_END = re.compile(rb"</(?:[\w.-]+:)?c>")
#: a width no float() reads as 0: its integer part starts with 1-9 (anything else takes the full attribute parse)
_NONZERO_WIDTH = re.compile(rb"""\swidth\s*=\s*(["'])\s*\+?0*[1-9][0-9]*(\.[0-9]*)?\s*\1""")
_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REF = re.compile(rb"""(?:^|\s)r\s*=\s*["']([A-Z]{1,3}[0-9]+)["']""")
_STYLE = re.compile(rb"""(?:^|\s)s\s*=\s*["']([0-9]+)["']""")
_TYPE = re.compile(rb"""(?:^|\s)t\s*=\s*["']([a-zA-Z]+)["']""")
_FORMULA = re.compile(rb"<(?:[\w.-]+:)?f\b[^>]*?(?:/>|>(.*?)</(?:[\w.-]+:)?f>)", re.DOTALL)
_VALUE = re.compile(rb"<(?:[\w.-]+:)?v\b[^>]*>(.*?)</(?:[\w.-]+:)?v>", re.DOTALL)


def _attrs(raw: bytes) -> dict[str, str]:
    out = {}
    for name, double, single in _ATTR.findall(raw):
        key = name.decode("utf-8", "replace").rsplit(":", 1)[-1]
        out[key] = (double or single).decode("utf-8", "replace")
    return out


def _true(value: str | None) -> bool:
    return value in ("1", "true")


def _text(raw: bytes) -> str:
    return html.unescape(raw.decode("utf-8", "replace"))


def _parse_sheet(data: bytes, formats: Sequence[str]) -> SheetView:
    """Fast path for the usual attribute order (r, then s): a few regular expressions over the whole sheet."""
    if b"<sheetData" not in data:  # prefixed element names
        return _parse_sheet_general(data, formats)
    cells = _CELL_RS.findall(data)
    if len(cells) != data.count(b"<c ") + data.count(b"<c>") + data.count(b"<c/>"):
        return _parse_sheet_general(data, formats)
    view = SheetView()
    _rows_and_columns(data, view, _FAST_ROW, _FAST_COL)
    if view.hidden_rows is None:
        return _parse_sheet_tree(data, formats)
    column_of = _column_numbers()
    styled = _styled(formats)
    view.formats = {
        (int(digits) - 1, column_of(letters)): styled[style]
        for letters, digits, style in cells
        if style in styled
    }
    for start in _FORMULA_START.finditer(data):
        # the formula's cell: the last cell opened before it (a formula is a cell's first child)
        opening = data.rfind(b"<c ", 0, start.start())
        cell = _CELL_RS.match(data, opening) if opening >= 0 else None
        if (
            cell is None
            or data.find(b">", opening, start.start()) != start.start() - 1
            or data[start.start() - 2] == 47
        ):
            return _parse_sheet_general(data, formats)
        letters, digits = cell.group(1), cell.group(2)
        view.formula_xml[(int(digits) - 1, column_of(letters))] = _formula_text(data, start.start())
    has_errors = b't="e"' in data or b"t='e'" in data
    for opening, inner in _ERROR_CELL.findall(data) if has_errors else ():
        ref = _REF.search(opening)
        value = _VALUE.search(inner)
        if ref is not None and value is not None and value.group(1):
            place = _index(ref.group(1).decode())
            if place is not None:
                view.errors[place] = _text(value.group(1)).strip()
    return view


@lru_cache(maxsize=64)
def _styled(formats: tuple[str, ...]) -> dict[bytes, str]:
    """Style index (as written in ``s``) -> its number format, for the styles that have one (not General)."""
    return {str(i).encode(): code for i, code in enumerate(formats) if code != "General"}


def _formula_text(data: bytes, start: int) -> bytes:
    """The XML text of the formula element opening at ``start``, b"" when it has none: what
    ``<f\\b[^>]*?(?:/>|>(.*?)</f>)`` (DOTALL) captures, found with ``bytes.find`` (the live checks' formulas are
    long, and a lazy regular expression steps through them one character at a time)."""
    close = data.find(b">", start + 2)
    if close == -1 or data[close - 1] == 47:  # no end, or "<f …/>"
        return b""
    end = data.find(b"</f>", close + 1)
    return data[close + 1 : end] if end != -1 else b""


def _column_numbers():
    cache: dict[bytes, int] = {}

    def column(letters: bytes) -> int:
        number = cache.get(letters)
        if number is None:
            number = 0
            for ch in letters:
                number = number * 26 + ch - 64
            cache[letters] = number = number - 1
        return number

    return column


def _rows_and_columns(data: bytes, view: SheetView, rows=_ROW, columns=_COL) -> None:
    """Hidden rows and columns into ``view``; ``hidden_rows`` None when a row lacks its number."""
    for match in rows.finditer(data):
        raw = match.group(1)
        if b"hidden" not in raw and b'ht="0' not in raw and b"ht='0" not in raw and b" r=" in raw:
            continue  # neither hidden nor of zero height: nothing to learn (the common row)
        attrs = _attrs(raw)
        number = attrs.get("r", "")
        if not number.isdigit():
            view.hidden_rows = None  # type: ignore[assignment]
            return
        if _true(attrs.get("hidden")) or (_true(attrs.get("customHeight")) and _zero(attrs.get("ht"))):
            view.hidden_rows.add(int(number) - 1)
    for match in columns.finditer(data):
        raw = match.group(1)
        if b"hidden" not in raw and raw.count(b"width") == 1 and _NONZERO_WIDTH.search(raw):
            continue  # neither hidden nor of zero width (the common column)
        attrs = _attrs(raw)
        if _true(attrs.get("hidden")) or _zero(attrs.get("width")):
            try:
                first, last = int(attrs.get("min", "0")), int(attrs.get("max", "0"))
            except ValueError:
                continue
            # a <col> may run to the sheet's last column (16384): only the first few hundred can hold a table
            view.hidden_columns.update(range(first - 1, min(last, first + 1024)))


def _parse_sheet_general(data: bytes, formats: Sequence[str]) -> SheetView:
    """Any attribute order: each cell's opening tag read on its own."""
    view = SheetView()
    _rows_and_columns(data, view)
    if view.hidden_rows is None:
        return _parse_sheet_tree(data, formats)
    for match in _CELL.finditer(data):
        opening = match.group(1)
        ref = _REF.search(opening)
        if ref is None:
            return _parse_sheet_tree(data, formats)
        place = _index(ref.group(1).decode())
        assert place is not None
        style = _STYLE.search(opening)
        if style is not None and int(style.group(1)) < len(formats):
            code = formats[int(style.group(1))]
            if code != "General":
                view.formats[place] = code
        if match.group(2):  # <c …/>: no content
            continue
        end = _CELL_END.search(data, match.end())
        inner = data[match.end() : end.start() if end else len(data)]
        formula = _FORMULA.search(inner)
        if formula is not None:
            view.formula_xml[place] = formula.group(1) or b""
        kind = _TYPE.search(opening)
        if kind is not None and kind.group(1) == b"e":
            value = _VALUE.search(inner)
            if value is not None and value.group(1):
                view.errors[place] = _text(value.group(1)).strip()
    return view


def _parse_sheet_tree(data: bytes, formats: Sequence[str]) -> SheetView:
    """The same view with ElementTree: for sheets whose cells lack their references."""
    view = SheetView()
    row_index = column_index = -1
    for event, element in ElementTree.iterparse(io.BytesIO(data), events=("start", "end")):
        name = _local(element.tag)
        if event == "start":
            if name == "row":
                number = element.get("r", "")
                row_index = int(number) - 1 if number.isdigit() else row_index + 1
                column_index = -1
                if _true(element.get("hidden")) or (
                    _true(element.get("customHeight")) and _zero(element.get("ht"))
                ):
                    view.hidden_rows.add(row_index)
            continue
        if name == "c":
            place = _index(element.get("r")) or (row_index, column_index + 1)
            column_index = place[1]
            style = element.get("s")
            if style is not None and style.isdigit() and int(style) < len(formats):
                code = formats[int(style)]
                if code != "General":
                    view.formats[place] = code
            formula = value = None
            for child in element:
                child_name = _local(child.tag)
                if child_name == "f":
                    formula = "=" + (child.text or "")
                elif child_name == "v":
                    value = child.text
            if formula is not None:
                view.formula_xml[place] = html.escape(formula[1:], quote=False).encode()
            if element.get("t") == "e" and value:
                view.errors[place] = value.strip()
            element.clear()
        elif name == "row":
            element.clear()
        elif name == "col" and (_true(element.get("hidden")) or _zero(element.get("width"))):
            try:
                first, last = int(element.get("min", "0")), int(element.get("max", "0"))
            except ValueError:
                continue
            view.hidden_columns.update(range(first - 1, min(last, first + 1024)))
    return view


def _zero(value: str | None) -> bool:
    try:
        return value is not None and float(value) == 0
    except ValueError:
        return False
