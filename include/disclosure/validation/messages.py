"""Findings in Chinese: each names the table, the cell and its official labels, the expected and the actual
value, and what to change. Example: «第三表 I9（一、本年新收政府信息公开申请数量·总计）应为 7（自然人 5 + 商业企业 2），
实为 6».
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from disclosure.errors import FATAL_PROBLEM_CODES, Problem
from disclosure.figures import Number, UnitReturn
from disclosure.formats import Cell, Column, ColumnKind, FormatSpec, Severity, Table
from disclosure.formats.loader import available_versions, load_spec
from disclosure.validation.checks import CheckItem, Term
from disclosure.validation.findings import READ_RULE, TEMPLATE_RULE, Finding
from disclosure.validation.suite import BLANK, RANGE, SHAPE
from disclosure.workbook.identity import COVER_FIELDS, COVER_SHEET

#: Where the cover sheet shows the format version (layout contract: title in row 1, then one row per field).
COVER_VERSION_CELL = f"B{2 + list(COVER_FIELDS).index('format_version')}"
COVER_YEAR_CELL = f"B{2 + list(COVER_FIELDS).index('year')}"
COVER_JUSTIFICATION_CELL = f"B{2 + list(COVER_FIELDS).index('justification')}"

Layout = Mapping[Cell, tuple[str, str]]


def fmt(value: Number | None) -> str:
    """A figure as a unit writes it: 7, 25.1, 空白."""
    if value is None:
        return "空白"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return str(value)


def table_name(table: Table) -> str:
    """第三表; 二's sub-tables add their clause: 第二表（第二十条第（一）项）."""
    name = f"第{table.section}表"
    if table.title.startswith("第") and table.title.endswith("项"):
        name += f"（{table.title}）"
    return name


def column_name(table: Table, column: Column) -> str:
    """The column's label, preceded by its nearest header when that header tells columns apart (四's groups)."""
    if column.header:
        nearest = column.header[-1]
        if not all(nearest in c.header for c in table.columns):
            return f"{nearest}·{column.label}"
    return column.label


def cell_label(table: Table, cell: Cell) -> str:
    row = table.row(cell.row)
    col = column_name(table, table.column(cell.column))
    return f"{row.label}·{col}" if row.printed else col


def locate(ret: UnitReturn, cell: Cell, layout: Layout | None) -> tuple[str | None, str | None]:
    """Sheet and A1 cell of a figure: as read from the workbook, else where a fresh template puts it."""
    for figure in ret.figures:
        if figure.key == tuple(cell) and figure.sheet and figure.cell:
            return figure.sheet, figure.cell
    if layout and cell in layout:
        return layout[cell]
    return None, None


def _where(spec: FormatSpec, cell: Cell, coord: str | None) -> str:
    table = spec.table(cell.table)
    place = f"{table_name(table)} {coord}" if coord else table_name(table)
    return f"{place}（{cell_label(table, cell)}）"


def _kind_expectation(column: Column) -> str:
    if column.kind is ColumnKind.AMOUNT:
        return f"以{column.unit}计的数字，最多{column.decimals}位小数"
    if column.kind is ColumnKind.SIGNED_COUNT:
        return "整数（减少时填负数）"
    return "不小于0的整数"


def raw_issue(raw: str, column: Column) -> str | None:
    """What to write instead of ``raw`` (e.g. "251000元" in a 万元 column → 25.1): the reader's own advice; None
    when ``raw`` is a good number (the figure was unusable for another reason, e.g. its row label was changed)."""
    from disclosure.workbook.values import parse_figure

    _, issue = parse_figure(raw, column)
    return issue.advice if issue is not None else None


def _raw_advice(raw: str, column: Column) -> str:
    return raw_issue(raw, column) or f"内容“{raw}”不能作为本格的数字。请只填写{_kind_expectation(column)}。"


