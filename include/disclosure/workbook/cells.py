"""Writing text that comes from data (the registry, a unit's cover fields, findings, a unit's own content) into the
workbooks the project generates, so it can never become a formula.

openpyxl decides a cell's type from the value assigned to it (``Cell._bind_value``): a string starting with "="
becomes a formula (``data_type "f"``) and one of Excel's error codes ("#N/A") an error value. A registry name
"=HYPERLINK(…)" would so turn into a live formula in every template sent to the units. :func:`put_text` assigns
the value and then pins the type to text (``"s"``); the writer then stores it as a string whatever it starts with.
Only formulas the project writes itself (the live checks) are assigned as formulas.
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE


def put_text(cell: Any, value: object) -> Any:
    """Write ``value`` into ``cell``: text stays text (characters XML cannot hold are dropped); other values
    (numbers, None) are written as they are. Returns the cell."""
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"
    else:
        cell.value = value
    return cell
