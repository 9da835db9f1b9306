"""The unit's fill-in workbook, generated from a format spec only.

Layout (see ``docs/workbook-layout.md``): a locked cover sheet (封面) with the unit's identity and the fields the unit fills
in, an instructions sheet (填报说明), one sheet per section table laid out like the published table, and a very
hidden identity sheet. Figure cells are the only unlocked cells; each carries data validation by column kind.
Every in-sheet equation rule of the spec becomes a live check: a formula in the ``校验提示`` column (per-row rules)
or row (per-column rules) plus conditional formatting that colours the cells involved when the rule is broken.

Nothing here knows a table, row, column or rule by name: all of it is read from the :class:`FormatSpec`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from disclosure.formats.model import Cell, Column, ColumnKind, Equation, FormatSpec, Rule, Table
from disclosure.workbook.cells import put_text
from disclosure.workbook.identity import (
    CHECK_LABEL,
    COVER_FIELDS,
    COVER_INPUT_FIELDS,
    COVER_SHEET,
    DOC_PROPERTY_PREFIX,
    GENERATOR,
    IDENTITY_KEYS,
    IDENTITY_SHEET,
    INSTRUCTIONS_SHEET,
    NOTHING_TO_REPORT_CHOICE,
    TEMPLATE_REVISION,
)
from disclosure.workbook.printing import line_count, set_up_printing, text_width

#: Sheet protection carries no password: it prevents accidental edits, not deliberate ones (documented in 填报说明).
SHEET_PASSWORD: str | None = None

_BODY_FONT = "仿宋"
_HEADING_FONT = "宋体"
_DIGIT_FONT = "Times New Roman"
_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")
_GROUP_FILL = PatternFill("solid", fgColor="E7E6E6")
_INPUT_FILL = PatternFill("solid", fgColor="FFFFFF")
_BROKEN_FILL = PatternFill("solid", fgColor="FFC7CE", bgColor="FFC7CE")
_BLANK_FILL = PatternFill("solid", fgColor="FFEB9C", bgColor="FFEB9C")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_UNLOCKED = Protection(locked=False)
#: 填报说明's one column: within a portrait A4 page at full size, the text wraps inside the page, never cut at its edge
_INSTRUCTIONS_WIDTH = 80
_LOCKED = Protection(locked=True)

_KIND_ERRORS: dict[ColumnKind, tuple[str, str]] = {
    ColumnKind.COUNT: (
        "请填写整数",
        "此处应填写不小于0的整数（件数）；没有发生的请填0，不要填写文字或小数。",
    ),
    ColumnKind.SIGNED_COUNT: (
        "请填写整数",
        "此处应填写整数（可以为负数，表示减少）；没有变化的请填0，不要填写文字。",
    ),
    ColumnKind.AMOUNT: (
        "请填写金额",
        "此处应填写不小于0的数字，单位见表头（万元），不要填写“元”“万元”等单位或文字。",
    ),
}


# --------------------------------------------------------------------------------------------------------------
# Layout plan: where each table, row and column goes. Shared by the writer, the filler and ``template_layout``.
# --------------------------------------------------------------------------------------------------------------


@dataclass
class TableBlock:
    """The position of one table on its sheet (1-based rows and columns)."""

    table: Table
    title_row: int | None  # clause row (only when the sheet holds several tables)
    header_top: int
    header_depth: int
    rows: dict[str, int]  # row id -> sheet row (group rows included)
    columns: dict[str, int]  # column id -> sheet column
    check_column: int | None  # 校验提示 column (per-row live checks)
    check_row: int | None  # 校验提示 row (per-column live checks)
    row_rules: list[Rule] = field(default_factory=list)
    column_rules: list[Rule] = field(default_factory=list)

    @property
    def label_columns(self) -> int:
        return self.table.label_columns

    @property
    def first_data_row(self) -> int:
        return self.header_top + self.header_depth

    @property
    def last_row(self) -> int:
        return self.check_row or max(self.rows.values())

    @property
    def last_column(self) -> int:
        return self.check_column or max(self.columns.values())

    def coordinate(self, row_id: str, column_id: str) -> str:
        return f"{get_column_letter(self.columns[column_id])}{self.rows[row_id]}"


@dataclass
class SheetPlan:
    name: str
    heading_row: int
    blocks: list[TableBlock]

    @property
    def width(self) -> int:
        return max(b.last_column for b in self.blocks)


def _in_sheet_rules(spec: FormatSpec, table: Table, each: str) -> list[Rule]:
    """Equation rules a spreadsheet can check by itself: same table, same year (cross-year rules need last year)."""
    return [
        r
        for r in spec.rules
        if r.kind == "equation" and r.table == table.id and r.each == each and not r.cross_year
    ]


def plan_sheet(spec: FormatSpec, sheet: str) -> SheetPlan:
    """Place every table of ``sheet``: heading in row 1, then one block per table, a blank row between blocks."""
    tables = spec.tables_on(sheet)
    with_titles = (
        len(tables) > 1
    )  # 二's sub-tables are headed by their clause; a lone table has the sheet heading
    row = 2
    blocks: list[TableBlock] = []
    for table in tables:
        title_row = None
        if with_titles:
            title_row = row
            row += 1
        header_top = row
        depth = table.max_header_depth
        row += depth
        rows: dict[str, int] = {}
        for r in table.rows:
            rows[r.id] = row
            row += 1
        columns = {c.id: table.label_columns + i + 1 for i, c in enumerate(table.columns)}
        row_rules = _in_sheet_rules(spec, table, "row")
        column_rules = _in_sheet_rules(spec, table, "column")
        # Every block gets a check column (it also reports blank or non-numeric cells, R6), in one column per sheet
        # so that a narrow table's check does not widen a number column of a wider table above it.
        check_column = max(t.label_columns + len(t.columns) for t in tables) + 1
        check_row = None
        if column_rules:
            check_row = row
            row += 1
        blocks.append(
            TableBlock(
                table=table,
                title_row=title_row,
                header_top=header_top,
                header_depth=depth,
                rows=rows,
                columns=columns,
                check_column=check_column,
                check_row=check_row,
                row_rules=row_rules,
                column_rules=column_rules,
            )
        )
        row += 1  # blank row between blocks
    return SheetPlan(name=sheet, heading_row=1, blocks=blocks)


def template_layout(spec: FormatSpec) -> dict[Cell, tuple[str, str]]:
    """Sheet name and A1 coordinate of every figure cell of a fresh template of ``spec``."""
    out: dict[Cell, tuple[str, str]] = {}
    for sheet in spec.sheets:
        for block in plan_sheet(spec, sheet).blocks:
            for r in block.table.number_rows:
                for c in block.table.columns:
                    out[Cell(block.table.id, r.id, c.id)] = (sheet, block.coordinate(r.id, c.id))
    return out


# --------------------------------------------------------------------------------------------------------------
# Live checks: Excel formulas generated from the spec's equations.
# --------------------------------------------------------------------------------------------------------------


def _side_formula(terms: Iterable[tuple[Cell, int, bool]], coord: Mapping[Cell, str]) -> str:
    """``SUM(a,b)-SUM(c)``: SUM skips text, so a stray word shows as a broken rule, not as #VALUE!."""
    plus = [coord[c] for c, sign, _ in terms if sign > 0]
    minus = [coord[c] for c, sign, _ in terms if sign < 0]
    text = f"SUM({','.join(plus)})" if plus else "0"
    if minus:
        text += f"-SUM({','.join(minus)})"
    return text