def cell_finding(
    item: CheckItem,
    aspect: str,
    spec: FormatSpec,
    ret: UnitReturn,
    layout: Layout | None,
    file: str | None,
    problem: Problem | None = None,
    solved: CheckItem | None = None,
) -> Finding:
    """R6: blank, unreadable, negative or mis-shaped figure. ``problem``: what the reader said about the cell;
    ``solved``: for a blank cell, the equation that determines its value (``checks.determined_value``)."""
    assert item.cell is not None and item.rule is not None
    cell = item.cell
    table = spec.table(cell.table)
    column = table.column(cell.column)
    sheet, coord = locate(ret, cell, layout)
    where = _where(spec, cell, coord)
    expected = _kind_expectation(column)
    figure = item.figure
    value = figure.value if figure is not None else None
    raw = figure.raw if figure is not None else None
    if aspect == BLANK and problem is not None and problem.code != "blank_cell":
        # the reader saw the cell itself (a formula error, a misleading number format...): its advice says most
        actual = raw if raw not in (None, "") else "空白"
        message = f"{where}{problem.advice}" if problem.advice else problem.message
    elif aspect == BLANK and raw not in (None, ""):
        actual = raw
        message = f"{where}{_raw_advice(raw, column)}"
    elif aspect == BLANK and solved is not None and solved.rule is not None:
        actual = "空白"
        expected = fmt(solved.expected)
        others = [t for t in (*solved.left, *solved.right) if t.cell != cell or t.previous]
        message = (
            f"{where}未填写：按{solved.rule.id} {solved.rule.name}（{_equation_text(spec, solved, others)}）"
            f"应为 {expected}。请填写 {expected}（报表中的数字不得留空）。"
        )
    elif aspect == BLANK:
        actual = "空白"
        message = f"{where}未填写：没有发生的请填 0，不得留空。"
    elif aspect == RANGE:
        actual = fmt(value)
        what = "金额" if column.kind is ColumnKind.AMOUNT else "件数"
        message = f"{where}为 {actual}，{what}不能为负数，请改为{expected}。"
    elif aspect == SHAPE:
        actual = fmt(value)
        if column.kind is ColumnKind.AMOUNT:
            message = f"{where}为 {actual}，金额以{column.unit}计最多保留{column.decimals}位小数，请改正。"
        else:
            message = f"{where}为 {actual}，件数应为整数，请改正。"
    else:  # pragma: no cover - the suite defines no other aspect for cell rules
        raise ValueError(f"unknown aspect {aspect!r}")
    return Finding(
        rule=item.rule.id,
        severity=item.rule.severity,
        message=message,
        unit=ret.unit,
        file=file,
        sheet=sheet,
        cell=coord,
        expected=expected,
        actual=actual,
        key=cell,
    )


def _term_name(spec: FormatSpec, item: CheckItem, term: Term) -> str:
    assert item.rule is not None
    table = spec.table(term.cell.table)
    if item.rule.each == "column":
        name = table.row(term.cell.row).label
    else:
        column = table.column(term.cell.column)
        same_group = item.cell is not None and table.column(item.cell.column).header == column.header
        name = column.label if same_group else column_name(table, column)
    return f"上年度{name}" if term.previous else name


def _terms_text(spec: FormatSpec, item: CheckItem, terms: list[Term]) -> str:
    """``自然人 5 + 商业企业 2``; long sums list their non-zero terms and say the rest are 0."""
    shown = terms
    if len(terms) > 6:
        shown = [t for t in terms if t.value != 0] or terms[:1]
    parts = []
    for i, term in enumerate(shown):
        text = f"{_term_name(spec, item, term)} {fmt(term.value)}"
        if i == 0:
            parts.append(text if term.sign > 0 else f"− {text}")
        else:
            parts.append(f"{'+' if term.sign > 0 else '−'} {text}")
    if len(shown) < len(terms):
        parts.append("，其余各项均为 0")
    return " ".join(parts).replace(" ，", "，")


def _equation_text(spec: FormatSpec, item: CheckItem, others: list[Term]) -> str:
    """The equation that determines a blank cell, its other terms with their values: "自然人 250 + 商业企业 22" (the
    cell is a whole side), else "上年结转 2 + 本格 = （七）总计 5 + 结转下年度继续办理 1"."""
    left = [t for t in item.left if t in others]
    right = [t for t in item.right if t in others]
    if not left or not right:
        return _terms_text(spec, item, left or right)
    blank_left = len(left) < len(item.left)
    left_text = _terms_text(spec, item, left) + (" + 本格" if blank_left else "")
    right_text = _terms_text(spec, item, right) + ("" if blank_left else " + 本格")
    return f"{left_text} = {right_text}"


def equation_finding(
    item: CheckItem,
    spec: FormatSpec,
    ret: UnitReturn,
    layout: Layout | None,
    file: str | None,
    justification: str,
) -> Finding:
    """An equation instance that does not hold; the checked cell is the left side's (first) cell."""
    assert item.cell is not None and item.rule is not None
    rule = item.rule
    sheet, coord = locate(ret, item.cell, layout)
    where = _where(spec, item.cell, coord)
    right = item.right_sum
    if len(item.left) == 1 and item.left[0].sign == 1:
        expected = fmt(right)
        actual = fmt(item.left[0].value)
        message = f"{where}应为 {expected}（{_terms_text(spec, item, item.right)}），实为 {actual}。"
    else:
        expected = fmt(right)
        actual = fmt(item.left_sum)
        message = (
            f"{where}：{_terms_text(spec, item, item.left)}，合计 {actual}，"
            f"应等于{_terms_text(spec, item, item.right)}，合计 {expected}（{rule.name}）。请核对这几项数字。"
        )
    justified = False
    if rule.severity is Severity.WARNING:
        message, justified = _warning_tail(message, justification)
    elif len(item.left) == 1:
        message += "请核对后改正。"
    return Finding(
        rule=rule.id,
        severity=rule.severity,
        message=message,
        unit=ret.unit,
        file=file,
        sheet=sheet,
        cell=coord,
        expected=expected,
        actual=actual,
        justified=justified,
        key=item.cell,
    )


