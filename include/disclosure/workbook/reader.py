"""Read a unit's returned workbook into tidy figures, anchored on the printed labels.

The reader never trusts fixed coordinates: units insert blank rows, move columns, rename sheets and retype
labels with other punctuation. It finds each table sheet by name or, failing that, by content (heading, clause
titles, column headers); each table block by its clause title; each column by its header label and parent header
path (四 repeats 结果维持…总计 three times); each row by its label, with the group it sits under as context. The
``校验提示`` check column and row are not figures and are ignored.

What is read is what a person sees: values come from python-calamine (cached values, fast); what calamine cannot
tell (hidden rows and columns, number formats, formulas, error values) comes from one streaming pass over the
table sheets (``sheet_view``). Hidden rows and columns are never read: anything in them that could change a
figure is reported, and a number whose format shows something else (705.10% for 7.051) is not taken. Every
problem is collected, never only the first.

Most returns of a template revision come back with the layout they were sent with: a layout found without any
problem is remembered (``layouts``) and used for the next return whose sheets have the same fingerprint (everything
the label search looked at); any difference, and the labels are searched again.
"""

from __future__ import annotations

import difflib
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from xml.etree import ElementTree

from python_calamine import CalamineError, CalamineWorkbook, SheetVisibleEnum

from disclosure.errors import Problem, ReturnReadError
from disclosure.figures import Figure, ReturnMeta, UnitReturn
from disclosure.formats import Column, ColumnKind, FormatSpec, Row, Table, available_versions, load_spec
from disclosure.settings import Limits, get_settings
from disclosure.workbook.guards import open_checked
from disclosure.workbook.identity import (
    CHECK_LABEL,
    COVER_FIELDS,
    COVER_SHEET,
    DOC_PROPERTY_PREFIX,
    GENERATOR,
    IDENTITY_KEYS,
    IDENTITY_SHEET,
    INSTRUCTIONS_SHEET,
    NOTHING_TO_REPORT,
    NOTHING_TO_REPORT_CHOICE,
    NOTHING_TO_REPORT_NO,
    NOTHING_TO_REPORT_YES,
    TEMPLATE_REVISION,
)
from disclosure.workbook.labels import cell_text, is_blank, normalize_label
from disclosure.workbook.layouts import (
    Layout,
    Placement,
    TableLayout,
    is_label,
    layouts,
    numeric_keys,
    sheet_shape,
)
from disclosure.workbook.sheet_view import SheetView, read_sheet_views
from disclosure.workbook.values import looks_like_number, parse_figure, whole_figure

_CHECK_KEY = normalize_label(CHECK_LABEL)


def read_return(
    path: Path | str,
    *,
    spec: FormatSpec | None = None,
    strict: bool = True,
    limits: Limits | None = None,
) -> UnitReturn:
    """Read a returned workbook into a ``UnitReturn``.

    The format is the one named in the workbook's template identity unless ``spec`` overrides it. With
    ``strict=True`` any problem raises ``ReturnReadError`` listing all of them; with ``strict=False`` the return
    comes back with ``.problems`` filled and each unusable figure as ``value=None`` with ``raw`` set. Problems
    that make the file unusable (``errors.FATAL_PROBLEM_CODES``) always raise.
    """
    path = Path(path)
    limits = limits or get_settings().limits
    fatal, archive = open_checked(path, limits)
    if archive is None:
        raise ReturnReadError(path, fatal)
    with archive:
        return _read_checked(path, archive, spec, strict, limits)


def _read_checked(
    path: Path, archive: zipfile.ZipFile, spec: FormatSpec | None, strict: bool, limits: Limits
) -> UnitReturn:
    try:
        book = CalamineWorkbook.from_path(path)
    except (CalamineError, OSError, ValueError) as exc:
        raise ReturnReadError(
            path,
            [
                Problem(
                    "not_a_workbook",
                    f"文件“{path.name}”无法作为 Excel 工作簿打开（{exc}）。请重新保存为 .xlsx 后提交。",
                )
            ],
        ) from exc
    with book:
        reading = _Reading(path, book, archive, limits)
        try:
            identity = reading.identity()
            spec, meta = reading.resolve_format(identity, spec)
            figures = reading.declared(spec, meta, reading.figures(spec, meta))
        except CalamineError as exc:
            raise reading.fatal(
                "not_a_workbook",
                f"文件“{path.name}”已损坏，无法读取（{exc}）。请在 Excel/WPS 中重新保存为 .xlsx 后提交。",
            ) from exc
    result = UnitReturn(meta=meta, figures=figures, path=path, problems=reading.problems)
    if strict and result.problems:
        raise ReturnReadError(path, result.problems, unit=meta.unit_code)
    return result


# --------------------------------------------------------------------------------------------------- sheet grid


