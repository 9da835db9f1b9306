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

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_NUMBER_WITH_UNIT = re.compile(
    r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(亿元|万元|千元|元|件次|件|个|项|条|次|人|宗)$"
)
#: how many 万元 one of these units is worth
_YUAN_UNITS = {"元": Decimal("0.0001"), "千元": Decimal("0.1"), "万元": Decimal(1), "亿元": Decimal(10000)}


@dataclass(frozen=True)
class CellIssue:
    """Why a cell's content is not a usable figure: a problem code and the Chinese advice (without location)."""

    code: str
    advice: str


def parse_figure(
    raw: object, column: Column, *, formula: bool = False
) -> tuple[int | Decimal | None, CellIssue | None]:
    """The figure a cell holds for ``column``, or ``(None, issue)``.

    ``raw`` is the cached value as calamine returns it ("" for an empty cell); ``formula`` says the cell holds a
    formula (only consulted when there is no cached value).
    """
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
    return _check_kind(number, column)


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
            f"内容“{raw}”是日期或时间，不是数字（单元格格式可能被设成了日期）。"
            f"请将单元格格式设为“常规”或“数值”后重新填写。{_fill_hint(column)}",
        )
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if _NUMBER.match(text):
        # A number typed as text (WPS, copy-paste) is still that number.
        return Decimal(text), None
    with_unit = _NUMBER_WITH_UNIT.match(text.replace(" ", ""))
    if with_unit:
        return None, CellIssue("unit_in_cell", _unit_advice(str(raw).strip(), with_unit, column))
    return None, CellIssue("text_in_number_cell", f"内容“{str(raw).strip()}”不是数字。{_fill_hint(column)}")


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
