"""Consolidation: the bureau's totals are the sum of each unit's latest accepted return.

- Every cell of the format is summed over the units that must report (the registry's ``reporting_codes``: the
  units, plus the bureau office when ``reports_own_return``), with exact arithmetic: counts as ``int``, amounts
  (万元) as ``Decimal``, never floats.
- 现行有效件数 (a ``stock: true`` column of the spec) is a stock, not a flow: rules that apply bureau-wide are in force in every
  unit, so summing double-counts them. The registry's ``bureau.in_force_consolidation`` says what to do:
  ``sum`` (default, the units' figures added up) or ``bureau`` (the bureau office's own figure only).
- While any unit's latest file is not 已采用 the totals are a draft and say why, in the words of the year's
  status summary (``disclosure.status``): ``草稿（未完成：未报送 U03 矿产地质调查院；校验未通过（沿用此前已采用的数据）
  U07 地质灾害防治中心）``.
- Any total can be explained: each unit's value, the file it came from and the cell it was read from.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from disclosure.figures import Figure, Number, ReturnMeta, UnitReturn
from disclosure.formats.model import Cell, ColumnKind, FormatSpec
from disclosure.registry import Registry
from disclosure.store import ProvenanceEntry, Store, SubmissionStatus, unit_name

if TYPE_CHECKING:
    from disclosure.validation.findings import Finding

SUM = "sum"
BUREAU = "bureau"


@dataclass(frozen=True)
class Totals:
    """The bureau totals of a year, for every cell of the format, and how complete they are."""

    year: int
    format_version: str
    bureau: str  # the bureau's code: the totals are "its" return
    values: dict[Cell, Number | None]
    contributing_units: tuple[str, ...]  # units whose accepted figures were summed
    missing_units: tuple[str, ...]  # no accepted return
    invalid_units: tuple[str, ...]  # latest submission failed validation
    in_force_consolidation: str = SUM
    unit_names: Mapping[str, str] = field(default_factory=dict)
    #: ``草稿（未完成：…）`` while any unit's latest file is not 已采用, "" when final (``disclosure.status``)
    draft_label: str = ""

    @property
    def is_draft(self) -> bool:
        return bool(self.draft_label)

    def value(self, table: str, row: str, column: str) -> Number | None:
        return self.values[Cell(table, row, column)]

    def figures(self) -> list[Figure]:
        """The totals as figures of the bureau's return (for validating them with the units' suite)."""
        return [
            Figure(self.year, self.bureau, cell.table, cell.row, cell.column, value)
            for cell, value in self.values.items()
        ]

    def as_return(self, registry: Registry) -> UnitReturn:
        meta = ReturnMeta(
            format_version=self.format_version,
            year=self.year,
            unit_code=registry.bureau.code,
            unit_name=registry.bureau.name,
            contact=registry.bureau.office,
            phone=registry.bureau.phone,
        )
        return UnitReturn(meta=meta, figures=self.figures())

    def save(
        self, store: Store, findings: Iterable[Any] | None = None, data_docs: str | Path | None = None
    ) -> int:
        """Record this consolidation (and the findings of validating it) in the store; returns the run id."""
        return store.save_totals(
            year=self.year,
            format_version=self.format_version,
            values=self.values,
            in_force_consolidation=self.in_force_consolidation,
            is_draft=self.is_draft,
            draft_label=self.draft_label,
            contributing_units=self.contributing_units,
            missing_units=self.missing_units,
            invalid_units=self.invalid_units,
            findings=findings,
            data_docs=data_docs,
        )


def is_stock(spec: FormatSpec, cell: Cell) -> bool:
    """A stock column (``stock: true`` in the spec, e.g. 现行有效件数) follows ``bureau.in_force_consolidation``."""
    return spec.table(cell.table).column(cell.column).stock


def consolidate(year: int, store: Store, registry: Registry, spec: FormatSpec) -> Totals:
    """Sum the latest accepted return of every reporting unit into the bureau totals of ``year``."""
    from disclosure.status import draft_label, unit_summaries

    reporting = registry.reporting_codes()
    current = store.current_figures(year)
    # Who is in, who is missing and why: the year's one status summary decides (and words the draft label).
    units = unit_summaries(year, store, registry)
    invalid = tuple(u.unit for u in units if u.state_code == SubmissionStatus.REJECTED.value)
    missing = tuple(u.unit for u in units if not u.in_totals and u.unit not in invalid)
    contributing = tuple(c for c in reporting if c in current)
    mode = registry.bureau.in_force_consolidation
    values: dict[Cell, Number | None] = {}
    for cell in spec.cells():
        sources = _sources(spec, cell, contributing, registry, mode)
        values[cell] = _sum(spec, cell, (current[code].get(cell) for code in sources))
    return Totals(
        year=year,
        format_version=spec.version,
        bureau=registry.bureau.code,
        values=values,
        contributing_units=contributing,
        missing_units=missing,
        invalid_units=invalid,
        in_force_consolidation=mode,
        unit_names={code: unit_name(registry, code) for code in reporting},
        draft_label=draft_label(units),
    )


def _sources(
    spec: FormatSpec, cell: Cell, contributing: tuple[str, ...], registry: Registry, mode: str
) -> tuple[str, ...]:
    """The units whose figure makes up the total of ``cell``."""
    if is_stock(spec, cell) and mode == BUREAU:
        return tuple(c for c in contributing if c == registry.bureau.code)
    return contributing


def _sum(spec: FormatSpec, cell: Cell, values: Iterable[Number | None]) -> Number | None:
    """Exact sum: ``Decimal`` for amount columns, ``int`` otherwise; blanks are skipped (never read as 0).
    None when nothing contributes to a stock taken from the bureau's own return that is missing."""
    amount = spec.table(cell.table).column(cell.column).kind is ColumnKind.AMOUNT
    total: Number = Decimal(0) if amount else 0
    seen = False
    for value in values:
        if value is None:
            continue
        seen = True
        total += Decimal(value) if amount and not isinstance(value, Decimal) else value
    if not seen and is_stock(spec, cell):
        return None
    return total