@dataclass
class _Grid:
    """One sheet's cached values (0-based row/column) and merged ranges."""

    name: str
    values: list[list[object]]
    merges: list[tuple[tuple[int, int], tuple[int, int]]]
    view: SheetView = field(default_factory=SheetView)
    #: (row, column) -> content of the non-blank cells in hidden rows and columns (blanked in ``values``)
    hidden: dict[tuple[int, int], object] = field(default_factory=dict)
    _merge_of: dict[tuple[int, int], tuple[int, int, int, int]] = field(default_factory=dict)
    _labelled: list[tuple[int, int, str]] | None = None

    def __post_init__(self) -> None:
        # A person does not see hidden rows and columns: they take no part in locating or reading figures.
        view = self.view
        if view.hidden_rows or view.hidden_columns:
            self.values = [list(row) for row in self.values]
            for r, row in enumerate(self.values):
                for c, value in enumerate(row):
                    if view.hidden(r, c):
                        # what could be (or change) a figure: a number, numeric text, an error value; labels and
                        # the live checks' text (a hidden 校验提示 column) cannot
                        if looks_like_number(value) or (r, c) in view.errors:
                            self.hidden[(r, c)] = view.errors.get((r, c), value)
                        row[c] = ""
        for (r0, c0), (r1, c1) in self.merges:
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    self._merge_of[(r, c)] = (r0, c0, r1, c1)

    @property
    def height(self) -> int:
        return len(self.values)

    @property
    def width(self) -> int:
        return max((len(row) for row in self.values), default=0)

    def raw(self, r: int, c: int) -> object:
        if 0 <= r < len(self.values) and 0 <= c < len(self.values[r]):
            return self.values[r][c]
        return ""

    def text(self, r: int, c: int) -> str:
        """A cell's own content as text ("" when blank)."""
        return cell_text(self.raw(r, c))

    def shown(self, r: int, c: int) -> str:
        """What a reader sees at a cell: its merged range's content when it lies inside one."""
        merge = self._merge_of.get((r, c))
        if merge:
            return self.text(merge[0], merge[1])
        return self.text(r, c)

    def merge_bottom(self, r: int, c: int) -> int:
        merge = self._merge_of.get((r, c))
        return merge[2] if merge else r

    def labelled_cells(self) -> Iterable[tuple[int, int, str]]:
        """Every non-blank cell as (row, column, normalized text)."""
        # Computed once per sheet: each table anchored on the sheet scans them again.
        if self._labelled is None:
            self._labelled = [
                (r, c, normalize_label(self.text(r, c)))
                for r, row in enumerate(self.values)
                for c, value in enumerate(row)
                if not is_blank(value)
            ]
        return self._labelled


@lru_cache(maxsize=1 << 14)
def _coordinate(r: int, c: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(c + 1)}{r + 1}"


# --------------------------------------------------------------------------------------------------- the reading