def _term_label(table: Table, rule: Rule, cell: Cell) -> str:
    """How the checked cell is named in a message: the column label (per-row rules) or the row label."""
    if rule.each == "row":
        return table.column(cell.column).label
    return _short_row_label(table.row(cell.row).label)


def _short_row_label(label: str) -> str:
    # Long labels such as （二）部分公开（区分处理的…） would flood a narrow check cell: keep the part before the note.
    return re.split(r"[（(](?![一二三四五六七八九十])", label, maxsplit=1)[0] or label


@dataclass(frozen=True)
class LiveCheck:
    """One instance of an equation: the cells it involves and the Excel text that tests it."""

    rule: Rule
    equation: Equation
    line: str  # column id (per-column rule) or row id (per-row rule)
    cells: tuple[str, ...]  # A1 coordinates of every cell involved
    broken: str  # Excel boolean expression, TRUE when the rule does not hold (relative refs)
    message: str  # Excel string expression of the Chinese message shown when broken


def live_checks(spec: FormatSpec, block: TableBlock) -> list[LiveCheck]:
    """Every same-year equation instance of the block's table, as Excel expressions over its cells."""
    table = block.table
    coord = {
        Cell(table.id, r.id, c.id): block.coordinate(r.id, c.id)
        for r in table.number_rows
        for c in table.columns
    }
    checks: list[LiveCheck] = []
    for rule in [*block.row_rules, *block.column_rules]:
        for equation in rule.equations:
            for line, sides in spec.expand(rule, equation):
                left = _side_formula(sides["left"], coord)
                right = _side_formula(sides["right"], coord)
                broken = f"ROUND(({left})-({right}),4)<>0"
                if len(sides["left"]) == 1 and sides["left"][0][1] > 0:
                    label = _term_label(table, rule, sides["left"][0][0])
                    message = f'"{rule.id} 不符：{label}应为 "&ROUND({right},4)'
                else:
                    message = f'"{rule.id} {rule.name}不符："&ROUND({left},4)&" ≠ "&ROUND({right},4)'
                cells = tuple(dict.fromkeys(coord[c] for c, _, _ in (*sides["left"], *sides["right"])))
                checks.append(LiveCheck(rule, equation, line, cells, broken, message))
    return checks


