"""Typed model of a format spec (see ``specs/*.yaml``).

A spec has sections (一 … 六); the table sections hold tables (二 has one sub-table per clause); a table has
rows (a tree: group rows hold no number) and columns (a header tree given by each column's ``header`` path);
rules are equations over row/column ids, evaluated for each column (``each: column``) or each row
(``each: row``) of one table. ``prev.<id>`` refers to the previous year's accepted figure of the same cell.
Outlier rules (``kind: outlier``) compare a return with the unit's own accepted figures of earlier years, their
thresholds given as data (:class:`OutlierTest`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator

from disclosure.errors import SpecError

_ID = r"[a-z][a-z0-9_]*"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnKind(StrEnum):
    COUNT = "count"  # whole number >= 0
    SIGNED_COUNT = "signed_count"  # whole number, may be negative (本年增/减)
    AMOUNT = "amount"  # decimal in the column's unit (e.g. 万元), >= 0


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


def blocks_acceptance(severity: Severity | str, justified: bool) -> bool:
    """The one rule of what keeps a return from being accepted: an error always; a warning until the unit
    justifies it (差异说明 on the cover sheet). Findings, the store and the intake all ask this function."""
    return Severity(str(getattr(severity, "value", severity)).lower()) is Severity.ERROR or not justified


class Column(_Model):
    id: str = Field(pattern=f"^{_ID}$")
    label: str
    kind: ColumnKind = ColumnKind.COUNT
    unit: str | None = None  # amounts only, e.g. "万元"
    decimals: int | None = None  # amounts only: most decimals allowed
    header: tuple[str, ...] = ()  # merged parent headers above the label, outermost first
    stock: bool = (
        False  # a level (现行有效件数), not a flow: consolidated per the registry's in_force_consolidation
    )

    @model_validator(mode="after")
    def _amount_fields(self) -> Column:
        if self.kind is ColumnKind.AMOUNT and (self.unit is None or self.decimals is None):
            raise ValueError(f"amount column {self.id!r} needs unit and decimals")
        if self.kind is not ColumnKind.AMOUNT and (self.unit or self.decimals is not None):
            raise ValueError(f"only amount columns take unit/decimals ({self.id!r})")
        return self

    @property
    def display_label(self) -> str:
        """The label with its unit, as printed in a header (e.g. 采购总金额（万元）)."""
        if self.unit and self.unit not in self.label:
            return f"{self.label}（{self.unit}）"
        return self.label


class RowSpec(_Model):
    """A row as written in the YAML file (nested)."""

    id: str = Field(pattern=f"^{_ID}$")
    label: str
    printed: bool = True  # False for the single unlabelled row of 四
    children: tuple[RowSpec, ...] = ()


class Row(_Model):
    """A row after flattening: ``parent`` is the id of its group row, ``level`` its depth (0 = top)."""

    id: str
    label: str
    level: int
    parent: str | None
    group: bool
    printed: bool = True


class Table(_Model):
    id: str = Field(pattern=f"^{_ID}$")
    section: str  # the section number, e.g. "二"
    sheet: str  # the workbook sheet it lives on (several tables may share one)
    title: str  # heading printed above the table (the clause for 二's sub-tables)
    corner: str  # top-left header cell (信息内容, or the 勾稽 note of 三)
    row_specs: tuple[RowSpec, ...] = Field(alias="rows")
    columns: tuple[Column, ...]
    label_columns: int = 1  # how many columns the row labels span in print (3 in 三)

    @cached_property
    def rows(self) -> tuple[Row, ...]:
        out: list[Row] = []

        def walk(specs: tuple[RowSpec, ...], level: int, parent: str | None) -> None:
            for spec in specs:
                out.append(
                    Row(
                        id=spec.id,
                        label=spec.label,
                        level=level,
                        parent=parent,
                        group=bool(spec.children),
                        printed=spec.printed,
                    )
                )
                walk(spec.children, level + 1, spec.id)

        walk(self.row_specs, 0, None)
        return tuple(out)

    @cached_property
    def number_rows(self) -> tuple[Row, ...]:
        """Rows that hold figures (group rows hold none)."""
        return tuple(r for r in self.rows if not r.group)

    def row(self, row_id: str) -> Row:
        for r in self.rows:
            if r.id == row_id:
                return r
        raise KeyError(f"table {self.id} has no row {row_id!r}")

    def column(self, column_id: str) -> Column:
        for c in self.columns:
            if c.id == column_id:
                return c
        raise KeyError(f"table {self.id} has no column {column_id!r}")

    def leaves(self, row_id: str) -> tuple[str, ...]:
        """The number rows under ``row_id`` (itself when it is a number row)."""
        row = self.row(row_id)
        if not row.group:
            return (row.id,)
        out: list[str] = []
        for child in self.rows:
            if child.parent == row_id:
                out.extend(self.leaves(child.id))
        return tuple(out)

    def cells(self) -> Iterator[Cell]:
        for row in self.number_rows:
            for col in self.columns:
                yield Cell(self.id, row.id, col.id)

    @property
    def max_header_depth(self) -> int:
        return max(len(c.header) for c in self.columns) + 1


class Cell(NamedTuple):
    """The key of one figure within a year and unit."""

    table: str
    row: str
    column: str


class Term(_Model):
    sign: Literal[1, -1]
    ref: str  # a row id (each: column) or a column id (each: row)
    aggregate: bool = False  # sum(ref): all number rows under a group
    previous: bool = False  # prev.ref: last year's figure of the same cell


class Equation(_Model):
    """``left == right``, each side a signed sum of terms. The left side is what is being checked."""

    text: str
    left: tuple[Term, ...]
    right: tuple[Term, ...]

    @property
    def uses_previous(self) -> bool:
        return any(t.previous for t in (*self.left, *self.right))


_TERM = re.compile(rf"\s*([+-])?\s*(?:(sum)\(\s*({_ID})\s*\)|(prev\.)?({_ID}))\s*")


def parse_side(text: str) -> tuple[Term, ...]:
    terms: list[Term] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TERM.match(text, pos)
        if not m or m.end() == pos:
            raise SpecError(f"cannot parse expression {text!r} at {text[pos:]!r}")
        sign_text, agg, agg_ref, prev, ref = m.groups()
        if sign_text is None and terms:
            raise SpecError(f"missing + or - before {text[m.start() :]!r} in {text!r}")
        terms.append(
            Term(
                sign=-1 if sign_text == "-" else 1,
                ref=agg_ref or ref,
                aggregate=bool(agg),
                previous=bool(prev),
            )
        )
        pos = m.end()
    if not terms:
        raise SpecError(f"empty side in expression {text!r}")
    return tuple(terms)


def parse_equation(text: str) -> Equation:
    if text.count("==") != 1:
        raise SpecError(f"an equation needs exactly one '==': {text!r}")
    left, right = text.split("==")
    return Equation(text=text.strip(), left=parse_side(left), right=parse_side(right))


class Quote(_Model):
    """A phrase of the report's prose that quotes a table figure (R7).

    ``pattern`` is a regular expression with one group capturing the quoted number, or with no group and a fixed
    ``value`` for phrases that state a figure in words (未收到……行政复议申请 means 0). ``cell`` names the figure as
    ``table.row.column``; several joined with ``+`` when the phrase quotes their sum (行政诉讼 = both groups).
    """

    pattern: str
    cell: str
    value: int | None = None

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)

    @cached_property
    def cells(self) -> tuple[Cell, ...]:
        out = []
        for ref in self.cell.split("+"):
            parts = ref.strip().split(".")
            if len(parts) != 3:
                raise SpecError(f"quote cell {ref!r} must be table.row.column")
            out.append(Cell(*parts))
        return tuple(out)

    @model_validator(mode="after")
    def _shape(self) -> Quote:
        try:
            groups = re.compile(self.pattern).groups
        except re.error as exc:
            raise ValueError(f"quote pattern {self.pattern!r} is not a regular expression: {exc}") from exc
        wanted = 0 if self.value is not None else 1
        if groups != wanted:
            raise ValueError(f"quote pattern {self.pattern!r} needs {wanted} group(s), has {groups}")
        for ref in self.cell.split("+"):
            if len(ref.strip().split(".")) != 3:
                raise ValueError(f"quote cell {ref.strip()!r} must be table.row.column")
        return self


class KindFloors(_Model):
    """A least spread per column kind (in the column's unit), for the spread test: small counts stay quiet."""

    count: Decimal | None = None
    signed_count: Decimal | None = None
    amount: Decimal | None = None

    def __getitem__(self, kind: ColumnKind) -> Decimal:
        value = getattr(self, kind.value)
        if value is None:
            raise KeyError(kind)
        return value

    def covers(self, kinds: tuple[ColumnKind, ...]) -> bool:
        return all(getattr(self, k.value) is not None for k in kinds)

    def __bool__(self) -> bool:
        return any(getattr(self, k.value) is not None for k in ColumnKind)


class OutlierTest(_Model):
    """How an outlier rule compares a return with the unit's own accepted figures of the ``years`` years before
    (as many of them as the store holds; the rule applies from ``min_years`` of them on). Amounts are in the
    column's unit (万元).

    - ``spread``: a figure is an outlier when it lies more than ``k`` spreads from the median of its history;
      the spread is the median absolute deviation (MAD), but never less than ``floor`` of the column's kind (so
      that small counts, 0 → 2, are not outliers) nor ``relative_floor`` × |median| (a steady figure may grow).
    - ``magnitude``: an amount whose magnitude jumps by ``factor`` or more against last year's (元 typed into a
      万元 column); a zero on either side is no magnitude.
    - ``identical``: the return's figures are exactly last year's accepted figures (last year's file sent
      again); an all-zero return is exempt (nothing to report two years running is no copy).
    """

    method: Literal["spread", "magnitude", "identical"]
    kinds: tuple[ColumnKind, ...] = (ColumnKind.COUNT, ColumnKind.SIGNED_COUNT, ColumnKind.AMOUNT)
    years: int = Field(default=1, ge=1)
    min_years: int = Field(default=1, ge=1)
    k: Decimal | None = None
    floor: KindFloors = KindFloors()
    relative_floor: Decimal = Decimal(0)
    factor: Decimal | None = None

    @model_validator(mode="after")
    def _parameters(self) -> OutlierTest:
        if self.min_years > self.years:
            raise ValueError("min_years cannot exceed years")
        if self.method == "spread" and not (self.k and self.k > 0 and self.floor.covers(self.kinds)):
            raise ValueError("a spread test needs k > 0 and a floor for each of its kinds")
        if self.method == "magnitude" and not (self.factor and self.factor > 1):
            raise ValueError("a magnitude test needs a factor > 1")
        if self.method != "spread" and (self.k is not None or self.floor or self.relative_floor):
            raise ValueError("only spread tests take k, floor and relative_floor")
        if self.method != "magnitude" and self.factor is not None:
            raise ValueError("only magnitude tests take a factor")
        return self


class Rule(_Model):
    """A 勾稽 or cell rule. ``kind: equation`` rules hold ``checks``; ``cell_type`` (R6) and ``prose`` (R7) are
    derived from the column kinds and the narrative, so they carry only their description."""

    id: str = Field(pattern=r"^[A-Z][A-Z0-9]*$")
    name: str  # short Chinese name, e.g. 收支平衡
    kind: Literal["equation", "cell_type", "prose", "outlier"] = "equation"
    severity: Severity = Severity.ERROR
    table: str | None = None
    each: Literal["column", "row"] | None = None
    only: tuple[str, ...] = ()  # restrict the columns (each: column) or rows (each: row) checked
    checks: tuple[str, ...] = ()
    quotes: tuple[Quote, ...] = ()  # prose rules (R7): phrases that quote a table figure
    test: OutlierTest | None = (
        None  # outlier rules: the comparison with the unit's history and its thresholds
    )
    description: str  # Chinese, as the unit reads it

    @cached_property
    def equations(self) -> tuple[Equation, ...]:
        return tuple(parse_equation(c) for c in self.checks)

    @property
    def cross_year(self) -> bool:
        return any(eq.uses_previous for eq in self.equations)

    @model_validator(mode="after")
    def _shape(self) -> Rule:
        if self.kind == "equation":
            if not (self.table and self.each and self.checks):
                raise ValueError(f"equation rule {self.id} needs table, each and checks")
            _ = self.equations  # parse now: a bad expression fails at load time
        elif self.checks:
            raise ValueError(f"{self.kind} rule {self.id} takes no checks")
        if self.quotes and self.kind != "prose":
            raise ValueError(f"only prose rules take quotes ({self.id})")
        if (self.kind == "outlier") != (self.test is not None):
            raise ValueError(f"outlier rules, and only they, take a test ({self.id})")
        if self.kind == "outlier" and self.severity is not Severity.WARNING:
            raise ValueError(f"an outlier rule is a warning the unit may justify ({self.id})")
        return self


class Section(_Model):
    number: str  # 一 … 六
    title: str
    kind: Literal["prose", "tables"]

    @property
    def heading(self) -> str:
        return f"{self.number}、{self.title}"


class Maxima(_Model):
    """Plausible magnitudes per column kind (amounts in the column's unit): a larger figure is a typing error."""

    count: Decimal = Decimal(10_000_000)
    signed_count: Decimal = Decimal(10_000_000)  # the largest |本年增/减|
    amount: Decimal = Decimal(10_000_000)

    @model_validator(mode="after")
    def _positive(self) -> Maxima:
        if not all(m.is_finite() and m > 0 for m in (self.count, self.signed_count, self.amount)):
            raise ValueError("maxima must be positive numbers")
        return self

    def __getitem__(self, kind: ColumnKind) -> Decimal:
        return getattr(self, kind.value)


class FormatSpec(_Model):
    version: str
    title: str
    issued_with: str
    first_year: int
    last_year: int | None = None
    amount_note: str | None = None
    #: largest plausible magnitude per column kind (the admin may override: ``settings.Limits``)
    maxima: Maxima = Maxima()
    sections: tuple[Section, ...]
    tables: tuple[Table, ...]
    rules: tuple[Rule, ...]
    fee_statement: bool = False  # 六 must state 信息处理费 (gov-2021)

    @cached_property
    def sheets(self) -> tuple[str, ...]:
        """Sheet names in order, each holding one or more tables."""
        return tuple(dict.fromkeys(t.sheet for t in self.tables))

    def tables_on(self, sheet: str) -> tuple[Table, ...]:
        return tuple(t for t in self.tables if t.sheet == sheet)

    def table(self, table_id: str) -> Table:
        for t in self.tables:
            if t.id == table_id:
                return t
        raise KeyError(f"format {self.version} has no table {table_id!r}")

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(f"format {self.version} has no rule {rule_id!r}")

    def cells(self) -> Iterator[Cell]:
        for t in self.tables:
            yield from t.cells()

    @property
    def outlier_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.kind == "outlier")

    @property
    def history_years(self) -> int:
        """How many earlier years of a unit's accepted figures the outlier rules look at (0: none)."""
        return max((r.test.years for r in self.outlier_rules if r.test is not None), default=0)

    def section(self, number: str) -> Section:
        for s in self.sections:
            if s.number == number:
                return s
        raise KeyError(f"format {self.version} has no section {number!r}")

    def expand(
        self, rule: Rule, equation: Equation
    ) -> Iterator[tuple[str, dict[str, list[tuple[Cell, int, bool]]]]]:
        """Instantiate an equation for each column (or row) it applies to.

        Yields ``(line, {"left": [...], "right": [...]})`` where ``line`` is the column id (``each: column``) or
        row id (``each: row``), and each side lists ``(cell, sign, previous)``.
        """
        assert rule.table is not None
        table = self.table(rule.table)
        lines = [c.id for c in table.columns] if rule.each == "column" else [r.id for r in table.number_rows]
        if rule.only:
            lines = [x for x in lines if x in rule.only]
        for line in lines:
            sides: dict[str, list[tuple[Cell, int, bool]]] = {"left": [], "right": []}
            for side, terms in (("left", equation.left), ("right", equation.right)):
                for term in terms:
                    refs = (
                        table.leaves(term.ref) if (term.aggregate and rule.each == "column") else (term.ref,)
                    )
                    for ref in refs:
                        cell = (
                            Cell(table=table.id, row=ref, column=line)
                            if rule.each == "column"
                            else Cell(table=table.id, row=line, column=ref)
                        )
                        sides[side].append((cell, term.sign, term.previous))
            yield line, sides

    @model_validator(mode="after")
    def _consistent(self) -> FormatSpec:
        table_ids = [t.id for t in self.tables]
        if len(set(table_ids)) != len(table_ids):
            raise ValueError(f"{self.version}: duplicate table ids")
        for t in self.tables:
            row_ids = [r.id for r in t.rows]
            col_ids = [c.id for c in t.columns]
            if len(set(row_ids)) != len(row_ids) or len(set(col_ids)) != len(col_ids):
                raise ValueError(f"{self.version}: duplicate row or column ids in table {t.id}")
        rule_ids = [r.id for r in self.rules]
        if len(set(rule_ids)) != len(rule_ids):
            raise ValueError(f"{self.version}: duplicate rule ids")
        for rule in self.rules:
            for quote in rule.quotes:
                for cell in quote.cells:
                    if cell.table not in table_ids:
                        raise ValueError(
                            f"{self.version}: rule {rule.id} quotes unknown table {cell.table!r}"
                        )
                    table = self.table(cell.table)
                    if cell.row not in {r.id for r in table.number_rows} or cell.column not in {
                        c.id for c in table.columns
                    }:
                        raise ValueError(f"{self.version}: rule {rule.id} quotes unknown cell {quote.cell!r}")
            if rule.kind != "equation":
                continue
            if rule.table not in table_ids:
                raise ValueError(f"{self.version}: rule {rule.id} names unknown table {rule.table!r}")
            table = self.table(rule.table)
            term_ids = {r.id for r in table.rows} if rule.each == "column" else {c.id for c in table.columns}
            line_ids = {c.id for c in table.columns} if rule.each == "column" else {r.id for r in table.rows}
            for eq in rule.equations:
                for term in (*eq.left, *eq.right):
                    if term.ref not in term_ids:
                        raise ValueError(f"{self.version}: rule {rule.id} refers to unknown {term.ref!r}")
                    if rule.each == "row" and term.aggregate:
                        raise ValueError(f"{self.version}: rule {rule.id}: sum() is for row groups only")
            unknown = set(rule.only) - line_ids
            if unknown:
                raise ValueError(f"{self.version}: rule {rule.id} 'only' names unknown ids {sorted(unknown)}")
        return self


def solve_term(
    sides: dict[str, list[tuple[Cell, int, bool]]],
    target: tuple[Cell, bool],
    value_of: Callable[[Cell, bool], int | Decimal | None],
) -> int | Decimal | None:
    """The value of the term ``target`` (cell, last year?) that makes an equation instance (``FormatSpec.expand``)
    hold, the other terms' values from ``value_of(cell, previous)``; None when ``target`` is not exactly one term
    of it or another term is unknown (None)."""
    terms = [
        (cell, sign, previous, side) for side in ("left", "right") for cell, sign, previous in sides[side]
    ]
    mine = [t for t in terms if (t[0], t[2]) == target]
    if len(mine) != 1:
        return None
    _, sign, _, side = mine[0]
    same = other = 0
    for cell, term_sign, previous, term_side in terms:
        if (cell, previous) == target:
            continue
        value = value_of(cell, previous)
        if value is None:
            return None
        if term_side == side:
            same += term_sign * value
        else:
            other += term_sign * value
    return sign * (other - same)


def quantize_amount(value: Decimal, column: Column) -> Decimal:
    """Round-trip guard: an amount with more decimals than the column allows is rejected by the reader."""
    assert column.decimals is not None
    return value.quantize(Decimal(1).scaleb(-column.decimals))