class _Reading:
    """State of one read: the open workbook, the grids loaded so far and every problem found."""

    def __init__(self, path: Path, book: CalamineWorkbook, archive: zipfile.ZipFile, limits: Limits) -> None:
        self.path = path
        self.book = book
        self.archive = archive  # the same file as a zip package, for what calamine does not read
        self.limits = limits
        self.problems: list[Problem] = []
        self._grids: dict[str, _Grid] = {}
        self._views: dict[str, SheetView] = {}
        self._cover_cells: dict[str, str] = {}  # cover field -> A1 of its value
        self._maxima: dict[ColumnKind, Decimal] = {}

    # -- helpers
    def grid(self, name: str) -> _Grid:
        if name not in self._grids:
            sheet = self.book.get_sheet_by_name(name)
            self._grids[name] = _Grid(
                name,
                sheet.to_python(skip_empty_area=False),
                sheet.merged_cell_ranges or [],
                self._views.get(name) or SheetView(),
            )
        return self._grids[name]

    def where(self, sheet: str, cell: str | None = None) -> str:
        place = f"文件“{self.path.name}”工作表“{sheet}”"
        return f"{place}单元格 {cell}" if cell else place

    def problem(
        self,
        code: str,
        message: str,
        sheet: str | None = None,
        cell: str | None = None,
        raw=None,
        advice: str | None = None,
    ) -> None:
        self.problems.append(Problem(code, message, sheet, cell, None if raw is None else str(raw), advice))

    def fatal(self, code: str, message: str) -> ReturnReadError:
        return ReturnReadError(self.path, [*self.problems, Problem(code, message)])

    # -- identity and format
    def identity(self) -> dict[str, str]:
        """The template identity: the very hidden sheet, else the custom document properties."""
        identity: dict[str, str] = {}
        if IDENTITY_SHEET in self.book.sheet_names:
            grid = self.grid(IDENTITY_SHEET)
            for r in range(grid.height):
                key, value = grid.text(r, 0).strip(), grid.text(r, 1).strip()
                if key in IDENTITY_KEYS:
                    identity[key] = value
        if not identity.get("format_version"):
            identity = {**_document_properties(self.path), **{k: v for k, v in identity.items() if v}}
        if not identity.get("generator") and not identity.get("format_version"):
            raise self.fatal(
                "template_identity_missing",
                f"文件“{self.path.name}”不是本系统下发的填报模板（找不到模板标识）。"
                "请使用局办公室下发的模板填报，不要复制到新建的工作簿中。",
            )
        if identity.get("generator") != GENERATOR:
            raise self.fatal(
                "foreign_template",
                f"文件“{self.path.name}”的模板标识为“{identity.get('generator', '')}”，不是本系统下发的模板。"
                "请使用局办公室下发的模板填报。",
            )
        return identity

    def resolve_format(
        self, identity: Mapping[str, str], override: FormatSpec | None
    ) -> tuple[FormatSpec, ReturnMeta]:
        name = self.path.name
        version = identity.get("format_version", "")
        try:
            year = int(float(identity.get("year", "")))
        except ValueError:
            raise self.fatal(
                "foreign_template",
                f"文件“{name}”的模板标识已损坏（报告年度“{identity.get('year', '')}”无效）。请使用局办公室下发的模板重新填报。",
            ) from None
        if override is None:
            if version not in available_versions():
                raise self.fatal(
                    "foreign_template",
                    f"文件“{name}”使用的格式版本“{version}”不是本系统已知的格式"
                    f"（已知：{'、'.join(available_versions())}）。请使用局办公室下发的模板填报。",
                )
            spec = load_spec(version)
        else:
            spec = override
            if version != spec.version:
                self.problem(
                    "format_mismatch",
                    f"文件“{name}”使用的是“{version}”格式的模板，而本次要求“{spec.version}”格式（{spec.title}）。"
                    "请下载本年度的模板重新填报。",
                    IDENTITY_SHEET,
                    raw=version,
                )
        revision = identity.get("template_revision", "")
        if revision != TEMPLATE_REVISION:
            self.problem(
                "old_template_revision",
                f"文件“{name}”由模板版本“{revision or '未知'}”生成，当前模板版本为“{TEMPLATE_REVISION}”。"
                "请下载最新模板重新填报（可将数字复制到新模板的相同位置）。",
                IDENTITY_SHEET,
                raw=revision,
            )
        cover = self.cover()
        self._compare_cover(identity, cover, year)
        meta = ReturnMeta(
            format_version=spec.version,
            year=year,
            unit_code=identity.get("unit_code", ""),
            unit_name=identity.get("unit_name", ""),
            template_revision=revision,
            signature=identity.get("signature", ""),
            contact=cover.get("contact", ""),
            phone=cover.get("phone", ""),
            justification=cover.get("justification", ""),
            nothing_to_report=self._declaration(cover.get("nothing_to_report", "")),
        )
        return spec, meta

    def _declaration(self, text: str) -> bool:
        """Whether the cover's 无事项声明 is ticked; anything but the choice or a blank is reported."""
        key = normalize_label(text)
        if key in {normalize_label(t) for t in NOTHING_TO_REPORT_YES}:
            return True
        if key not in {normalize_label(t) for t in NOTHING_TO_REPORT_NO}:
            self.problem(
                "declaration_unclear",
                f"{self.where(COVER_SHEET, self._cover_cells.get('nothing_to_report'))}的“无事项声明”填写为"
                f"“{text}”，无法判断。本年度确无依申请公开等事项的，请在下拉列表中选择“{NOTHING_TO_REPORT_CHOICE}”，"
                "否则请留空。",
                COVER_SHEET,
                self._cover_cells.get("nothing_to_report"),
                raw=text,
            )
        return False

    def declared(self, spec: FormatSpec, meta: ReturnMeta, figures: list[Figure]) -> list[Figure]:
        """A return declared empty (无事项声明 ticked) counts as zeros: its blank figures become 0. A declared
        return with figures other than 0 contradicts itself: reported on the declaration, figures kept as read."""
        if not meta.nothing_to_report:
            return figures
        filled = [f for f in figures if f.value not in (None, 0) or (f.value is None and f.raw)]
        if filled:
            shown = "、".join(
                f"{f.sheet}!{f.cell}（{f.raw if f.value is None else f.value}）" for f in filled[:3]
            )
            more = f"等 {len(filled)} 处" if len(filled) > 3 else ""
            self.problem(
                "declaration_contradiction",
                f"{self.where(COVER_SHEET, self._cover_cells.get('nothing_to_report'))}声明“{NOTHING_TO_REPORT}”，"
                f"但表中填有非 0 数字：{shown}{more}。确无事项的请删除这些数字；有事项的请取消声明并如实填报。",
                COVER_SHEET,
                self._cover_cells.get("nothing_to_report"),
                raw=shown,
            )
            return figures
        blanks = {(f.sheet, f.cell) for f in figures if f.value is None}
        self.problems = [
            p for p in self.problems if p.code != "blank_cell" or (p.sheet, p.cell) not in blanks
        ]
        return [
            f if f.value is not None else replace(f, value=_zero(spec.table(f.table).column(f.column)))
            for f in figures
        ]

    def _compare_cover(self, identity: Mapping[str, str], cover: Mapping[str, str], year: int) -> None:
        """The locked cover repeats the identity; a different unit or year there means another unit's (or year's)
        file was reused."""
        name = self.path.name
        code = cover.get("unit_code", "")
        if code and code != identity.get("unit_code", ""):
            self.problem(
                "unit_mismatch",
                f"{self.where(COVER_SHEET, self._cover_cells.get('unit_code'))}的单位代码为“{code}”，"
                f"而模板标识为“{identity.get('unit_code', '')}”：文件“{name}”可能是其他单位的模板。"
                "请使用局办公室下发给本单位的模板填报。",
                COVER_SHEET,
                self._cover_cells.get("unit_code"),
                raw=code,
            )
        shown_year = cover.get("year", "")
        if shown_year and shown_year != str(year):
            self.problem(
                "year_mismatch",
                f"{self.where(COVER_SHEET, self._cover_cells.get('year'))}的报告年度为“{shown_year}”，"
                f"而模板标识为“{year}”。请使用本年度下发的模板填报。",
                COVER_SHEET,
                self._cover_cells.get("year"),
                raw=shown_year,
            )

    def cover(self) -> dict[str, str]:
        """Cover fields by their printed labels (column A), the value being the next filled cell to the right."""
        if COVER_SHEET not in self.book.sheet_names:
            self.problem(
                "missing_sheet",
                f"{self.where(COVER_SHEET)}不存在。请使用下发的模板，不要删除或重命名“{COVER_SHEET}”工作表。",
                COVER_SHEET,
            )
            return {}
        grid = self.grid(COVER_SHEET)
        by_label = {normalize_label(label): key for key, label in COVER_FIELDS.items()}
        found: dict[str, str] = {}
        for r in range(grid.height):
            key = by_label.get(normalize_label(grid.text(r, 0)))
            if key is None or key in found:
                continue
            column = next((c for c in range(1, grid.width) if grid.text(r, c).strip()), 1)
            found[key] = grid.text(r, column).strip()
            self._cover_cells[key] = _coordinate(r, column)
        return found

    # -- sheets
    def table_sheets(self) -> tuple[list[str], set[str]]:
        """The visible sheets that may hold tables and the hidden ones (reserved sheets left out); their views
        are read here, in one pass over their XML, before any grid is built."""
        reserved = {COVER_SHEET, INSTRUCTIONS_SHEET, IDENTITY_SHEET}
        hidden = {
            m.name for m in self.book.sheets_metadata if m.visible != SheetVisibleEnum.Visible
        } - reserved
        candidates = [n for n in self.book.sheet_names if n not in reserved and n not in hidden]
        try:
            self._views = read_sheet_views(self.archive, set(candidates))
        except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, OSError, ValueError) as exc:
            raise self.fatal(
                "not_a_workbook",
                f"文件“{self.path.name}”已损坏，无法读取（{exc}）。请在 Excel/WPS 中重新保存为 .xlsx 后提交。",
            ) from exc
        return candidates, hidden

    def locate_sheets(self, spec: FormatSpec, candidates: list[str], hidden: set[str]) -> dict[str, _Grid]:
        """Spec sheet name -> the workbook's sheet holding it: by name, else by content."""
        by_key = {normalize_label(n): n for n in candidates}
        located: dict[str, _Grid] = {}
        for sheet in spec.sheets:
            name = by_key.get(normalize_label(sheet))
            if name is not None:
                located[sheet] = self.grid(name)
        taken = {g.name for g in located.values()}
        for sheet in spec.sheets:
            if sheet in located:
                continue
            scored = [(self._content_score(spec, sheet, n), n) for n in candidates if n not in taken]
            scored = [s for s in scored if s[0] >= _MIN_CONTENT_SCORE]
            if scored:
                best = max(scored, key=lambda s: s[0])[1]
                located[sheet] = self.grid(best)
                taken.add(best)
            else:
                self.problem(
                    "missing_sheet",
                    f"文件“{self.path.name}”中找不到工作表“{sheet}”（按名称和内容都未找到）。"
                    "请使用下发的模板，不要删除该工作表或清除其中的标题。",
                    sheet,
                )
        for name in sorted(hidden, key=self.book.sheet_names.index):
            # a hidden sheet is never read; one that holds (a copy of) a table must not go unnoticed
            if normalize_label(name) in {normalize_label(s) for s in spec.sheets} or any(
                self._content_score(spec, sheet, name) >= _MIN_CONTENT_SCORE for sheet in spec.sheets
            ):
                self.problem(
                    "hidden_sheet",
                    f"文件“{self.path.name}”中的工作表“{name}”被隐藏，其中有报表内容。报表只按看得见的内容读取："
                    "请取消隐藏并核对该工作表，或将其删除。",
                    name,
                )
        return located

    def _content_score(self, spec: FormatSpec, sheet: str, name: str) -> int:
        keys = {key for _, _, key in self.grid(name).labelled_cells()}
        tables = spec.tables_on(sheet)
        score = 5 * (normalize_label(sheet) in keys)
        score += sum(3 for t in tables if normalize_label(t.title) in keys and len(tables) > 1)
        leaves = {
            normalize_label(lbl) for t in tables for c in t.columns for lbl in (c.label, c.display_label)
        }
        score += len(leaves & keys)
        return score

    # -- figures
    def figures(self, spec: FormatSpec, meta: ReturnMeta) -> list[Figure]:
        candidates, hidden = self.table_sheets()
        key = (spec.version, meta.template_revision)
        sheets = tuple((m.name, str(m.visible)) for m in self.book.sheets_metadata)
        known = layouts.find(key, spec, sheets, self._grid_parts)
        if known is not None:
            placed = {
                table_id: (self.grid(p.sheet), p.top, p.bottom, p.layout)
                for table_id, p in known.placements.items()
            }
            for sheet in spec.sheets:
                for table in spec.tables_on(sheet):
                    grid, top, bottom, _ = placed[table.id]
                    self._hidden_content(grid, table, top, bottom)
        else:
            found = len(self.problems)
            located = self.locate_sheets(spec, candidates, hidden)
            placed = self._place_tables(spec, located)
            if len(self.problems) == found and not hidden:
                self._remember(key, spec, sheets, located, placed)
        figures: list[Figure] = []
        for table in spec.tables:
            grid, _, _, layout = placed[table.id]
            figures.extend(self._table_figures(spec, table, grid, layout, meta))
        return figures

    def _grid_parts(self, name: str) -> tuple:
        grid = self.grid(name)
        return grid.values, grid.merges, grid.view.hidden_rows, grid.view.hidden_columns

    def _place_tables(
        self, spec: FormatSpec, located: Mapping[str, _Grid]
    ) -> dict[str, tuple[_Grid | None, int | None, int, TableLayout]]:
        """Table id -> (its sheet, its rows [top, bottom), its layout), found by the labels."""
        placed: dict[str, tuple[_Grid | None, int | None, int, TableLayout]] = {}
        for sheet in spec.sheets:
            grid = located.get(sheet)
            tables = spec.tables_on(sheet)
            if grid is None:
                for table in tables:
                    placed[table.id] = (None, None, 0, TableLayout())
                continue
            for table, (top, bottom) in zip(tables, self._blocks(grid, tables), strict=True):
                if top is None:
                    placed[table.id] = (grid, None, bottom, TableLayout())
                    self.problem(
                        "missing_table",
                        f"{self.where(grid.name)}中找不到表“{table.title}”（{table.section}）。"
                        "请恢复该表的标题行，不要删除或改写表格标题。",
                        grid.name,
                    )
                    continue
                placed[table.id] = (grid, top, bottom, self._anchor(grid, table, top, bottom))
                self._hidden_content(grid, table, top, bottom)
        return placed

    def _remember(
        self,
        key: tuple[str, str],
        spec: FormatSpec,
        sheets: tuple[tuple[str, str], ...],
        located: Mapping[str, _Grid],
        placed: Mapping[str, tuple[_Grid | None, int | None, int, TableLayout]],
    ) -> None:
        """Remember a layout found without any problem, for the next return of this template revision. Only
        when every table sheet was found by its name: finding one by content looks at the other sheets too."""
        if any(normalize_label(grid.name) != normalize_label(sheet) for sheet, grid in located.items()):
            return
        keys = _search_keys(spec)
        number_keys = numeric_keys(keys)
        volatile: dict[str, set[tuple[int, int]]] = {grid.name: set() for grid in located.values()}
        placements: dict[str, Placement] = {}
        for table in spec.tables:
            grid, top, bottom, layout = placed[table.id]
            assert grid is not None and top is not None  # no problem was found
            placements[table.id] = Placement(grid.name, top, bottom, layout)
            volatile[grid.name] |= {
                (r, c)
                for r, c in _volatile_cells(grid, table, top, bottom, layout)
                if not is_label(grid.raw(r, c), keys, number_keys)
            }
        shapes = {
            grid.name: sheet_shape(
                grid.values, grid.merges, grid.view.hidden_rows, grid.view.hidden_columns, volatile[grid.name]
            )
            for grid in located.values()
        }
        layouts.remember(
            key,
            Layout(
                spec=spec,
                sheets=sheets,
                shapes=shapes,
                placements=placements,
                keys=keys,
                number_keys=number_keys,
            ),
        )

    def _hidden_content(self, grid: _Grid, table: Table, top: int, bottom: int) -> None:
        """Hidden rows and columns of a table's area that hold anything: an error (they are not read, and what
        they hold may be meant as a figure or may contradict the visible one)."""
        cells = sorted((r, c) for r, c in grid.hidden if top <= r < bottom)
        if not cells:
            return
        rows = sorted({r for r, c in cells if r in grid.view.hidden_rows})
        columns = sorted({c for r, c in cells if c in grid.view.hidden_columns})
        from openpyxl.utils import get_column_letter

        what = "、".join(
            [*(f"第 {r + 1} 行" for r in rows), *(f"第 {get_column_letter(c + 1)} 列" for c in columns)]
        )
        listed = "、".join(_coordinate(r, c) for r, c in cells[:8]) + (
            f" 等 {len(cells)} 格" if len(cells) > 8 else ""
        )
        first = _coordinate(*cells[0])
        self.problem(
            "hidden_content",
            f"{self.where(grid.name)}的表“{table.title}”中，{what}被隐藏，其中有数字（{listed}）。"
            "报表只按看得见的内容读取，隐藏的行、列不会被采用：请取消隐藏并核对，把数字填入官方格式的对应单元格，"
            "再删除多余的行或列。",
            grid.name,
            first,
            raw=grid.hidden[cells[0]],
        )

    def _blocks(self, grid: _Grid, tables: tuple[Table, ...]) -> list[tuple[int | None, int]]:
        """Row range [top, bottom) of each table on a sheet: one table fills the sheet; several are cut at their
        clause title rows."""
        if len(tables) == 1:
            return [(0, grid.height)]
        title_rows: dict[str, list[int]] = {}
        for r, _, key in grid.labelled_cells():
            title_rows.setdefault(key, []).append(r)
        tops: list[int | None] = []
        previous = -1
        for table in tables:
            rows = [r for r in title_rows.get(normalize_label(table.title), []) if r > previous]
            top = min(rows) if rows else None
            tops.append(top)
            if top is not None:
                previous = top
        found = sorted(t for t in tops if t is not None)
        out: list[tuple[int | None, int]] = []
        for top in tops:
            if top is None:
                out.append((None, 0))
                continue
            later = [t for t in found if t > top]
            out.append((top, later[0] if later else grid.height))
        return out

    def _anchor(self, grid: _Grid, table: Table, top: int, bottom: int) -> TableLayout:
        layout = TableLayout()
        row_keys: dict[str, list[Row]] = {}
        for row in table.rows:
            if row.printed:
                row_keys.setdefault(normalize_label(row.label), []).append(row)
        leaf_keys: dict[str, list[Column]] = {}
        for col in table.columns:
            for label in {col.label, col.display_label}:
                leaf_keys.setdefault(normalize_label(label), []).append(col)

        cells = [(r, c, key) for r, c, key in grid.labelled_cells() if top <= r < bottom]
        first_row_label = min((r for r, _, key in cells if key in row_keys), default=bottom)
        leaves = [(r, c, key) for r, c, key in cells if key in leaf_keys and r < first_row_label]
        header_bottom = max((grid.merge_bottom(r, c) for r, c, _ in leaves), default=top)
        layout.header_bottom = header_bottom

        layout.columns = self._match_columns(grid, table, top, leaves, leaf_keys)
        if not layout.columns:
            return layout
        first_figure = min(layout.columns.values())
        label_columns = range(0, first_figure)
        if not any(r.printed for r in table.rows):
            layout.rows = self._unprinted_row(grid, table, header_bottom, bottom, layout)
        else:
            self._match_rows(grid, table, header_bottom + 1, bottom, label_columns, row_keys, layout)
        return layout

    def _match_columns(
        self,
        grid: _Grid,
        table: Table,
        top: int,
        leaves: list[tuple[int, int, str]],
        leaf_keys: Mapping[str, list[Column]],
    ) -> dict[str, int]:
        """Column id -> sheet column, by header label; a label printed more than once (四's 结果维持) is told apart
        by its parent headers (行政复议 / 未经复议直接起诉 / 复议后起诉)."""
        found: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        for r, c, key in leaves:
            path: list[str] = []
            for rr in range(top, r + 1):
                shown = normalize_label(grid.shown(rr, c))
                if shown and (not path or path[-1] != shown):
                    path.append(shown)
            found.setdefault(key, []).append((c, tuple(path)))
        matched: dict[str, int] = {}
        used: set[int] = set()
        for col in table.columns:
            expected = tuple(normalize_label(h) for h in col.header)
            options = {
                (c, path)
                for label in {col.label, col.display_label}
                for c, path in found.get(normalize_label(label), [])
                if c not in used
            }
            exact = sorted(
                c for c, path in options if path[-len(expected) - 1 : -1] == expected or not expected
            )
            same_leaf = [x for x in table.columns if normalize_label(x.label) == normalize_label(col.label)]
            if exact:
                choice = exact[0]
            elif len(same_leaf) == 1 and options:
                # the only column with this label: its parent headers need not be perfect
                choice = min(c for c, _ in options)
            else:
                path_text = " / ".join([*col.header, col.display_label])
                self.problem(
                    "missing_column_header",
                    f"{self.where(grid.name)}的表“{table.title}”中找不到列标题“{path_text}”。"
                    "请恢复该列及其官方标题（不要删除、合并或改写列标题）。",
                    grid.name,
                )
                continue
            matched[col.id] = choice
            used.add(choice)
        return matched

    def _unprinted_row(self, grid: _Grid, table: Table, header_bottom: int, bottom: int, layout: TableLayout):
        """四's single unlabelled row: the first row under the headers with any figure, else the row right under."""
        columns = list(layout.columns.values())
        row = next(
            (
                r
                for r in range(header_bottom + 1, bottom)
                if any(not is_blank(grid.raw(r, c)) for c in columns)
            ),
            header_bottom + 1,
        )
        return {r.id: row for r in table.number_rows}

    def _match_rows(
        self,
        grid: _Grid,
        table: Table,
        start: int,
        bottom: int,
        label_columns: range,
        row_keys: Mapping[str, list[Row]],
        layout: TableLayout,
    ) -> None:
        """Row id -> sheet row by row label; the group a label sits under picks among look-alike labels. Labels that
        match nothing are paired with the official rows missing around them, to say which label was expected."""
        found: dict[str, int] = {}
        context: dict[int, str] = {}  # level -> id of the group row seen last
        strays: list[tuple[int, int, str]] = []  # (row, column, text) of labels matching nothing
        figure_columns = list(layout.columns.values())
        for r in range(start, bottom):
            labels = [(c, grid.text(r, c).strip()) for c in label_columns if grid.text(r, c).strip()]
            if labels and normalize_label(labels[0][1]) == _CHECK_KEY:
                continue
            if not labels:
                if any(not is_blank(grid.raw(r, c)) for c in figure_columns):
                    strays.append((r, label_columns.stop - 1 if label_columns else 0, ""))
                continue
            for c, text in labels:
                options = [row for row in row_keys.get(normalize_label(text), []) if row.id not in found]
                if not options:
                    # an unknown label, or an official one printed twice (a copied row): neither is read
                    strays.append((r, c, text))
                    continue
                row = next(
                    (o for o in options if o.parent is None or context.get(o.level - 1) == o.parent),
                    options[0],
                )
                found[row.id] = r
                if row.group:
                    context[row.level] = row.id
                    for deeper in [lv for lv in context if lv > row.level]:
                        del context[deeper]
        # text below the table (a note, a signature) is no row of it; a stray inside the table or holding numbers is
        last = max(found.values(), default=-1)
        strays = [
            s for s in strays if s[0] < last or any(not is_blank(grid.raw(s[0], c)) for c in figure_columns)
        ]
        self._pair_strays(grid, table, found, strays, layout)
        layout.rows = {row_id: r for row_id, r in found.items()}

    def _pair_strays(
        self, grid: _Grid, table: Table, found: Mapping[str, int], strays: list[tuple[int, int, str]], layout
    ) -> None:
        printed = [row for row in table.rows if row.printed]
        missing = [row for row in printed if row.id not in found]
        if not missing and not strays:
            return

        def neighbours(row: Row) -> tuple[int, int]:
            index = printed.index(row)
            before = [found[p.id] for p in printed[:index] if p.id in found]
            after = [found[p.id] for p in printed[index + 1 :] if p.id in found]
            return (max(before) if before else -1, min(after) if after else 10**9)

        open_strays = list(strays)
        for row in missing:
            low, high = neighbours(row)
            nearby = [s for s in open_strays if low < s[0] < high]
            if nearby:
                stray = max(
                    nearby,
                    key=lambda s: difflib.SequenceMatcher(
                        None, normalize_label(s[2]), normalize_label(row.label)
                    ).ratio(),
                )
                open_strays.remove(stray)
                r, c, text = stray
                cell = _coordinate(r, c)
                shown = f"“{text}”" if text else "空白"
                self.problem(
                    "changed_row_label",
                    f"{self.where(grid.name, cell)}的行标签为{shown}，与官方标签不一致：此处应为“{row.label}”。"
                    "请恢复官方行标签（不要改写、删减行标签文字）。",
                    grid.name,
                    cell,
                    raw=text,
                )
                if not row.group:
                    layout.changed_rows[row.id] = r
                continue
            after = next((p for p in reversed(printed[: printed.index(row)]) if p.id in found), None)
            hint = f"（应位于“{after.label}”之后）" if after else ""
            self.problem(
                "missing_row",
                f"{self.where(grid.name)}的表“{table.title}”中找不到行“{row.label}”{hint}。"
                "请恢复该行及其官方行标签（不要删除行或改写行标签）。",
                grid.name,
            )
        for r, c, text in open_strays:
            cell = _coordinate(r, c)
            shown = f"“{text}”" if text else "（无行标签）"
            self.problem(
                "unexpected_row",
                f"{self.where(grid.name, cell)}的行{shown}不是官方格式中的行，本行数字不会被采用。"
                "请删除该行，或把数字填入对应的官方行。",
                grid.name,
                cell,
                raw=text,
            )

    def _table_figures(
        self,
        spec: FormatSpec,
        table: Table,
        grid: _Grid | None,
        layout: TableLayout,
        meta: ReturnMeta,
    ) -> list[Figure]:
        out: list[Figure] = []
        sheet = grid.name if grid else None
        year, unit = meta.year, meta.unit_code
        columns = [(col, layout.columns.get(col.id), self._maximum(spec, col.kind)) for col in table.columns]
        formats, errors = (grid.view.formats, grid.view.errors) if grid else ({}, {})
        for row in table.number_rows:
            r = layout.rows.get(row.id)
            changed = layout.changed_rows.get(row.id)
            for col, c, maximum in columns:
                key = (year, unit, table.id, row.id, col.id)
                if grid is None or c is None or (r is None and changed is None):
                    out.append(Figure(*key, None, sheet))
                    continue
                if r is None:
                    # a row whose label was changed: its place is known, its meaning is not; reported above
                    raw = grid.raw(changed, c)
                    cell = _coordinate(changed, c)
                    out.append(Figure(*key, None, sheet, cell, None if is_blank(raw) else str(raw)))
                    continue
                raw = grid.raw(r, c)
                # the usual cell (a whole number shown as itself) without the full road (parse_figure would
                # give the same value: it takes this road first)
                value = (
                    whole_figure(raw, col, formats.get((r, c)), maximum)
                    if raw.__class__ is float and (r, c) not in errors
                    else None
                )
                if value is not None:
                    out.append(Figure(*key, value, sheet, _coordinate(r, c)))
                else:
                    out.append(self._figure(grid, r, c, col, key, maximum))
        return out

    def _maximum(self, spec: FormatSpec, kind: ColumnKind) -> Decimal:
        """The largest plausible magnitude of a figure of ``kind`` (looked up once per read)."""
        if kind not in self._maxima:
            self._maxima[kind] = self.limits.figure_maximum(spec, kind)
        return self._maxima[kind]

    def _figure(
        self, grid: _Grid, r: int, c: int, col: Column, key: tuple[int, str, str, str, str], maximum: Decimal
    ) -> Figure:
        cell = _coordinate(r, c)
        raw = grid.raw(r, c)
        view = grid.view
        formula = view.formula(r, c)
        error = view.errors.get((r, c))
        value, issue = parse_figure(
            raw,
            col,
            formula=formula or False,
            error=error,
            number_format=view.formats.get((r, c)),
            maximum=maximum,
        )
        if issue is None:
            # a clean number typed as text keeps its text in raw, so nothing of the input is lost
            return Figure(*key, value, grid.name, cell, grid.text(r, c) if isinstance(raw, str) else None)
        if error:
            raw_text: str | None = error
        elif is_blank(raw):
            raw_text = formula
        else:
            raw_text = grid.text(r, c)
        self.problem(
            issue.code,
            f"{self.where(grid.name, cell)}（{col.display_label}）{issue.advice}",
            grid.name,
            cell,
            raw_text,
            issue.advice,
        )
        return Figure(*key, None, grid.name, cell, raw_text)


