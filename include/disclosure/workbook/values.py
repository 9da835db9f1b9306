"""Turning one figure cell's content into a number, or into a problem that says what to change.

Counts are whole numbers (``int``), 本年增/减 may be negative, amounts are exact ``Decimal``s in the column's unit
with at most the allowed decimals. A blank is never a 0. Excel keeps numbers as binary doubles; a cached value is
read back at Excel's own precision (15 significant digits) so 3421.7 stays 3421.7 and no float arithmetic ever
touches an amount.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from disclosure.formats import Column, ColumnKind
from disclosure.workbook.labels import is_blank
from disclosure.workbook.number_formats import (
    KIND_NAMES,
    FormatKind,
    classify,
    date_text,
    shown,
    shows_whole_numbers,
)

# Only ASCII digits (full-width ones become ASCII under NFKC); "\d" would also take ٣, ३, 𝟛 …
_NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
_NUMBER_WITH_UNIT = re.compile(
    r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))\s*(亿元|万元|千元|元|件次|件|个|项|条|次|人|宗)$"
)
#: the digits a figure may be written with: ASCII and full-width
_DIGITS = frozenset("0123456789０１２３４５６７８９")
#: how many 万元 one of these units is worth
_YUAN_UNITS = {"元": Decimal("0.0001"), "千元": Decimal("0.1"), "万元": Decimal(1), "亿元": Decimal(10000)}


@dataclass(frozen=True)
class CellIssue:
    """Why a cell's content is not a usable figure: a problem code and the Chinese advice (without location)."""

    code: str
    advice: str


#: What each Excel error value means, for the unit (a formula error is named as such, never as a blank).
ERROR_MEANINGS = {
    "#DIV/0!": "除数为 0",
    "#REF!": "引用的单元格已被删除或移动",
    "#VALUE!": "参与计算的内容不是数字",
    "#NAME?": "公式中有无法识别的函数或名称",
    "#N/A": "找不到所引用的数值",
    "#NUM!": "计算结果超出范围",
    "#NULL!": "引用的区域没有交集",
    "#SPILL!": "计算结果无法放入相邻单元格",
    "#CALC!": "公式无法计算",
}


def parse_figure(
    raw: object,
    column: Column,
    *,
    formula: str | bool = False,
    error: str | None = None,
    number_format: str | None = None,
    maximum: Decimal | None = None,
) -> tuple[int | Decimal | None, CellIssue | None]:
    """The figure a cell holds for ``column``, or ``(None, issue)``.

    ``raw`` is the cached value as calamine returns it ("" for an empty cell or an error value); ``formula`` the
    cell's formula (or True when only its presence is known); ``error`` its cached error value (``#DIV/0!``);
    ``number_format`` its number format, so a number is taken only when the cell shows that number; ``maximum``
    the largest plausible magnitude of the column's kind (a larger one is a typing error, reported before any
    arithmetic touches it).
    """
    if raw.__class__ is float and not error:
        whole = whole_figure(raw, column, number_format, maximum)  # type: ignore[arg-type]
        if whole is not None:
            return whole, None
    if error:
        return None, _error_issue(error, formula, column)
    if is_blank(raw):
        if formula:
            return None, CellIssue(
                "formula_without_value",
                "含有公式但没有计算结果（文件未经 Excel/WPS 重新计算保存）。"
                "请在 Excel/WPS 中打开该文件、确认公式结果后保存，或直接填写数字。",
            )
        return None, CellIssue("blank_cell", "未填写。没有发生的请填 0，不得留空。")
    number, issue = _as_decimal(raw, column)
    if issue is not None:
        return None, issue
    assert number is not None
    display = (
        shown(raw, number_format) if isinstance(raw, int | float) and not isinstance(raw, bool) else None
    )
    if (display is not None and display.kind is FormatKind.TEXT) or (
        isinstance(raw, str) and classify(number_format) is FormatKind.TEXT
    ):
        return None, CellIssue(
            "number_as_text",
            f"单元格格式为“文本”，其中的“{_plain(number)}”是以文本保存的数字（Excel/WPS 的求和与本表的校验提示都会忽略它）。"
            "请将单元格格式设为“常规”，再重新输入该数字。",
        )
    if not number.is_finite():
        return None, CellIssue("text_in_number_cell", f"内容“{raw}”不是有效的数字。{_fill_hint(column)}")
    if number.is_zero():
        number = abs(number)  # -0 is 0, as Excel shows it
    if maximum is not None and abs(number) > maximum:
        return None, CellIssue(
            "implausible_magnitude",
            f"数字 {_magnitude(number)} 超出合理范围：{_kind_name(column)}不应超过 {_plain(maximum)}"
            f"{column.unit or ''}。请核对是否多输了数字、填错了单位或粘贴了其他内容。",
        )
    if display is not None and not display.same and display.kind is not FormatKind.NUMBER:
        return None, CellIssue(
            "misleading_number_format",
            f"显示为“{display.text}”（单元格格式为{KIND_NAMES[display.kind]}），而单元格中的数字是 {_plain(number)}。"
            f"请将单元格格式设为“常规”或“数值”，再按本表的含义填写。{_fill_hint(column)}",
        )
    value, issue = _check_kind(number, column)
    if issue is not None:
        if display is not None and not display.same:
            issue = CellIssue(
                issue.code, f"{issue.advice}（单元格显示为“{display.text}”，实际数字为 {_plain(number)}。）"
            )
        return None, issue
    if display is not None and not display.same:
        return None, CellIssue(
            "misleading_number_format",
            f"显示为“{display.text}”，而单元格中的数字是 {_plain(number)}（单元格格式隐藏或改变了部分数字）。"
            "请将单元格格式设为“常规”，核对后填写准确的数字。",
        )
    return value, None