def _check_formula(parts: list[tuple[str, str]]) -> str:
    """Join several (condition, message) pairs: each broken one adds "；message"; MID drops the first "；"."""
    joined = "&".join(f'IF({cond},"；"&{msg},"")' for cond, msg in parts)
    return f"=MID({joined},2,1000)"


def _blank_check(first: str, last: str, count: int, rule_id: str) -> tuple[str, str]:
    rng = f"{first}:{last}"
    return (f"COUNT({rng})<{count}", f'"{rule_id} 有"&({count}-COUNT({rng}))&"格未填数字（未发生请填0）"')


# --------------------------------------------------------------------------------------------------------------
# Writer
# --------------------------------------------------------------------------------------------------------------


def _identity(spec: FormatSpec, year: int, unit_code: str, unit_name: str, key: str) -> dict[str, str]:
    from disclosure.workbook.signature import sign_identity

    values = {
        "generator": GENERATOR,
        "format_version": spec.version,
        "year": str(year),
        "unit_code": unit_code,
        "unit_name": unit_name,
        "template_revision": TEMPLATE_REVISION,
    }
    values["signature"] = sign_identity(values, key)
    assert tuple(values) == IDENTITY_KEYS
    return values


def _signing_key(key: str | None) -> str:
    """The given key, else the bureau's newest (a missing key is a :class:`SettingsError` saying how to set one)."""
    if key:
        return key
    from disclosure.settings import get_settings

    return get_settings().secret_keys[0]


def _style(cell, *, font_size: float = 11, bold: bool = False, name: str = _BODY_FONT, align=_CENTER) -> None:
    cell.font = Font(name=name, size=font_size, bold=bold)
    cell.alignment = align


def _box(
    ws: Worksheet, top: int, left: int, bottom: int, right: int, *, fill: PatternFill | None = None
) -> None:
    for row in ws.iter_rows(min_row=top, max_row=bottom, min_col=left, max_col=right):
        for cell in row:
            cell.border = _BORDER
            if fill is not None:
                cell.fill = fill


def _merge_write(
    ws: Worksheet,
    top: int,
    left: int,
    bottom: int,
    right: int,
    value: str,
    *,
    fill: PatternFill | None = None,
    align=_CENTER,
    bold: bool = False,
) -> None:
    put_text(ws.cell(top, left), value)
    _style(ws.cell(top, left), bold=bold, align=align)
    _box(ws, top, left, bottom, right, fill=fill)
    if bottom > top or right > left:
        ws.merge_cells(start_row=top, start_column=left, end_row=bottom, end_column=right)


def _protect(ws: Worksheet) -> None:
    ws.protection.sheet = True
    if SHEET_PASSWORD:
        ws.protection.password = SHEET_PASSWORD
    # Units may still widen columns or rows to read long labels; they cannot edit anything locked.
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _write_cover(wb: Workbook, spec: FormatSpec, identity: Mapping[str, str]) -> None:
    ws = wb.active
    ws.title = COVER_SHEET
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 60
    title = f"{identity['year']}年政府信息公开工作年度报告 单位填报表"
    _merge_write(ws, 1, 1, 1, 2, title, bold=True)
    ws.cell(1, 1).font = Font(name=_HEADING_FONT, size=16, bold=True)
    ws.row_dimensions[1].height = 36
    prefilled = {**identity, "year": int(identity["year"])}
    for i, (key, label) in enumerate(COVER_FIELDS.items(), start=2):
        put_text(ws.cell(i, 1), label)
        _style(ws.cell(i, 1), bold=True)
        value_cell = ws.cell(i, 2)
        if key in COVER_INPUT_FIELDS:
            value_cell.protection = _UNLOCKED
            value_cell.fill = _INPUT_FILL
            if key == "nothing_to_report":
                _declaration_list(ws, value_cell.coordinate)
        else:
            put_text(value_cell, prefilled[key])  # registry text: never a formula
            value_cell.protection = _LOCKED
            value_cell.fill = _HEADER_FILL
        _style(value_cell, align=_LEFT)
        ws.cell(i, 1).border = _BORDER
        value_cell.border = _BORDER
        ws.row_dimensions[i].height = 60 if key == "justification" else 24
    ws.cell(i, 2).alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
    note_row = len(COVER_FIELDS) + 3
    put_text(
        ws.cell(note_row, 1),
        f"格式：{spec.title}（{spec.issued_with}）。填写前请阅读“{INSTRUCTIONS_SHEET}”工作表。",
    )
    _style(ws.cell(note_row, 1), align=_LEFT, font_size=10)
    ws.merge_cells(start_row=note_row, start_column=1, end_row=note_row, end_column=2)
    ws.row_dimensions[note_row].height = 32
    set_up_printing(ws, one_page=True)  # the cover is signed: one page, title included
    _protect(ws)