_MIN_CONTENT_SCORE = 3


def _search_keys(spec: FormatSpec) -> frozenset[str]:
    """Every label the search compares a table sheet's cells with (as comparison keys)."""
    labels = [*spec.sheets, CHECK_LABEL]
    for table in spec.tables:
        labels.append(table.title)
        labels.extend(row.label for row in table.rows if row.printed)
        labels.extend(label for col in table.columns for label in (col.label, col.display_label))
    return frozenset(normalize_label(label) for label in labels)


def _volatile_cells(
    grid: _Grid, table: Table, top: int, bottom: int, layout: TableLayout
) -> set[tuple[int, int]]:
    """The cells of a table the label search only tests for being a label, whatever else they hold: its figures
    and the live checks' results (formulas) in its figure rows and its 校验提示 row, right of the row labels.

    Anything else the search reads by more: row labels and header cells by their text, the blankness of a row
    without a label (a stray row) and, in a table without row labels (四), of every row under its figure row."""
    if not layout.columns or not layout.rows:
        return set()
    first_figure = min(layout.columns.values())
    if any(row.printed for row in table.rows):
        first = min(layout.rows.values())
        rows = set(layout.rows.values()) | {
            r
            for r in range(first, bottom)
            if normalize_label(_first_label(grid, r, first_figure)) == _CHECK_KEY
        }
    else:
        (row,) = set(layout.rows.values())
        below = (grid.raw(r, c) for r in range(row + 1, bottom) for c in range(len(grid.values[r])))
        if row != layout.header_bottom + 1 or not all(is_blank(v) for v in below):
            return set()
        rows = {row}
    cells = {(r, c) for r in rows for c in layout.columns.values()}
    cells |= {(r, c) for r, c in grid.view.formula_xml if r in rows}
    return {(r, c) for r, c in cells if c >= first_figure and top <= r < bottom}


