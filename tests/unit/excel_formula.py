"""A tiny evaluator for the Excel formulas the template writes (IF, MID, SUM, COUNT, ROUND, &, + -, comparisons).

openpyxl stores formulas without results and no spreadsheet engine is available in the test environment, so the
tests evaluate the live-check formulas themselves against the values in the workbook.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from openpyxl.utils import range_boundaries
from openpyxl.utils.cell import get_column_letter

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"]|"")*")|(?P<num>\d+(?:\.\d+)?)|(?P<range>\$?[A-Z]{1,3}\$?\d+:\$?[A-Z]{1,3}\$?\d+)'
    r"|(?P<ref>\$?[A-Z]{1,3}\$?\d+)(?![A-Z(])|(?P<func>[A-Z]+)\(|(?P<op><>|<=|>=|[-+&<>=(),]))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"cannot tokenize {text[pos:]!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _number(value: object) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, (bool, str)):
        raise TypeError(f"#VALUE! ({value!r})")
    return Decimal(str(value))


def _text(value: object) -> str:
    if isinstance(value, Decimal | int | float):
        d = Decimal(str(value)).normalize()
        return format(d, "f")
    return "" if value is None else str(value)


def evaluate(formula: str, lookup: Callable[[str], object]) -> object:
    """Evaluate ``formula`` (with or without the leading "="); ``lookup("D5")`` gives a cell's value."""
    tokens = _tokens(formula.lstrip("="))
    pos = 0

    def peek() -> tuple[str, str] | None:
        return tokens[pos] if pos < len(tokens) else None

    def take(value: str | None = None) -> tuple[str, str]:
        nonlocal pos
        tok = tokens[pos]
        if value is not None and tok[1] != value:
            raise ValueError(f"expected {value!r}, got {tok[1]!r}")
        pos += 1
        return tok

    def cells(rng: str) -> list[object]:
        min_col, min_row, max_col, max_row = range_boundaries(rng.replace("$", ""))
        return [
            lookup(f"{get_column_letter(c)}{r}")
            for r in range(min_row, max_row + 1)
            for c in range(min_col, max_col + 1)
        ]

    def comparison() -> object:
        left = concat()
        tok = peek()
        if tok and tok[1] in ("<>", "<", ">", "=", "<=", ">="):
            op = take()[1]
            right = concat()
            a, b = _number(left), _number(right)
            return {"<>": a != b, "<": a < b, ">": a > b, "=": a == b, "<=": a <= b, ">=": a >= b}[op]
        return left

    def concat() -> object:
        value = additive()
        while peek() and peek()[1] == "&":
            take()
            value = _text(value) + _text(additive())
        return value

    def additive() -> object:
        value = unary()
        while peek() and peek()[1] in "+-" and peek()[0] == "op":
            op = take()[1]
            right = unary()
            value = _number(value) + _number(right) if op == "+" else _number(value) - _number(right)
        return value

    def unary() -> object:
        if peek() and peek()[1] == "-":
            take()
            return -_number(unary())
        return primary()

    def args() -> list[object]:
        out = []
        while True:
            tok = peek()
            if tok[0] == "range":
                take()
                out.append(cells(tok[1]))
            else:
                out.append(comparison())
            if take()[1] == ")":
                return out

    def primary() -> object:
        kind, value = take()
        if kind == "str":
            return value[1:-1].replace('""', '"')
        if kind == "num":
            return Decimal(value)
        if kind == "ref":
            return lookup(value.replace("$", ""))
        if kind == "op" and value == "(":
            inner = comparison()
            take(")")
            return inner
        if kind == "func":
            params = args()
            return _call(value, params)
        raise ValueError(f"unexpected {value!r}")

    result = comparison()
    if pos != len(tokens):
        raise ValueError(f"trailing tokens in {formula!r}")
    return result


def _flat(params: list[object]) -> list[object]:
    out: list[object] = []
    for p in params:
        out.extend(p if isinstance(p, list) else [p])
    return out


def _is_number(v: object) -> bool:
    return isinstance(v, int | float | Decimal) and not isinstance(v, bool)


def _call(name: str, params: list[object]) -> object:
    if name == "SUM":
        return sum((Decimal(str(v)) for v in _flat(params) if _is_number(v)), start=Decimal(0))
    if name == "COUNT":
        return Decimal(sum(1 for v in _flat(params) if _is_number(v)))
    if name == "ROUND":
        return round(_number(params[0]), int(_number(params[1])))
    if name == "IF":
        return params[1] if params[0] else (params[2] if len(params) > 2 else False)
    if name == "MID":
        text, start, length = _text(params[0]), int(_number(params[1])), int(_number(params[2]))
        return text[start - 1 : start - 1 + length]
    raise ValueError(f"function {name} not supported")