def _warning_tail(message: str, justification: str) -> tuple[str, bool]:
    """A warning's message ends with the unit's 差异说明 when it wrote one (the warning is then justified), else
    with what to do if the figure is right."""
    if justification.strip():
        return f"{message}单位已在封面“差异说明”中说明：{justification.strip()}", True
    return f"{message}如数字无误，请在封面“差异说明”中写明原因。", False


_COUNTS = "一两三四五六七八九十"


def _years_phrase(years: list[int], year: int) -> str:
    """«上年», «近三年» for the years just before ``year``, else the years themselves: «2017、2019年»."""
    if years == list(range(year - len(years), year)):
        return "上年" if len(years) == 1 else f"近{_COUNTS[len(years) - 1]}年"
    return f"{'、'.join(str(y) for y in years)}年"


def outlier_finding(
    item: CheckItem,
    spec: FormatSpec,
    ret: UnitReturn,
    layout: Layout | None,
    file: str | None,
    justification: str,
) -> Finding:
    """A figure far from the unit's own history, an amount that jumped by orders of magnitude, or a return that
    repeats last year's: the history is in the message («近三年为 3、5、4，今年为 400»)."""
    assert item.rule is not None and item.rule.test is not None
    rule, method = item.rule, item.rule.test.method
    if method == "identical":
        sheet, coord = COVER_SHEET, COVER_JUSTIFICATION_CELL
        expected, actual = "至少一项与上年不同", "与上年完全相同"
        message = (
            f"本表各项数字与本单位{ret.year - 1}年度已采用的报表完全相同，可能误报了上年度的报表：请核对后填报"
            f"{ret.year}年度的数字。"
        )
    else:
        assert item.cell is not None
        sheet, coord = locate(ret, item.cell, layout)
        where = _where(spec, item.cell, coord)
        past = "、".join(fmt(v) for _, v in item.history)
        expected, actual = past, fmt(item.value)
        phrase = _years_phrase([y for y, _ in item.history], ret.year)
        if method == "magnitude":
            column = spec.table(item.cell.table).column(item.cell.column)
            unit = f"（本栏以{column.unit}计）" if column.unit else ""
            message = (
                f"{where}{phrase}为 {past}，今年为 {actual}，相差 {fmt(rule.test.factor)} 倍以上：请核对是否以"
                f"“元”误填{unit}。"
            )
        else:
            message = f"{where}{phrase}为 {past}，今年为 {actual}，明显偏离本单位往年数据。"
    message, justified = _warning_tail(message, justification)
    return Finding(
        rule=rule.id,
        severity=rule.severity,
        message=message,
        unit=ret.unit,
        file=file,
        sheet=sheet,
        cell=coord,
        expected=expected,
        actual=actual,
        justified=justified,
        key=item.cell,
    )


def _format_title(version: str) -> str:
    if version in available_versions():
        return f"“{load_spec(version).title}”（{version}）"
    return f"“{version}”"


def version_finding(spec: FormatSpec, ret: UnitReturn, file: str | None) -> Finding:
    """The return uses another format than the one in force for its year."""
    year = ret.meta.year
    message = (
        f"该表使用的是{_format_title(ret.meta.format_version)}模板，{year}年度应使用{_format_title(spec.version)}"
        f"模板：请下载{year}年度模板，把数字填入新模板后重新报送。"
    )
    return Finding(
        rule=TEMPLATE_RULE,
        severity=Severity.ERROR,
        message=message,
        unit=ret.unit,
        file=file,
        sheet=COVER_SHEET,
        cell=COVER_VERSION_CELL,
        expected=spec.version,
        actual=ret.meta.format_version,
    )


def problem_finding(problem: Problem, *, unit: str | None, file: str | None) -> Finding:
    """A reader problem (unreadable file, changed label, moved table) as a finding."""
    rule = READ_RULE if problem.code in FATAL_PROBLEM_CODES else TEMPLATE_RULE
    return Finding(
        rule=rule,
        severity=Severity.ERROR,
        message=problem.message,
        unit=unit,
        file=file,
        sheet=problem.sheet,
        cell=problem.cell,
        actual=problem.raw,
    )