def _first_label(grid: _Grid, r: int, stop: int) -> str:
    return next((text for c in range(stop) if (text := grid.text(r, c).strip())), "")


def _document_properties(path: Path) -> dict[str, str]:
    """The identity copy in the workbook's custom document properties (``disclosure_<key>``)."""
    try:
        with zipfile.ZipFile(path) as archive:
            if "docProps/custom.xml" not in archive.namelist():
                return {}
            root = ElementTree.fromstring(archive.read("docProps/custom.xml"))
    except (zipfile.BadZipFile, ElementTree.ParseError, OSError):
        return {}
    out: dict[str, str] = {}
    for prop in root:
        name = prop.get("name", "")
        if name.startswith(DOC_PROPERTY_PREFIX) and len(prop):
            key = name[len(DOC_PROPERTY_PREFIX) :]
            if key in IDENTITY_KEYS:
                out[key] = (prop[0].text or "").strip()
    return out


def _zero(column: Column) -> int | Decimal:
    return Decimal(0) if column.kind is ColumnKind.AMOUNT else 0


def figures_by_key(figures: Iterable[Figure]) -> dict[tuple[str, str, str], int | Decimal | None]:
    """{(table, row, column): value} of some figures (handy to compare or sum returns)."""
    return {f.key: f.value for f in figures}


__all__ = ["CHECK_LABEL", "figures_by_key", "read_return"]