def _declaration_list(ws: Worksheet, coordinate: str) -> None:
    """The "nothing to report" declaration: a drop-down of its one choice (blank means not declared)."""
    dv = DataValidation(
        type="list", formula1=f'"{NOTHING_TO_REPORT_CHOICE}"', allow_blank=True, showDropDown=False
    )
    dv.promptTitle = "无事项声明"
    dv.prompt = "本年度确无依申请公开等事项、各表均为 0 的，请在下拉列表中勾选；勾选后各表可不再填写。"
    dv.errorTitle = "无事项声明"
    dv.error = f"请从下拉列表中选择“{NOTHING_TO_REPORT_CHOICE}”，或留空。"
    dv.showInputMessage = True
    dv.showErrorMessage = True
    ws.add_data_validation(dv)
    dv.add(coordinate)


def _instruction_lines(spec: FormatSpec, identity: Mapping[str, str]) -> list[tuple[str, str]]:
    """(style, text) lines of the 填报说明 sheet; style is "title", "heading" or "body"."""
    year = identity["year"]
    lines: list[tuple[str, str]] = [("title", f"{year}年政府信息公开工作年度报告 填报说明")]
    lines.append(("heading", "一、怎样填写"))
    lines += [
        (
            "body",
            f"1. 本表用于填报{identity['unit_name']}（单位代码 {identity['unit_code']}）{year}年度数据，"
            f"格式依据{spec.title}（{spec.issued_with}）。",
        ),
        (
            "body",
            "2. 只能在白色的数字单元格中填写；标题、行列名称和“校验提示”均已锁定，请勿修改、插入或删除行列，"
            "不要重命名或删除工作表。工作表保护未设密码，仅用于防止误改，请勿撤销保护。",
        ),
        (
            "body",
            "3. 每个数字单元格都必须填写：没有发生的填 0，不得留空。留空的单元格会以黄色标出。"
            f"本年度确无依申请公开等事项、各表均为 0 的，可在封面“无事项声明”中勾选“{NOTHING_TO_REPORT_CHOICE}”，"
            "各表按 0 计；勾选后又填写了非 0 数字的，将提示声明与数字矛盾。",
        ),
        ("body", "4. 件数填不小于 0 的整数；“本年增/减”等可增可减的项目可以填负整数。"),
        (
            "body",
            "5. 金额一律以万元为单位填写数字（可保留小数，最多四位），不要写“元”“万元”等单位或文字；"
            "例如 25.1 万元填 25.1，不要填“251000元”。",
        ),
        (
            "body",
            "6. 在“封面”填写联系人和联系电话；如本表与上一年度数据衔接不一致或有校验警告，请在“差异说明”中写明原因。",
        ),
    ]
    if spec.amount_note:
        lines.append(("body", f"7. {spec.amount_note}"))
    lines.append(("heading", "二、各表内容"))
    for n, sheet in enumerate(spec.sheets, start=1):
        tables = spec.tables_on(sheet)
        count = sum(len(t.number_rows) * len(t.columns) for t in tables)
        lines.append(("body", f"{n}. “{sheet}”：共 {len(tables)} 个表、{count} 个数字单元格。"))
    lines.append(("heading", "三、勾稽关系与校验规则"))
    lines.append(
        (
            "body",
            "表格右侧或下方的“校验提示”会在数字不符合下列关系时显示说明（例如“R4 不符：总计应为 7”），"
            "相关单元格以红色标出；全部提示为空时方可报送。",
        )
    )
    for rule in spec.rules:
        where = ""
        if rule.kind == "equation" and rule.cross_year:
            where = "（需与上一年度数据比对，表内不提示，由局办公室汇总时核对）"
        elif rule.kind == "outlier":
            where = "（与本单位往年已采用的数据比对，表内不提示，报送后校验时提示）"
        severity = "警告" if rule.severity.value == "warning" else "错误"
        lines.append(("body", f"{rule.id} {rule.name}（{severity}）：{rule.description}{where}"))
    lines.append(("heading", "四、怎样报送"))
    lines += [
        (
            "body",
            "1. 填好后直接保存为 Excel 工作簿（.xlsx），不要另存为其他格式，不要加密码，不要修改文件名中的年度和单位代码。",
        ),
        ("body", "2. 按局办公室通知的方式（电子邮件附件或上传）在规定时间内报送本文件。"),
        (
            "body",
            "3. 收到校验反馈后，请在原文件上修改并重新报送；每次报送都会保留，以最后一次通过校验的为准。",
        ),
    ]
    return lines


def _write_instructions(wb: Workbook, spec: FormatSpec, identity: Mapping[str, str]) -> None:
    ws = wb.create_sheet(INSTRUCTIONS_SHEET)
    width = _INSTRUCTIONS_WIDTH
    ws.column_dimensions["A"].width = width
    for i, (kind, text) in enumerate(_instruction_lines(spec, identity), start=1):
        cell = put_text(ws.cell(i, 1), text)
        if kind == "title":
            cell.font = Font(name=_HEADING_FONT, size=16, bold=True)
            cell.alignment = _CENTER
            ws.row_dimensions[i].height = 36
        elif kind == "heading":
            cell.font = Font(name=_HEADING_FONT, size=12, bold=True)
            cell.alignment = _LEFT
            ws.row_dimensions[i].height = 24
        else:
            cell.font = Font(name=_BODY_FONT, size=11)
            cell.alignment = _LEFT
            ws.row_dimensions[i].height = 18 * line_count(text, width)
    set_up_printing(ws)
    _protect(ws)