@dataclass(frozen=True)
class Provenance:
    """Where one bureau total comes from."""

    year: int
    cell: Cell
    total: Number | None
    rule: str  # "sum" or "bureau" (how the cell is consolidated)
    entries: tuple[ProvenanceEntry, ...]
    missing_units: tuple[str, ...]
    invalid_units: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "table": self.cell.table,
            "row": self.cell.row,
            "column": self.cell.column,
            "total": None if self.total is None else str(self.total),
            "rule": self.rule,
            "entries": [e.to_dict() for e in self.entries],
            "missing_units": list(self.missing_units),
            "invalid_units": list(self.invalid_units),
        }


def provenance(year: int, cell: Cell, store: Store, registry: Registry, spec: FormatSpec) -> Provenance:
    """Explain one total: each contributing unit's value, file and cell, and the total they make."""
    spec.table(cell.table).column(cell.column)  # KeyError for a cell the format does not have
    if cell not in set(spec.table(cell.table).cells()):
        raise KeyError(f"format {spec.version} table {cell.table} has no number row {cell.row!r}")
    totals = consolidate(year, store, registry, spec)
    mode = totals.in_force_consolidation if is_stock(spec, cell) else SUM
    sources = _sources(spec, cell, totals.contributing_units, registry, mode)
    entries = store.provenance(year, cell.table, cell.row, cell.column, registry=registry, units=sources)
    order = {code: index for index, code in enumerate(registry.reporting_codes())}
    entries.sort(key=lambda e: order.get(e.unit, len(order)))  # registry order, as in the report
    return Provenance(
        year=year,
        cell=cell,
        total=totals.values[cell],
        rule=mode,
        entries=tuple(entries),
        missing_units=totals.missing_units,
        invalid_units=totals.invalid_units,
    )


def validate_totals(
    totals: Totals, store: Store, registry: Registry, spec: FormatSpec, *, docs_dir: Path | None = None
) -> tuple[list[Finding], Path | None]:
    """Check the bureau totals with the units' suite (R1–R6, and X1/X2 against last year's saved totals).
    Returns the findings and the Data Docs index (when ``docs_dir`` is given)."""
    from disclosure.validation import run_validation
    from disclosure.validation.runner import new_run_id

    previous = store.latest_totals(totals.year - 1)
    run_id = new_run_id("consolidate")
    findings, run = run_validation(
        [totals.as_return(registry)],
        spec,
        previous={registry.bureau.code: previous.values} if previous else None,
        run_id=run_id,
        docs_dir=docs_dir / run_id if docs_dir is not None else None,
    )
    return findings, run.docs_index


def write_consolidated_return(totals: Totals, spec: FormatSpec, registry: Registry, path: Path) -> Path:
    """Write the bureau totals as a return workbook in the units' template, under the bureau's code, so the
    supervising office can read and validate it exactly as we read the units'."""
    from disclosure.workbook.template import fill_workbook, write_template

    bureau = registry.bureau
    with tempfile.TemporaryDirectory(prefix="disclosure-consolidated-") as tmp:
        template = write_template(spec, totals.year, bureau.code, bureau.name, Path(tmp) / "template.xlsx")
        return fill_workbook(
            template,
            Path(path),
            totals.values,
            contact=bureau.office or bureau.name,
            phone=bureau.phone,
            # No 差异说明: it would justify warnings, and the totals have to stand on their own.
            justification="",
        )


def rendering_blockers(totals: Totals, findings: Iterable[Finding]) -> list[Finding]:
    """The one rule of what keeps the report from being rendered: an error in the bureau's own totals. A draft
    (units missing or invalid) is rendered anyway, marked as such: its cross-year checks compare a partial sum
    with last year's totals, so its errors are reported, not fatal."""
    if totals.is_draft:
        return []
    return [f for f in findings if f.is_error]


def consolidate_checked(
    year: int, store: Store, registry: Registry, spec: FormatSpec, *, docs_dir: Path | None = None
) -> tuple[Totals, list[Finding], int]:
    """Sum the year, validate the totals with the units' suite, save both; raise :class:`ReportError` when the
    totals may not be rendered (:func:`rendering_blockers`). Returns the totals, the findings and the run id.
    The DAG's consolidate and ``disclosure report`` both come here."""
    from disclosure.errors import ReportError

    totals = consolidate(year, store, registry, spec)
    findings, docs = validate_totals(totals, store, registry, spec, docs_dir=docs_dir)
    run_id = totals.save(store, findings=findings, data_docs=docs)
    blockers = rendering_blockers(totals, findings)
    if blockers:
        raise ReportError(
            f"{year} 年度汇总数据有 {len(blockers)} 处未通过校验，报告不予生成：{blockers[0].message}"
        )
    return totals, findings, run_id
