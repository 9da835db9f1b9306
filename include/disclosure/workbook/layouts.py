"""Where the tables of a template revision were found, remembered and reused while the sheets are unchanged.

Locating each table by its labels (``reader``) is most of the cost of reading a return, and the returns of one
template revision almost all come back with the layout they were sent with. So a layout found without any problem
is remembered per (format version, template revision), together with a fingerprint of everything its search
looked at: the sheet names and their visibility, each table sheet's size, merged ranges, hidden rows and columns,
and the exact content of every cell, except the *volatile* cells, which the reader has shown the search only
tests for being a label (figures, the live checks' formula results). A volatile cell matches when it is still no
label; any other difference (a label retyped, a row inserted or deleted, a column moved, a number typed outside
the grid, a row hidden, a sheet renamed) misses, and the reader searches the labels as before.

The cache is per process and bounded; a task process forked from a warmed parent (``disclosure.warm``) inherits it.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from disclosure.workbook.labels import cell_text, normalize_label

#: Layouts kept per (format version, template revision), and keys kept in all.
LAYOUTS_PER_KEY = 4
MAX_KEYS = 16
#: Comparison keys that could be the text of a number or a boolean (then a volatile number is checked too).
_NUMERIC_KEY = re.compile(r"^[-+.0-9e]+$|^-?(inf|nan)$|^(true|false)$")

Position = tuple[int, int]


@dataclass
class TableLayout:
    """Where one table's figures are on its sheet (0-based sheet rows and columns)."""

    rows: dict[str, int] = field(default_factory=dict)  # number row id -> sheet row
    columns: dict[str, int] = field(default_factory=dict)  # column id -> sheet column
    changed_rows: dict[str, int] = field(default_factory=dict)  # row id -> sheet row holding a changed label
    header_bottom: int = -1  # the last row of the column headers


@dataclass(frozen=True)
class Placement:
    """A table as found: its sheet (workbook name), its row range [top, bottom) and its layout."""

    sheet: str
    top: int
    bottom: int
    layout: TableLayout


@dataclass(frozen=True)
class SheetShape:
    """The fingerprint of one table sheet's grid."""

    lengths: tuple[int, ...]  # cells of each row
    merges: frozenset[tuple[Position, Position]]
    hidden_rows: frozenset[int]
    hidden_columns: frozenset[int]
    #: per row: a getter of the cells compared exactly (None: the whole row) and what it returned
    exact: tuple[tuple[Callable[[Sequence[Any]], Any] | None, Any], ...]
    #: per row: a getter of the volatile cells, or None
    volatile: tuple[Callable[[Sequence[Any]], Any] | None, ...]
    #: exactly compared cells holding a number: their type too (1 == True == 1.0 in Python)
    typed: tuple[tuple[int, int, type], ...]


@dataclass(frozen=True)
class Layout:
    """One remembered layout: the workbook's sheets, the fingerprint of each table sheet, each table's place."""

    spec: object  # the FormatSpec it was found for (compared by identity)
    sheets: tuple[tuple[str, str], ...]  # (name, visibility) of every sheet, in order
    shapes: Mapping[str, SheetShape]
    placements: Mapping[str, Placement]  # table id -> where it is
    keys: frozenset[str]  # every label the search compares with
    number_keys: bool  # some key is the text of a number


#: What the fingerprint compares of a grid: values, merged ranges, hidden rows, hidden columns.
GridParts = tuple[
    Sequence[Sequence[object]],
    Sequence[tuple[Position, Position]],
    "set[int] | frozenset[int]",
    "set[int] | frozenset[int]",
]


def sheet_shape(
    values: Sequence[Sequence[object]],
    merges: Sequence[tuple[Position, Position]],
    hidden_rows: set[int],
    hidden_columns: set[int],
    volatile: set[Position],
) -> SheetShape:
    """The fingerprint of a grid whose ``volatile`` cells are compared as "no label" only."""
    exact: list[tuple[Callable[[Sequence[Any]], Any] | None, Any]] = []
    loose: list[Callable[[Sequence[Any]], Any] | None] = []
    typed: list[tuple[int, int, type]] = []
    for r, row in enumerate(values):
        moving = [c for c in range(len(row)) if (r, c) in volatile]
        fixed = [c for c in range(len(row)) if (r, c) not in volatile]
        getter = itemgetter(*fixed) if moving and fixed else (None if not moving else _nothing)
        exact.append((getter, list(row) if getter is None else getter(row)))
        loose.append(itemgetter(*moving, *moving[:1]) if moving else None)  # always a tuple: one column twice
        typed.extend((r, c, type(row[c])) for c in fixed if not isinstance(row[c], str))
    return SheetShape(
        lengths=tuple(len(row) for row in values),
        merges=frozenset(merges),
        hidden_rows=frozenset(hidden_rows),
        hidden_columns=frozenset(hidden_columns),
        exact=tuple(exact),
        volatile=tuple(loose),
        typed=tuple(typed),
    )