def _column_widths(plan: SheetPlan) -> dict[int, float]:
    widths: dict[int, float] = {}

    def need(col: int, value: float) -> None:
        widths[col] = max(widths.get(col, 0), value)

    for block in plan.blocks:
        table = block.table
        for row in table.rows:
            col = min(row.level, table.label_columns - 1) + 1
            if not row.group and col < table.label_columns:
                continue  # merged across the label columns to its right: it wraps in their combined width
            # Wrapped labels: long labels wrap over two or three lines rather than widening the column too much.
            need(col, min(max(text_width(row.label) / (3 if row.group else 2) + 2, 10), 34))
        if not table.label_columns or not any(r.printed for r in table.rows):
            need(1, 6)
        for c in table.columns:
            need(block.columns[c.id], min(max(text_width(c.display_label) / 2 + 2, 10), 14))
        need(block.check_column, 24)
    return widths


def _write_block(ws: Worksheet, spec: FormatSpec, block: TableBlock, widths: Mapping[int, float]) -> None:
    table = block.table
    label_cols = table.label_columns
    first_num = label_cols + 1
    last_num = label_cols + len(table.columns)
    if block.title_row is not None:
        _merge_write(ws, block.title_row, 1, block.title_row, last_num, table.title, bold=True, align=_LEFT)
        ws.cell(block.title_row, 1).border = Border()
        ws.row_dimensions[block.title_row].height = 22

    top, depth = block.header_top, block.header_depth
    bottom = top + depth - 1
    _merge_write(ws, top, 1, bottom, label_cols, table.corner, fill=_HEADER_FILL, bold=bool(table.corner))
    ws.cell(top, 1).font = Font(
        name=_BODY_FONT, size=10 if len(table.corner) > 12 else 11, bold=len(table.corner) <= 12
    )

    # Parent headers: consecutive columns sharing the same header prefix share one merged cell.
    for level in range(depth - 1):
        start = 0
        cols = table.columns
        while start < len(cols):
            if len(cols[start].header) <= level:
                start += 1
                continue
            prefix = cols[start].header[: level + 1]
            end = start
            while end + 1 < len(cols) and cols[end + 1].header[: level + 1] == prefix:
                end += 1
            _merge_write(
                ws,
                top + level,
                first_num + start,
                top + level,
                first_num + end,
                prefix[-1],
                fill=_HEADER_FILL,
                bold=True,
            )
            start = end + 1
    for i, col in enumerate(table.columns):
        row = top + len(col.header)
        _merge_write(
            ws, row, first_num + i, bottom, first_num + i, col.display_label, fill=_HEADER_FILL, bold=True
        )
    _merge_write(
        ws, top, block.check_column, bottom, block.check_column, CHECK_LABEL, fill=_HEADER_FILL, bold=True
    )
    for r in range(top, bottom + 1):
        ws.row_dimensions[r].height = 36 if r == bottom else 24

    _write_labels(ws, block)
    _write_figure_cells(ws, spec, block)
    _write_live_checks(ws, spec, block)
    for row in table.rows:
        if row.group or not row.printed:
            ws.row_dimensions[block.rows[row.id]].height = 22
            continue
        # A number row's label spans from its level's column to the last label column.
        col = min(row.level, label_cols - 1) + 1
        span = sum(widths.get(c, 10) for c in range(col, label_cols + 1))
        ws.row_dimensions[block.rows[row.id]].height = max(22, 16 * line_count(row.label, span))


def _write_labels(ws: Worksheet, block: TableBlock) -> None:
    table = block.table
    label_cols = table.label_columns
    for row in table.rows:
        r = block.rows[row.id]
        col = min(row.level, label_cols - 1) + 1
        label = row.label if row.printed else ""
        if row.group:
            last = block.rows[_last_descendant(table, row.id)]
            _merge_write(ws, r, col, last, col, label, align=_CENTER if row.level == 0 else _LEFT)
            # A group row holds no figure: the rest of its line is shaded and locked.
            _box(ws, r, col + 1, r, label_cols + len(table.columns), fill=_GROUP_FILL)
            if col + 1 < label_cols:
                ws.merge_cells(start_row=r, start_column=col + 1, end_row=r, end_column=label_cols)
        else:
            _merge_write(ws, r, col, r, label_cols, label, align=_LEFT)
    if block.check_row is not None:
        _merge_write(
            ws, block.check_row, 1, block.check_row, label_cols, CHECK_LABEL, fill=_HEADER_FILL, bold=True
        )
        ws.row_dimensions[block.check_row].height = 48


def _last_descendant(table: Table, row_id: str) -> str:
    last = row_id
    for child in table.rows:
        if child.parent == row_id:
            last = _last_descendant(table, child.id)
    return last


