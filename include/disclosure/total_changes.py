"""Every change to a bureau total, shown: which totals a consolidation changed, from what to what, and because of
which unit («U07 更正：政府集中采购金额 3421.7 → 2933.95 万元»).

Nothing extra is written to record them: each consolidation run keeps its totals and the time it was made, and
the store keeps every accepted figure with the moment it became current and the moment it was superseded. So the
changes between two runs are the totals that differ, and the units responsible are the ones whose figure of that
cell differed at the two moments: 更正 when the unit had an accepted return before (a resubmission, a re-run, the
admin's acceptance by hand), 补报 when its return is new, 撤回 when it no longer counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from disclosure.consolidation import BUREAU, is_stock
from disclosure.figures import Number
from disclosure.formats.model import Cell, FormatSpec
from disclosure.registry import Registry
from disclosure.store import Store, TotalsRecord

CORRECTED = "更正"
ADDED = "补报"
WITHDRAWN = "撤回"


@dataclass(frozen=True)
class UnitChange:
    """One unit's part in a changed total: its figure of the cell before and after."""

    unit: str
    kind: str  # 更正 | 补报 | 撤回
    before: Number | None
    after: Number | None


@dataclass(frozen=True)
class TotalChange:
    """One bureau total that moved between two consolidation runs of a year, and the units that moved it."""

    year: int
    cell: Cell
    label: str  # the spec's row and column labels, e.g. 政府集中采购 · 采购总金额
    measure: str  # the amount's unit (万元), or "" for counts
    before: Number | None
    after: Number | None
    units: tuple[UnitChange, ...]
    from_run: int
    to_run: int

    @property
    def message(self) -> str:
        """«U07 更正：表 三 · 政府集中采购 · 采购总金额 3421.7 → 2933.95 万元»: the total's old and new value."""
        from disclosure.validation.messages import fmt

        who = "、".join(f"{u.unit} {u.kind}" for u in self.units) or "汇总口径调整"
        measure = f" {self.measure}" if self.measure else ""
        return f"{who}：{self.label} {fmt(self.before)} → {fmt(self.after)}{measure}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "table": self.cell.table,
            "row": self.cell.row,
            "column": self.cell.column,
            "label": self.label,
            "measure": self.measure,
            "before": _text(self.before),
            "after": _text(self.after),
            "units": [
                {"unit": u.unit, "kind": u.kind, "before": _text(u.before), "after": _text(u.after)}
                for u in self.units
            ],
            "from_run": self.from_run,
            "to_run": self.to_run,
            "message": self.message,
        }


def describe_cell(spec: FormatSpec, cell: Cell) -> tuple[str, str]:
    """The wording of a cell as the findings give it (table, row and column labels of the spec) and its amount
    unit ("" for counts)."""
    from disclosure.validation.messages import cell_label, table_name

    table = spec.table(cell.table)
    return f"{table_name(table)}（{cell_label(table, cell)}）", table.column(cell.column).unit or ""


def changes_between(
    store: Store,
    registry: Registry,
    spec: FormatSpec,
    before: TotalsRecord,
    after: TotalsRecord,
    *,
    cells: set[Cell] | None = None,
) -> list[TotalChange]:
    """The totals that differ between two consolidation runs of one year (in the spec's cell order), each with
    the units whose figure of the cell changed in between. ``cells`` narrows the comparison down."""
    moved = [
        cell
        for cell in spec.cells()
        if (cells is None or cell in cells) and before.values.get(cell) != after.values.get(cell)
    ]
    if not moved:
        return []
    then = store.figures_at(after.year, before.created_at, moved)
    now = store.figures_at(after.year, after.created_at, moved)
    bureau = registry.bureau.code
    out = []
    for cell in moved:
        sources = set(before.contributing_units) | set(after.contributing_units)
        if is_stock(spec, cell) and after.in_force_consolidation == BUREAU:
            sources &= {bureau}
        units = []
        for unit in [c for c in registry.reporting_codes() if c in sources]:
            old, new = _part(then, before, unit, cell), _part(now, after, unit, cell)
            if old == new:
                continue
            had, has = unit in before.contributing_units, unit in after.contributing_units
            kind = CORRECTED if had and has else ADDED if has else WITHDRAWN
            units.append(UnitChange(unit=unit, kind=kind, before=old, after=new))
        label, measure = describe_cell(spec, cell)
        out.append(
            TotalChange(
                year=after.year,
                cell=cell,
                label=label,
                measure=measure,
                before=before.values.get(cell),
                after=after.values.get(cell),
                units=tuple(units),
                from_run=before.run_id,
                to_run=after.run_id,
            )
        )
    return out


def total_changes(
    year: int,
    store: Store,
    registry: Registry,
    spec: FormatSpec,
    *,
    run_id: int | None = None,
    since_run_id: int | None = None,
) -> list[TotalChange]:
    """The changes a consolidation run (default: the year's newest) made to the totals of the run before it, or
    of ``since_run_id`` (e.g. the run that was published). Empty for the year's first run. The one function
    the status page, the admin's email, ``disclosure provenance`` and the publication's revisions use."""
    ids = store.totals_run_ids(year)
    if not ids:
        return []
    after_id = run_id if run_id is not None else ids[-1]
    if since_run_id is None:
        earlier = [i for i in ids if i < after_id]
        if not earlier:
            return []
        since_run_id = earlier[-1]
    if since_run_id == after_id:
        return []
    return changes_between(store, registry, spec, store.totals_run(since_run_id), store.totals_run(after_id))


def latest_changes(
    year: int, store: Store, registry: Registry, spec: FormatSpec | None = None
) -> list[TotalChange]:
    """The changes of the year's newest consolidation run that changed any total (a re-run that changed
    nothing does not hide them): what the status page and the admin's email show. Empty when no run ever
    changed a total. ``spec`` defaults to the format of the runs."""
    ids = store.totals_run_ids(year)
    later = store.totals_run(ids[-1]) if ids else None
    for run_id in reversed(ids[:-1]):
        earlier = store.totals_run(run_id)
        assert later is not None
        if earlier.values != later.values:
            if spec is None or spec.version != later.format_version:
                from disclosure.formats import load_spec

                spec = load_spec(later.format_version)
            return changes_between(store, registry, spec, earlier, later)
        later = earlier
    return []


def cell_changes(
    year: int, cell: Cell, store: Store, registry: Registry, spec: FormatSpec
) -> list[TotalChange]:
    """Every change of one total over the year's consolidation runs, oldest first (for ``disclosure
    provenance``)."""
    ids = store.totals_run_ids(year)
    out: list[TotalChange] = []
    previous = None
    for run_id in ids:
        record = store.totals_run(run_id)
        if previous is not None and previous.values.get(cell) != record.values.get(cell):
            out.extend(changes_between(store, registry, spec, previous, record, cells={cell}))
        previous = record
    return out


def _part(
    figures: Mapping[str, Mapping[Cell, Number | None]], record: TotalsRecord, unit: str, cell: Cell
) -> Number | None:
    """A unit's figure as the run counted it (None when the unit did not contribute to the run)."""
    if unit not in record.contributing_units:
        return None
    return figures.get(unit, {}).get(cell)


def _text(value: Number | None) -> str | None:
    return None if value is None else str(value)


__all__ = [
    "ADDED",
    "CORRECTED",
    "WITHDRAWN",
    "TotalChange",
    "UnitChange",
    "cell_changes",
    "changes_between",
    "describe_cell",
    "latest_changes",
    "total_changes",
]