def whole_figure(
    raw: float, column: Column, number_format: str | None, maximum: Decimal | None
) -> int | Decimal | None:
    """The usual cell, decided without arithmetic: a whole number (calamine's float) under a format that shows it
    as it is, of the column's sign and within its maximum. None for anything else: the full road decides it (and
    gives the same value where this one gives one)."""
    if not (raw.is_integer() and -1e15 < raw < 1e15 and shows_whole_numbers(number_format)):
        return None
    value = int(raw)
    kind = column.kind
    if (maximum is not None and abs(value) > maximum) or (value < 0 and kind is not ColumnKind.SIGNED_COUNT):
        return None
    if kind is ColumnKind.AMOUNT:
        return Decimal(value)
    return value if kind in (ColumnKind.COUNT, ColumnKind.SIGNED_COUNT) else None


def _error_issue(error: str, formula: str | bool, column: Column) -> CellIssue:
    meaning = ERROR_MEANINGS.get(error.upper())
    why = f"（{meaning}）" if meaning else ""
    if formula:
        shown_formula = f"“{formula}”" if isinstance(formula, str) and len(formula) > 1 else ""
        return CellIssue(
            "formula_error",
            f"公式{shown_formula}的计算结果是错误值 {error}{why}，不是数字。请改正公式，或直接填写数字。",
        )
    return CellIssue("error_value", f"内容是错误值“{error}”{why}，不是数字。{_fill_hint(column)}")


def _as_decimal(raw: object, column: Column) -> tuple[Decimal | None, CellIssue | None]:
    if isinstance(raw, bool):
        return None, CellIssue("text_in_number_cell", f"内容“{raw}”不是数字。{_fill_hint(column)}")
    if isinstance(raw, int):
        return Decimal(raw), None
    if isinstance(raw, float):
        # Excel's precision: 15 significant digits (3421.6999999999998 is 3421.7 to Excel and to the unit).
        return Decimal(format(raw, ".15g")), None
    if isinstance(raw, dt.date | dt.time | dt.timedelta):
        return None, CellIssue(
            "text_in_number_cell",
            f"显示为日期或时间“{date_text(raw)}”，不是数字（单元格格式被设成了日期或时间）。"
            f"请将单元格格式设为“常规”或“数值”后重新填写。{_fill_hint(column)}",
        )
    original = str(raw).strip()
    foreign = [ch for ch in original if unicodedata.category(ch)[0] == "N" and ch not in _DIGITS]
    if foreign:
        return None, CellIssue(
            "foreign_digits",
            f"内容“{original}”含有不是阿拉伯数字的字符“{''.join(dict.fromkeys(foreign))}”。"
            f"请用半角阿拉伯数字 0—9 重新输入。{_fill_hint(column)}",
        )
    text = unicodedata.normalize("NFKC", original)
    if _NUMBER.match(text):
        # A number typed as text (WPS, copy-paste) is still that number.
        return Decimal(text), None
    with_unit = _NUMBER_WITH_UNIT.match(text.replace(" ", ""))
    if with_unit:
        return None, CellIssue("unit_in_cell", _unit_advice(original, with_unit, column))
    return None, CellIssue("text_in_number_cell", f"内容“{original}”不是数字。{_fill_hint(column)}")