def _write_figure_cells(ws: Worksheet, spec: FormatSpec, block: TableBlock) -> None:
    from disclosure.settings import get_settings

    limits = get_settings().limits
    table = block.table
    validations: dict[ColumnKind, DataValidation] = {}
    for col in table.columns:
        dv = validations.get(col.kind)
        if dv is None:
            dv = _validation(col, limits.figure_maximum(spec, col.kind))
            validations[col.kind] = dv
            ws.add_data_validation(dv)
        for row in table.number_rows:
            cell = ws[block.coordinate(row.id, col.id)]
            cell.protection = _UNLOCKED
            cell.fill = _INPUT_FILL
            cell.border = _BORDER
            cell.font = Font(name=_DIGIT_FONT, size=11)
            cell.alignment = Alignment(horizontal="center", vertical="center")
            cell.number_format = "General" if col.kind is ColumnKind.AMOUNT else "0"
            dv.add(cell.coordinate)
    # Blank figure cells are shaded so the unit sees what is still missing (R6: a blank is not a 0).
    for row in table.number_rows:
        first = block.coordinate(row.id, table.columns[0].id)
        last = block.coordinate(row.id, table.columns[-1].id)
        ws.conditional_formatting.add(
            f"{first}:{last}",
            FormulaRule(formula=[f"LEN(TRIM({first}))=0"], fill=_BLANK_FILL, stopIfTrue=False),
        )


def _validation(col: Column, maximum: Decimal) -> DataValidation:
    """Excel's own check while typing: the column kind's shape, up to the spec's plausible maximum."""
    title, message = _KIND_ERRORS[col.kind]
    top = format(maximum.normalize(), "f")
    if col.kind is ColumnKind.COUNT:
        dv = DataValidation(type="whole", operator="between", formula1="0", formula2=top)
        prompt = "填写不小于0的整数，没有的填0"
    elif col.kind is ColumnKind.SIGNED_COUNT:
        dv = DataValidation(type="whole", operator="between", formula1=f"-{top}", formula2=top)
        prompt = "填写整数，可为负数，没有变化的填0"
    else:
        dv = DataValidation(type="decimal", operator="between", formula1="0", formula2=top)
        prompt = f"填写以{col.unit}为单位的数字（最多{col.decimals}位小数），不写单位"
    dv.allow_blank = True  # Excel cannot require a value; blanks are flagged by the check column instead
    dv.showErrorMessage = True
    dv.errorStyle = "stop"
    dv.errorTitle = title
    dv.error = message
    dv.showInputMessage = True
    dv.promptTitle = "填写说明"
    dv.prompt = prompt
    return dv


def _write_live_checks(ws: Worksheet, spec: FormatSpec, block: TableBlock) -> None:
    table = block.table
    checks = live_checks(spec, block)
    blank_rule = next((r.id for r in spec.rules if r.kind == "cell_type"), "R6")
    for row in table.rows:
        r = block.rows[row.id]
        cell = ws.cell(r, block.check_column)
        cell.border = _BORDER
        _style(cell, font_size=10, align=_LEFT)
        cell.font = Font(name=_BODY_FONT, size=10, color="C00000")
        if row.group:
            cell.fill = _GROUP_FILL
            continue
        first = block.coordinate(row.id, table.columns[0].id)
        last = block.coordinate(row.id, table.columns[-1].id)
        parts = [_blank_check(first, last, len(table.columns), blank_rule)]
        parts += [(c.broken, c.message) for c in checks if c.rule.each == "row" and c.line == row.id]
        cell.value = _check_formula(parts)
    if block.check_row is not None:
        for col in table.columns:
            parts = [(c.broken, c.message) for c in checks if c.rule.each == "column" and c.line == col.id]
            cell = ws.cell(block.check_row, block.columns[col.id])
            cell.value = _check_formula(parts) if parts else ""
            cell.border = _BORDER
            _style(cell, font_size=9, align=_LEFT)
            cell.font = Font(name=_BODY_FONT, size=9, color="C00000")
        ws.cell(block.check_row, block.check_column).border = _BORDER
    # Colour the cells of each broken instance; absolute references so the rule reads the same from every cell.
    for check in checks:
        formula = re.sub(r"\b([A-Z]{1,3})(\d+)\b", r"$\1$\2", check.broken)
        ws.conditional_formatting.add(
            " ".join(check.cells), FormulaRule(formula=[formula], fill=_BROKEN_FILL, stopIfTrue=False)
        )