def _nothing(row: Sequence[Any]) -> None:
    return None


def is_label(value: object, keys: frozenset[str], number_keys: bool) -> bool:
    """True when a cell's content compares equal to one of ``keys`` (the test the search makes of it)."""
    kind = value.__class__
    if kind is str:
        return bool(value) and normalize_label(value) in keys
    if (kind is float or kind is int or kind is bool) and not number_keys:
        return False
    return normalize_label(cell_text(value)) in keys


def numeric_keys(keys: frozenset[str]) -> bool:
    return any(_NUMERIC_KEY.match(key) for key in keys)


def matches(
    shape: SheetShape,
    values: Sequence[Sequence[object]],
    merges: Sequence[tuple[Position, Position]],
    hidden_rows: set[int],
    hidden_columns: set[int],
    keys: frozenset[str],
    number_keys: bool,
) -> bool:
    """Whether a grid has the fingerprinted shape: exact cells equal, volatile cells still no label."""
    if len(values) != len(shape.lengths) or tuple(map(len, values)) != shape.lengths:
        return False
    if shape.hidden_rows != hidden_rows or shape.hidden_columns != hidden_columns:
        return False
    if frozenset(merges) != shape.merges:
        return False
    for row, (getter, expected) in zip(values, shape.exact, strict=True):
        if (row if getter is None else getter(row)) != expected:
            return False
    for r, c, kind in shape.typed:
        if values[r][c].__class__ is not kind:
            return False
    for row, getter in zip(values, shape.volatile, strict=True):
        if getter is None:
            continue
        for value in getter(row):
            # the usual volatile cell, a figure (calamine's float) or a blank, is no label: decided here
            if (value.__class__ is float and not number_keys) or value == "":
                continue
            if is_label(value, keys, number_keys):
                return False
    return True


class LayoutCache:
    """Remembered layouts per (format version, template revision): a few each, the most recently used first."""

    def __init__(self, per_key: int = LAYOUTS_PER_KEY, max_keys: int = MAX_KEYS) -> None:
        self.per_key = per_key
        self.max_keys = max_keys
        self._layouts: OrderedDict[tuple[str, str], list[Layout]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def find(
        self,
        key: tuple[str, str],
        spec: object,
        sheets: tuple[tuple[str, str], ...],
        grid: Callable[[str], GridParts],
    ) -> Layout | None:
        """The remembered layout of ``key`` whose fingerprint the workbook matches, or None."""
        with self._lock:
            candidates = list(self._layouts.get(key, ()))
        for layout in candidates:
            if layout.spec is not spec or layout.sheets != sheets:
                continue
            if all(
                matches(shape, *grid(name), layout.keys, layout.number_keys)
                for name, shape in layout.shapes.items()
            ):
                self._touch(key, layout)
                self.hits += 1
                return layout
        self.misses += 1
        return None

    def remember(self, key: tuple[str, str], layout: Layout) -> None:
        with self._lock:
            # only called after a miss: the new layout is none of those kept
            self._layouts[key] = [layout, *self._layouts.pop(key, [])][: self.per_key]
            while len(self._layouts) > self.max_keys:
                self._layouts.popitem(last=False)

    def _touch(self, key: tuple[str, str], layout: Layout) -> None:
        with self._lock:
            kept = self._layouts.get(key)
            if kept and kept[0] is not layout and layout in kept:
                kept.remove(layout)
                kept.insert(0, layout)
            if key in self._layouts:
                self._layouts.move_to_end(key)

    def clear(self) -> None:
        with self._lock:
            self._layouts.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return sum(len(v) for v in self._layouts.values())


#: This process's layouts (module level: warm task parents fill it, forked tasks inherit it).
layouts = LayoutCache()
