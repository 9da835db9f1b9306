"""THE Jinja environment of the project: every template (report HTML, narratives, cover note) is rendered by it.

``StrictUndefined`` makes a missing figure or fact raise instead of printing a blank. The templates folder is
found, in order: ``DISCLOSURE_TEMPLATES_DIR``; the repo's top-level ``templates/`` (found by walking up from this
package, which works for the editable install in the venv); a ``templates`` folder shipped as package data.
"""

from __future__ import annotations

import os
from decimal import Decimal
from functools import cache
from pathlib import Path

import jinja2

from disclosure.errors import ReportError

#: a file every templates folder has; used to recognise the right folder when walking up
_MARKER = "report.html.j2"

_CN_DIGITS = "零一二三四五六七八九"
_CN_UNITS = ("", "十", "百", "千")


def templates_dir() -> Path:
    """The folder holding the report templates."""
    raw = os.environ.get("DISCLOSURE_TEMPLATES_DIR")
    if raw:
        folder = Path(raw).expanduser().resolve()
        if not (folder / _MARKER).is_file():
            raise ReportError(f"DISCLOSURE_TEMPLATES_DIR={raw} 中没有 {_MARKER}，不是报告模板目录")
        return folder
    here = Path(__file__).resolve().parent
    for parent in here.parents:
        candidate = parent / "templates"
        if (candidate / _MARKER).is_file():
            return candidate
    packaged = here / "templates"
    if (packaged / _MARKER).is_file():
        return packaged
    raise ReportError(f"找不到报告模板目录（templates/{_MARKER}）；请设置 DISCLOSURE_TEMPLATES_DIR")


def format_number(value: int | Decimal) -> str:
    """A figure as printed in the report: whole numbers plainly, amounts without trailing zeros or exponent."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ReportError(f"报告中的数字必须是整数或小数，得到 {value!r}")
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return str(value)


def chinese_numeral(value: int) -> str:
    """0–9999 in Chinese numerals, as prose writes small counts (12 → 十二, 105 → 一百零五)."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 9999:
        raise ReportError(f"只能把 0—9999 的整数写成中文数字，得到 {value!r}")
    if value == 0:
        return _CN_DIGITS[0]
    digits = [int(d) for d in str(value)]
    out: list[str] = []
    zero_pending = False
    for position, digit in enumerate(digits):
        unit = _CN_UNITS[len(digits) - position - 1]
        if digit == 0:
            zero_pending = bool(out)
            continue
        if zero_pending:
            out.append(_CN_DIGITS[0])
            zero_pending = False
        out.append(_CN_DIGITS[digit] + unit)
    text = "".join(out)
    # 十二, not 一十二, when the number starts with the tens
    return text[1:] if text.startswith("一十") else text


def _autoescape(name: str | None) -> bool:
    # HTML output escapes; Markdown narratives and plain-text notes do not (they are not HTML).
    return name is not None and ".html" in name


@cache
def _environment(folder: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        undefined=jinja2.StrictUndefined,
        autoescape=_autoescape,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = format_number
    env.filters["cn"] = chinese_numeral
    return env


def get_environment() -> jinja2.Environment:
    """The project's Jinja environment over :func:`templates_dir` (one per folder, cached)."""
    return _environment(templates_dir())