def _write_table_sheet(wb: Workbook, spec: FormatSpec, plan: SheetPlan) -> None:
    ws = wb.create_sheet(plan.name)
    widths = _column_widths(plan)
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    heading = put_text(ws.cell(plan.heading_row, 1), plan.name)
    heading.font = Font(name=_HEADING_FONT, size=14, bold=True)
    heading.alignment = _CENTER
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=plan.width)
    ws.row_dimensions[1].height = 32
    for block in plan.blocks:
        _write_block(ws, spec, block, widths)
    if len(plan.blocks) == 1:
        block = plan.blocks[0]
        ws.freeze_panes = f"{get_column_letter(block.table.label_columns + 1)}{block.first_data_row}"
    else:
        ws.freeze_panes = "B2"
    # A single table repeats its header rows on each page; a sheet of several tables repeats its heading.
    if len(plan.blocks) == 1:
        block = plan.blocks[0]
        title_rows = (1, block.first_data_row - 1)
    else:
        title_rows = (1, 1)
    set_up_printing(ws, landscape=True, title_rows=title_rows)
    _protect(ws)


def _write_identity(wb: Workbook, identity: Mapping[str, str]) -> None:
    ws = wb.create_sheet(IDENTITY_SHEET)
    for i, (key, value) in enumerate(identity.items(), start=1):
        put_text(ws.cell(i, 1), key)
        put_text(ws.cell(i, 2), value)
    ws.sheet_state = "veryHidden"
    _protect(ws)
    for key, value in identity.items():
        wb.custom_doc_props.append(StringProperty(name=f"{DOC_PROPERTY_PREFIX}{key}", value=value))


def build_template(
    spec: FormatSpec, year: int, unit_code: str, unit_name: str, *, signing_key: str | None = None
) -> Workbook:
    """The fill-in workbook of ``unit_code`` for report ``year`` in format ``spec``, in memory, its identity
    signed with ``signing_key`` (default: the bureau's newest secret key)."""
    return _build(spec, _identity(spec, year, unit_code, unit_name, _signing_key(signing_key)))


def _build(spec: FormatSpec, identity: Mapping[str, str]) -> Workbook:
    year, unit_code = identity["year"], identity["unit_code"]
    wb = Workbook()
    _write_cover(wb, spec, identity)
    _write_instructions(wb, spec, identity)
    for sheet in spec.sheets:
        _write_table_sheet(wb, spec, plan_sheet(spec, sheet))
    _write_identity(wb, identity)
    wb.properties.title = f"{year}年政府信息公开工作年度报告 单位填报表"
    wb.properties.subject = spec.title
    wb.properties.creator = GENERATOR
    wb.properties.keywords = f"{spec.version} {year} {unit_code}"
    wb.active = 0
    return wb


def write_template(
    spec: FormatSpec,
    year: int,
    unit_code: str,
    unit_name: str,
    path: Path,
    *,
    signing_key: str | None = None,
) -> Path:
    """Write the fill-in workbook of ``unit_code`` for report ``year`` in format ``spec`` to ``path``."""
    unit = _UnitRef(unit_code, unit_name)
    [written] = _write_stamped(spec, year, [(unit, Path(path))], _signing_key(signing_key))
    return written


#: A file name stays within every file system's 255 bytes (three per Chinese character in UTF-8).
_NAME_CHARS = 60


def template_file_name(year: int, unit_code: str, unit_name: str) -> str:
    """``2020_U05_水文环境地质调查院.xlsx``: the short name after the province prefix, safe for any file system."""
    short = re.sub(r"^宁夏回族自治区", "", unit_name)
    short = re.sub(r'[\\/:*?"<>|\s]+', "_", short)[:_NAME_CHARS]
    return f"{year}_{unit_code}_{short}.xlsx"


def write_templates(spec: FormatSpec, year: int, units: Iterable, folder: Path) -> list[Path]:
    """One template per unit (objects with ``code`` and ``name``) in ``folder``; returns the paths written."""
    folder = Path(folder)
    targets = [
        (
            _UnitRef(unit.code, unit.name),
            folder / template_file_name(year, unit.code, getattr(unit, "short_name", "") or unit.name),
        )
        for unit in units
    ]
    return _write_stamped(spec, year, targets, _signing_key(None))


# --------------------------------------------------------------------------------------------------------------
# Stamping: the workbook is built once per format and year, each unit's copy gets its identity stamped in
# --------------------------------------------------------------------------------------------------------------
# Building and saving a template costs ~0.2 s of CPU, almost all of it in the table sheets, which are the same for
# every unit; a ministry line distributes to thousands of units. So the package is built once with placeholder
# identity values and each unit's file is that package with its code, name and signature put in place of the
# placeholders (and the one row height that depends on the name's length). tests/unit/test_template_stamp.py
# proves a stamped file equals the one built for the unit directly.


@dataclass(frozen=True)
class _UnitRef:
    code: str
    name: str


#: The identity fields that differ between units of one year, and their placeholders in the built package.
_STAMPED = ("unit_code", "unit_name", "signature")
_PLACEHOLDER = {name: f"DISCLOSURE-STAMP-{name}-9f1c" for name in _STAMPED}


def _xml_text(value: str, member: str) -> bytes:
    """``value`` as openpyxl writes element text in package member ``member``: XML-escaped; in worksheets
    non-ASCII as character references, elsewhere UTF-8."""
    from xml.sax.saxutils import escape

    if member.startswith("xl/worksheets/"):
        return escape(value).encode("ascii", "xmlcharrefreplace")
    return escape(value).encode()


