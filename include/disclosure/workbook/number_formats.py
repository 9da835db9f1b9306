"""What an Excel number format makes of a number: the text a person sees, and whether it is still that number.

A figure is read as the number the cell holds. That is only right when the cell shows that number: 7.051 in a cell
formatted ``0.00%`` shows 705.10%, 44000 formatted as a date shows 2020-06-18, 1.5 formatted ``# ?/?`` shows
1 1/2, 3421.7 formatted ``0`` shows 3422 and ``;;;`` shows nothing. :func:`shown` renders what Excel shows for the
formats that matter here (precisely enough to quote it in a message) and says which kind of format it is.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache


class FormatKind(StrEnum):
    GENERAL = "general"  # shows the number itself
    NUMBER = "number"  # fixed decimals, thousands separators: the number, maybe rounded
    PERCENT = "percent"
    DATE = "date"  # dates and times
    FRACTION = "fraction"
    SCIENTIFIC = "scientific"
    TEXT = "text"  # "@": what is typed is kept as text
    HIDDEN = "hidden"  # an empty section: the cell looks blank


#: Chinese name of each kind, as Excel/WPS names it in 设置单元格格式
KIND_NAMES = {
    FormatKind.PERCENT: "百分比",
    FormatKind.DATE: "日期或时间",
    FormatKind.FRACTION: "分数",
    FormatKind.SCIENTIFIC: "科学记数",
    FormatKind.TEXT: "文本",
    FormatKind.HIDDEN: "隐藏内容（;;;）",
    FormatKind.NUMBER: "数值",
}

_BRACKETS = re.compile(r"\[(?!(?:h+|m+|s+)\])[^\]]*\]", re.IGNORECASE)  # [Red], [>=100], [$-804]; not [h]
_LITERALS = re.compile(r'"[^"]*"|\\.|_.|\*.')  # "text", \x, _x (padding), *x (fill)
_DATE_TOKENS = re.compile(r"[ymdhsYMDHSeE]|[aA][mM]/[pP][mM]|\[(?:h+|m+|s+)\]")
_GENERAL = {"general", "g/通用格式", "通用格式"}


@dataclass(frozen=True)
class Shown:
    kind: FormatKind
    text: str  # what the cell shows
    same: bool  # True when what it shows is the number held (``value`` exactly)


def _section(code: str, value: Decimal) -> str | None:
    """The format section Excel uses for ``value`` (positive;negative;zero;text), literals kept."""
    sections = _split_sections(code)
    if value < 0 and len(sections) >= 2:
        return sections[1]
    if value == 0 and len(sections) >= 3:
        return sections[2]
    return sections[0]


def _split_sections(code: str) -> list[str]:
    out, current, quoted, escaped = [], [], False, False
    for ch in code:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == '"':
            quoted = not quoted
            current.append(ch)
        elif ch == ";" and not quoted:
            out.append("".join(current))
            current = []
        else:
            current.append(ch)
    out.append("".join(current))
    return out


def classify(code: str | None, value: Decimal = Decimal(1)) -> FormatKind:
    """The kind of format ``code`` is for ``value`` (its sign picks the section)."""
    return _classify(code, (value > 0) - (value < 0))


@lru_cache(maxsize=4096)
def _classify(code: str | None, sign: int) -> FormatKind:
    value = Decimal(sign)
    if code is None or code.strip().casefold() in _GENERAL:
        return FormatKind.GENERAL
    if code.strip() == "@":
        return FormatKind.TEXT
    section = _section(code, value)
    if section is None:
        return FormatKind.GENERAL
    bare = _LITERALS.sub("", section)
    has_elapsed = re.search(r"\[(?:h+|m+|s+)\]", bare, re.IGNORECASE) is not None
    bare = _BRACKETS.sub("", bare).strip()
    if not bare and not _LITERALS.search(section):
        return FormatKind.HIDDEN
    if bare.casefold() in _GENERAL:
        return FormatKind.GENERAL
    if "@" in bare and not re.search(r"[0#?]", bare):
        return FormatKind.TEXT
    if has_elapsed or _DATE_TOKENS.search(
        bare.replace("E+", "").replace("E-", "").replace("e+", "").replace("e-", "")
    ):
        return FormatKind.DATE
    if "%" in bare:
        return FormatKind.PERCENT
    if re.search(r"[eE][+-]", bare):
        return FormatKind.SCIENTIFIC
    if "/" in bare:
        return FormatKind.FRACTION
    if not re.search(r"[0#?]", bare):
        return FormatKind.HIDDEN  # only literal text: the number itself is not shown
    return FormatKind.NUMBER


def _decimals(bare: str) -> int:
    if "." not in bare:
        return 0
    return len(re.findall(r"[0#?]", bare.split(".", 1)[1]))


def _scale(bare: str) -> int:
    """Thousands scaling: each ',' right after the last digit placeholder divides by 1000."""
    match = re.search(r"[0#?.](,+)[^0#?]*$", bare)
    return len(match.group(1)) if match else 0


def _grouped(bare: str) -> bool:
    return re.search(r"[0#?],+[0#?]", bare) is not None


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    return text


#: exact for any double (±1.8E+308, 5E-324): rounding a huge number to 2 places must never raise
_EXACT = Context(prec=1200, Emax=MAX_EMAX, Emin=MIN_EMIN)


def shown(value: object, code: str | None) -> Shown:
    """What a cell holding ``value`` (calamine's: int, float, date, time) shows under ``code``."""
    # the common cases first: no format, or a whole number under a format that shows whole numbers as they are
    if code is None and isinstance(value, int | float):
        return Shown(FormatKind.GENERAL, _general_text(value), True)
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15)
    if whole and shows_whole_numbers(code):
        return Shown(FormatKind.NUMBER, str(int(value)), True)  # type: ignore[arg-type]
    with localcontext(_EXACT):
        return _shown(value, code)


