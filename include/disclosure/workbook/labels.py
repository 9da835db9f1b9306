"""Comparing printed labels the way a person reads them.

Units' workbooks go through Excel, WPS and copy-paste: a label may come back with "，" for "、", half-width
brackets, straight quotes, full-width digits, stray spaces or a line break, or "1．" for "1.". Those are the same
label. A changed character (a word dropped, a typo) is *not* the same label: it is a template error to report.

``normalize_label`` maps a label to a comparison key that erases exactly the harmless differences; two labels
are the same when their keys are equal. The key is for comparison only, never for display.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Quotes of every style compare equal (NFKC leaves the curly ones alone).
_QUOTES = str.maketrans(dict.fromkeys("“”„‟\"'‘’‚‛「」『』〝〞＂＇", '"'))
# Enumeration commas and commas compare equal: 、 ， , (NFKC already maps ， to ,).
_COMMAS = str.maketrans(dict.fromkeys("、，,﹐﹑", ","))
_WHITESPACE = re.compile(r"\s+")
# A leading list number: "1." / "1、" / "1．" / "1。" (NFKC maps "．" to "."; the comma map makes "、" ",").
_LEADING_NUMBER = re.compile(r"^(\d+|[一二三四五六七八九十]+)[.,。]")
_CJK_NUMERAL = re.compile(r"^[一二三四五六七八九十]+$")


def normalize_label(text: object) -> str:
    """The comparison key of a printed label.

    Tolerated: 、/，/, ; full/half-width brackets and punctuation; straight/curly quotes; full-width digits and
    letters (Unicode NFKC compatibility forms only); spaces, non-breaking and ideographic spaces, line breaks;
    "1." / "1、" / "1．" numbering; letter case. Everything else counts, so "其他法律行政止公开" does not equal
    "其他法律行政法规禁止公开".
    """
    if text is None:
        return ""
    return _normalize(str(text))


@lru_cache(maxsize=1 << 16)
def _normalize(text: str) -> str:
    # Cached: every table of every return compares the same few hundred labels (make bench: the reader's
    # hottest function at 1,000 returns).
    value = unicodedata.normalize("NFKC", text)
    value = _WHITESPACE.sub("", value)
    value = value.translate(_QUOTES).translate(_COMMAS)
    value = _LEADING_NUMBER.sub(_number_key, value, count=1)
    return value.casefold()


def _number_key(match: re.Match[str]) -> str:
    # "一、" stays "一," and "1." stays "1.": the two numbering levels keep their customary separators, and a
    # unit's "1、" or "一." maps onto the customary one.
    number = match.group(1)
    return f"{number}," if _CJK_NUMERAL.match(number) else f"{number}."


def same_label(a: object, b: object) -> bool:
    """True when two printed labels are the same label (see ``normalize_label``)."""
    return normalize_label(a) == normalize_label(b)


def cell_text(value: object) -> str:
    """A cell's content as the text it is compared by ("" when blank; 5.0 is "5")."""
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def is_blank(value: object) -> bool:
    """An empty cell: nothing, or only spaces (a space is not a value)."""
    return value is None or (isinstance(value, str) and not value.strip())