def _stampable(unit: _UnitRef) -> bool:
    """Values a plain text substitution reproduces exactly (openpyxl marks leading or trailing spaces and
    rejects control characters: such a unit's template is built in full, which says what is wrong)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return all(v == v.strip() and not ILLEGAL_CHARACTERS_RE.search(v) for v in (unit.code, unit.name))


def _instruction_row(spec: FormatSpec, identity: Mapping[str, str]) -> tuple[int, str]:
    """The 填报说明 row that names the unit (1-based) and its text for ``identity``."""
    for i, (_, text) in enumerate(_instruction_lines(spec, identity), start=1):
        if identity["unit_name"] in text:
            return i, text
    raise AssertionError("the instructions name the unit")  # the layout contract of _instruction_lines


def _write_stamped(spec: FormatSpec, year: int, targets: list[tuple[_UnitRef, Path]], key: str) -> list[Path]:
    import io
    import zipfile

    placeholder = {**_identity(spec, year, "", "", key), **_PLACEHOLDER}
    wb = _build(spec, placeholder)
    buffer = io.BytesIO()
    wb.save(buffer)
    with zipfile.ZipFile(buffer) as package:
        members = [(info, package.read(info)) for info in package.infolist()]
    sheet_of = {ws.title: f"xl/worksheets/sheet{i}.xml" for i, ws in enumerate(wb.worksheets, start=1)}
    row, _ = _instruction_row(spec, placeholder)
    written = []
    for unit, path in targets:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not _stampable(unit):
            build_template(spec, year, unit.code, unit.name, signing_key=key).save(path)
            written.append(path)
            continue
        identity = _identity(spec, year, unit.code, unit.name, key)
        height = 18 * line_count(_instruction_row(spec, identity)[1], _INSTRUCTIONS_WIDTH)
        tmp = path.with_name(f".stamp-{os.getpid()}.tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
            for info, data in members:
                if b"DISCLOSURE-STAMP-" in data:
                    for name in _STAMPED:
                        data = data.replace(
                            _PLACEHOLDER[name].encode(), _xml_text(identity[name], info.filename)
                        )
                if info.filename == sheet_of[INSTRUCTIONS_SHEET]:
                    data = re.sub(
                        rb'(<row r="%d"[^>]*? ht=")[^"]*(")' % row, rb"\g<1>%d\g<2>" % height, data, count=1
                    )
                out.writestr(info, data)
        tmp.replace(path)  # a unit never finds half a template in the outbox
        written.append(path)
    return written


# --------------------------------------------------------------------------------------------------------------
# Filler (sample returns, tests)
# --------------------------------------------------------------------------------------------------------------


def _spec_of(wb) -> FormatSpec:
    from disclosure.formats import load_spec

    ws = wb[IDENTITY_SHEET]
    identity = {str(ws.cell(i, 1).value): ws.cell(i, 2).value for i in range(1, ws.max_row + 1)}
    return load_spec(str(identity["format_version"]))


def fill_workbook(
    template_path: Path,
    out_path: Path,
    values: Mapping[Cell, int | Decimal | str | None],
    *,
    contact: str,
    phone: str,
    justification: str = "",
    nothing_to_report: bool = False,
) -> Path:
    """Fill a fresh template with ``values`` (None leaves a blank; str is written as text) and the cover fields
    (``nothing_to_report`` ticks the cover's declaration)."""
    wb = load_workbook(template_path)
    fill_in_memory(
        wb,
        values,
        contact=contact,
        phone=phone,
        justification=justification,
        nothing_to_report=nothing_to_report,
    )
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out_path)
    return out_path


def fill_in_memory(
    wb: Workbook,
    values: Mapping[Cell, int | Decimal | str | None],
    *,
    contact: str,
    phone: str,
    justification: str = "",
    nothing_to_report: bool = False,
) -> Workbook:
    """:func:`fill_workbook` on an open workbook (a template from :func:`build_template` or a loaded file)."""
    layout = template_layout(_spec_of(wb))
    unknown = [c for c in values if Cell(*c) not in layout]
    if unknown:
        raise KeyError(f"cells not in this template: {unknown[:5]}")
    for key, value in values.items():
        sheet, coordinate = layout[Cell(*key)]
        put_text(wb[sheet][coordinate], value)
    cover = wb[COVER_SHEET]
    inputs = {
        "contact": contact,
        "phone": phone,
        "justification": justification or None,
        "nothing_to_report": NOTHING_TO_REPORT_CHOICE if nothing_to_report else None,
    }
    labels = {label: key for key, label in COVER_FIELDS.items()}
    for row in range(1, cover.max_row + 1):
        key = labels.get(str(cover.cell(row, 1).value or ""))
        if key in inputs:
            put_text(cover.cell(row, 2), inputs[key])  # contact fields are text, whatever they start with
    return wb