def _shown(value: object, code: str | None) -> Shown:
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        return Shown(FormatKind.DATE, date_text(value), False)
    try:
        number = Decimal(format(value, ".15g")) if isinstance(value, float) else Decimal(value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        return Shown(FormatKind.GENERAL, str(value), True)
    if not number.is_finite():
        return Shown(FormatKind.GENERAL, str(value), True)
    kind = classify(code, number)
    if kind in (FormatKind.GENERAL, FormatKind.TEXT):
        return Shown(kind, _plain(number.normalize()) if number else "0", True)
    if kind is FormatKind.HIDDEN:
        return Shown(kind, "", False)
    if kind is FormatKind.DATE:
        return Shown(kind, _serial_text(number), False)
    section = _section(code or "", number) or ""
    bare = _BRACKETS.sub("", _LITERALS.sub("", section))
    places = _decimals(bare)
    # a negative number shown by its own section loses its sign unless the section writes one
    magnitude = abs(number) if (number < 0 and len(_split_sections(code or "")) >= 2) else number
    if kind is FormatKind.PERCENT:
        scaled = (magnitude * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        return Shown(kind, f"{_plain(scaled)}%", False)
    if kind is FormatKind.SCIENTIFIC:
        mantissa = re.split(r"[eE][+-]", bare, maxsplit=1)[0]
        text = format(magnitude, f".{_decimals(mantissa)}E")
        return Shown(kind, re.sub(r"E([+-])(\d)$", r"E\g<1>0\2", text), False)
    if kind is FormatKind.FRACTION:
        digits = len(re.findall(r"[0#?]", bare.split("/", 1)[1])) if "/" in bare else 1
        fraction = Fraction(magnitude).limit_denominator(10 ** max(digits, 1) - 1)
        whole, rest = divmod(fraction.numerator, fraction.denominator)
        text = f"{whole} {rest}/{fraction.denominator}" if rest else str(whole)
        return Shown(kind, text, False)
    scaled = magnitude.scaleb(-3 * _scale(bare))
    rounded = scaled.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{rounded:,f}" if _grouped(bare) else _plain(rounded)
    if magnitude != number:
        # a negative number in its own section: shown as "-5" or "(5)" only when the section writes the sign
        signed = "-" in bare or "(" in bare
        text = f"-{text}" if "-" in bare else f"({text})" if signed else text
        return Shown(kind, text, signed and rounded == magnitude)
    return Shown(kind, text, rounded == number)


def date_text(value: object) -> str:
    if isinstance(value, dt.datetime):
        return (
            value.strftime("%Y-%m-%d %H:%M:%S") if value.time() != dt.time() else value.strftime("%Y-%m-%d")
        )
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    return str(value)


def _serial_text(number: Decimal) -> str:
    """An Excel date serial as the date (and time) it shows."""
    try:
        # serials before 1900-03-01 count Excel's phantom 1900-02-29
        base = dt.datetime(1899, 12, 31) if number < 61 else dt.datetime(1899, 12, 30)
        moment = base + dt.timedelta(days=float(number))
    except (OverflowError, ValueError):
        return "#########"  # Excel's own display of a date it cannot show
    if number < 1:
        return moment.strftime("%H:%M:%S")
    return date_text(moment)


@lru_cache(maxsize=4096)
def shows_whole_numbers(code: str | None) -> bool:
    """True when every whole number shows as itself under ``code`` (General, 0, 0.00, #,##0 …)."""
    if code is None:
        return True
    sections = _split_sections(code)
    if len(sections) > 1:
        return False
    return (
        classify(code) in (FormatKind.GENERAL, FormatKind.NUMBER)
        and _scale(_BRACKETS.sub("", _LITERALS.sub("", sections[0]))) == 0
    )


def _general_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return format(value, ".15g") if isinstance(value, float) else str(value)