def _unit_advice(shown: str, match: re.Match[str], column: Column) -> str:
    number, unit = Decimal(match.group(1)), match.group(2)
    if column.kind is ColumnKind.AMOUNT and column.unit == "万元" and unit in _YUAN_UNITS:
        converted = _plain(number * _YUAN_UNITS[unit])
        if unit == "万元":
            return f"内容“{shown}”带有单位。请删除单位“万元”，只填写数字 {converted}。"
        return (
            f"内容“{shown}”带有单位“{unit}”，而本列以万元为单位。"
            f"请删除单位并换算为万元，只填写数字：{converted}（即 {shown} = {converted} 万元）。"
        )
    if column.kind is ColumnKind.AMOUNT:
        return f"内容“{shown}”带有单位“{unit}”。请删除单位，只填写以{column.unit}计的数字。"
    return f"内容“{shown}”带有单位或文字“{unit}”。请删除“{unit}”，只填写数字 {_plain(number)}。"


def _check_kind(number: Decimal, column: Column) -> tuple[int | Decimal | None, CellIssue | None]:
    try:
        whole = number == number.to_integral_value()
    except InvalidOperation:
        whole = False
    if column.kind is ColumnKind.AMOUNT:
        assert column.decimals is not None
        places = max(0, -number.normalize().as_tuple().exponent) if not whole else 0
        if places > column.decimals:
            return None, CellIssue(
                "too_many_decimals",
                f"金额 {_plain(number)} 有 {places} 位小数，本列以{column.unit}为单位，最多保留 {column.decimals} 位小数。"
                f"请四舍五入到 {column.decimals} 位小数后填写。",
            )
        if number < 0:
            return None, CellIssue(
                "negative_amount", f"金额 {_plain(number)} 为负数。金额不能小于 0，请更正。"
            )
        return number, None
    if not whole:
        return None, CellIssue(
            "decimal_in_count",
            f"“{_plain(number)}”不是整数。本列是件数，只能填写整数，请更正。",
        )
    value = int(number)
    if value < 0 and column.kind is ColumnKind.COUNT:
        return None, CellIssue(
            "negative_count",
            f"件数 {value} 为负数。本列是件数，不能小于 0，请更正（只有“本年增/减”可以填负数）。",
        )
    return value, None


def _fill_hint(column: Column) -> str:
    if column.kind is ColumnKind.AMOUNT:
        return f"请只填写以{column.unit}计的数字（最多 {column.decimals} 位小数），不要填写文字或单位；没有发生的填 0。"
    if column.kind is ColumnKind.SIGNED_COUNT:
        return "请只填写整数（减少的填负数），不要填写文字或单位；没有变化的填 0。"
    return "请只填写不小于 0 的整数，不要填写文字或单位；没有发生的填 0。"


def _plain(number: Decimal) -> str:
    """A decimal as a person writes it: no exponent, no trailing zeros."""
    text = format(number.normalize(), "f")
    return text


def _kind_name(column: Column) -> str:
    return "金额" if column.kind is ColumnKind.AMOUNT else "件数"


def _magnitude(number: Decimal) -> str:
    """A huge number as Excel shows it (1E+308), an ordinary one in full."""
    return _plain(number) if abs(number.adjusted()) < 16 else f"{number:.6G}"


def looks_like_number(value: object) -> bool:
    """True for content that is, or reads as, a number: a number, a date, numeric text (also with a unit)."""
    if isinstance(value, bool) or is_blank(value):
        return False
    if isinstance(value, int | float | dt.date | dt.time | dt.timedelta):
        return True
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(" ", "")
    return bool(_NUMBER.match(text) or _NUMBER_WITH_UNIT.match(text))
