"""Sample returns of the registry's units: filled templates for demos, tests and the runbook.

- 2020 (format gov-2019): the units' figures add up exactly to the bureau's published 2020 report (the seed):
  50 central procurement projects worth 3421.7 万元 spread over several units, and the year's one application,
  from a 自然人, answered 本机关不掌握相关政府信息 by one unit; every other figure is 0. Two units show what the
  outlier rules and the cover allow: U01's 采购总金额 is over 100 times its 2019 figure and its cover's 差异说明
  explains why (a justified O2 warning, accepted once 2019 is in the store); U02 has nothing to report, declares
  it on the cover (无事项声明) and leaves its tables untouched.
- Any other year: deterministic (seeded by year and unit) figures, valid under every same-year rule of the format
  in force, carried over from the previous year where that year is also generated here (X1: this year's 上年结转 =
  last year's 结转下年度; X2: 现行有效件数 continues last year's stock). Years before the seed are generated
  backwards from the year after them, so the samples form one consistent series (2019 → 2020 → 2021 …): a store
  can accept several sample years and every cross-year rule holds between them. An amount follows the same
  amount of the neighbouring year within ±40 %, so the outlier rules (O1–O3) find nothing in the series but the
  one justified jump above.
- Faulty returns: a catalogue (:data:`FAULTS`) of the errors seen in real reports, each a precise mutation of a
  valid filled return, for exercising the reader, the validator and the feedback workbook.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from openpyxl.packaging.custom import StringProperty
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.workbook.workbook import Workbook

from disclosure.errors import SpecError
from disclosure.formats import Cell, ColumnKind, FormatSpec, Rule, spec_for_year
from disclosure.formats.model import solve_term
from disclosure.registry import Registry, Unit
from disclosure.workbook.identity import COVER_FIELDS, COVER_SHEET, DOC_PROPERTY_PREFIX, IDENTITY_SHEET
from disclosure.workbook.template import (
    build_template,
    fill_in_memory,
    plan_sheet,
    template_file_name,
    template_layout,
)

Figures = dict[Cell, int | Decimal]

#: The year the published seed report covers, and its non-zero bureau totals that the 2020 sample reproduces.
SEED_YEAR = 2020
#: (table, row, column) -> how the seed's non-zero totals are split between units (by position in the registry).
SEED_SPLITS: dict[Cell, dict[int, int | Decimal]] = {
    Cell("t2_9", "central_procurement", "purchases"): {0: 14, 2: 11, 4: 9, 6: 9, 7: 7},
    Cell("t2_9", "central_procurement", "purchase_amount"): {
        0: Decimal("1023.45"),
        2: Decimal("876.3"),
        4: Decimal("705.1"),
        6: Decimal("512.85"),
        7: Decimal("304.0"),
    },
}
#: the seed's one application: (table, applicant column, outcome row) and the position of the unit that had it.
SEED_APPLICATION = ("t3", "natural", "unable_not_held")
SEED_APPLICATION_UNIT = 4
#: The seed year's unit (by position) whose 采购总金额 is JUSTIFIED_JUMP times the year before's, explained on
#: its cover: an O2 金额数量级突变 warning that is justified, hence accepted (the status page lists it).
JUSTIFIED_UNIT = 0
JUSTIFIED_CELL = Cell("t2_9", "central_procurement", "purchase_amount")
JUSTIFIED_JUMP = 200
JUSTIFICATION = "本年度集中采购区域地质调查专用设备，采购总金额较上年大幅增加，数字无误。"
#: The seed year's unit (by position, all its figures 0) that declares 无事项声明 and leaves its tables blank.
DECLARED_EMPTY_UNIT = 1


# --------------------------------------------------------------------------------------------------------------
# Valid figures
# --------------------------------------------------------------------------------------------------------------


def _rule(spec: FormatSpec, rule_id: str) -> Rule:
    return spec.rule(rule_id)


def _applicant_columns(spec: FormatSpec) -> tuple[str, str, list[str]]:
    """(table, total column, the columns it sums) from the per-row applicant rule R4."""
    rule = _rule(spec, "R4")
    eq = rule.equations[0]
    return rule.table or "", eq.left[0].ref, [t.ref for t in eq.right]


def _outcome_rows(spec: FormatSpec) -> tuple[str, list[str]]:
    """(total row, the leaf rows it sums) from the per-column outcome rule R3."""
    rule = _rule(spec, "R3")
    table = spec.table(rule.table or "")
    eq = rule.equations[0]
    leaves: list[str] = []
    for term in eq.right:
        leaves.extend(table.leaves(term.ref) if term.aggregate else (term.ref,))
    return eq.left[0].ref, leaves


def _zeros(spec: FormatSpec) -> Figures:
    return dict.fromkeys(spec.cells(), 0)


def _apply_row_totals(spec: FormatSpec, figures: Figures) -> None:
    """Set the left cell of every per-row equation whose left side is one cell (R4, R5) to its right side."""
    for rule in spec.rules:
        if rule.kind != "equation" or rule.each != "row" or rule.cross_year:
            continue
        for eq in rule.equations:
            if len(eq.left) != 1:
                continue
            for _, sides in spec.expand(rule, eq):
                target = sides["left"][0][0]
                figures[target] = sum((figures[c] * s for c, s, _ in sides["right"]), start=0)


def _seed_figures(spec: FormatSpec, index: int) -> Figures:
    figures = _zeros(spec)
    for cell, split in SEED_SPLITS.items():
        if cell in figures:
            figures[cell] = split.get(index, figures[cell])
    if index == SEED_APPLICATION_UNIT:
        table, column, outcome = SEED_APPLICATION
        total_row, _ = _outcome_rows(spec)
        for row in ("new", outcome, total_row):
            figures[Cell(table, row, column)] = 1
    _apply_row_totals(spec, figures)
    return figures


def _random_figures(
    spec: FormatSpec,
    year: int,
    unit: Unit,
    previous: Figures | None,
    fixed: Figures | None = None,
    following: Figures | None = None,
) -> Figures:
    """Plausible figures for one unit, valid under every same-year rule; carried over from ``previous``; the
    cells in ``fixed`` (what next year's cross-year rules require of this year) take those values. An amount
    stays within ±40 % of the same amount of ``previous`` (or ``following``, generating backwards) when that
    is not 0: a unit's amounts keep their order of magnitude from year to year (O2)."""
    fixed = fixed or {}
    neighbour = previous or following or {}
    rng = random.Random(f"disclosure-sample-{year}-{unit.code}")
    figures = _zeros(spec)
    t3, _, applicant_columns = _applicant_columns(spec)
    total_row, outcomes = _outcome_rows(spec)
    for table in spec.tables:
        if table.id == t3:
            continue
        for row in table.number_rows:
            for col in table.columns:
                cell = Cell(table.id, row.id, col.id)
                if col.kind is ColumnKind.AMOUNT:
                    figures[cell] = Decimal(rng.randint(0, 4000)) / 100
                    if neighbour.get(cell):
                        share = Decimal(60 + int(figures[cell] * 100) % 81) / 100  # 0.60 … 1.40
                        figures[cell] = (Decimal(neighbour[cell]) * share).quantize(Decimal("0.01"))
                elif col.kind is ColumnKind.SIGNED_COUNT:
                    figures[cell] = rng.randint(-3, 5)
                else:
                    # a survey institute issues few documents and decisions; most units report 0 for most items
                    figures[cell] = rng.choice((0, 0, 0, 1, 2, 3, 5))
    # 四: review and litigation cases are rare; a few units have one or two.
    for rule in spec.rules:
        if rule.kind == "equation" and rule.table != t3 and rule.each == "row" and not rule.cross_year:
            for eq in rule.equations:
                for _, sides in spec.expand(rule, eq):
                    for cell, _, _ in sides["right"]:
                        figures[cell] = rng.choices((0, 1, 2), weights=(40, 2, 1))[0]
    _continue_stock(spec, figures, previous, rng)
    # 三: follow each applicant column's cases from receipt to outcome, so R1, R3 and R4 hold by construction.
    weights = [12, 4] + [1] * (len(outcomes) - 2)
    for column in applicant_columns:
        carried_in = int(previous.get(Cell(t3, "carried_out", column), 0)) if previous else 0
        new = (
            rng.choice((0, 1, 1, 2, 3, 5)) if column == applicant_columns[0] else rng.choice((0, 0, 0, 0, 1))
        )
        # applications received late in December are carried over to next year
        carried_out = rng.choice((0, 0, 0, 1))
        required = fixed.get(Cell(t3, "carried_out", column))
        if required is not None:
            carried_out = int(required)
            new = max(new, carried_out - carried_in)
        pending = new + carried_in
        carried_out = min(pending, carried_out)
        handled = pending - carried_out
        for cell_row, value in (("new", new), ("carried_in", carried_in), ("carried_out", carried_out)):
            figures[Cell(t3, cell_row, column)] = value
        figures[Cell(t3, total_row, column)] = handled
        for outcome in rng.choices(outcomes, weights=weights, k=handled):
            figures[Cell(t3, outcome, column)] += 1
    _apply_row_totals(spec, figures)
    return figures


def _continue_stock(spec: FormatSpec, figures: Figures, previous: Figures | None, rng: random.Random) -> None:
    """Make each per-row cross-year stock rule (X2: 现行有效 = 上年现行有效 + 制发 − 废止) hold where it can."""
    for rule in spec.rules:
        if rule.kind != "equation" or rule.each != "row" or not rule.cross_year:
            continue
        for eq in rule.equations:
            for _, sides in spec.expand(rule, eq):
                (target, _, _), *_ = sides["left"]
                prev_cells = [c for c, _, p in sides["right"] if p]
                stock = sum(int(previous.get(c, 0)) for c in prev_cells) if previous else rng.randint(5, 40)
                if previous and not all(c in previous for c in prev_cells):
                    stock = rng.randint(5, 40)  # last year's format had no such stock: start one
                flows = [(c, s) for c, s, p in sides["right"] if not p]
                for cell, sign in flows:
                    # never remove more than the stock holds
                    figures[cell] = rng.randint(0, min(3, stock)) if sign < 0 else rng.randint(0, 6)
                figures[target] = stock + sum(figures[c] * s for c, s in flows)


@cache
def _sample_figures_cached(
    year: int, registry: Registry
) -> tuple[tuple[str, tuple[tuple[Cell, int | Decimal], ...]], ...]:
    spec = spec_for_year(year)
    previous: dict[str, Figures] = {}
    following: dict[str, Figures] = {}
    if year > SEED_YEAR:
        previous = sample_figures(year - 1, registry)
    elif year < SEED_YEAR:
        following = sample_figures(year + 1, registry)
    out = []
    for index, unit in enumerate(registry.units):
        if year == SEED_YEAR:
            figures = _seed_figures(spec, index)
        else:
            fixed = _carried_back(spec_for_year(year + 1), following[unit.code]) if following else None
            figures = _random_figures(
                spec, year, unit, previous.get(unit.code), fixed, following.get(unit.code)
            )
            if year == SEED_YEAR - 1 and index == JUSTIFIED_UNIT and JUSTIFIED_CELL in figures:
                # the year before the seed's jump: the seed's amount is JUSTIFIED_JUMP times this one
                jumped = Decimal(following[unit.code][JUSTIFIED_CELL]) / JUSTIFIED_JUMP
                figures[JUSTIFIED_CELL] = jumped.quantize(Decimal("0.01"))
        problems = broken_rules(spec, figures)
        if problems:  # a generator bug, not a data problem
            raise AssertionError(f"sample {year} {unit.code} breaks {problems}")
        out.append((unit.code, tuple(figures.items())))
    return tuple(out)


def _carried_back(next_spec: FormatSpec, following: Figures) -> Figures:
    """What next year's cross-year rules require of this year: each equation instance with one last-year term
    (X1 ``carried_in == prev.carried_out``) solved for that term from next year's figures."""
    required: Figures = {}
    for rule in next_spec.rules:
        if rule.kind != "equation" or not rule.cross_year:
            continue
        for eq in rule.equations:
            for _, sides in next_spec.expand(rule, eq):
                previous = [c for side in sides.values() for c, _, p in side if p]
                if len(previous) == 1:
                    value = solve_term(sides, (previous[0], True), lambda c, p: following.get(c, 0))
                    if value is not None:
                        required[previous[0]] = value
    return required


def sample_figures(year: int, registry: Registry) -> dict[str, Figures]:
    """Every unit's valid figures for ``year`` (deterministic), keyed by unit code."""
    return {code: dict(items) for code, items in _sample_figures_cached(year, registry)}


def broken_rules(
    spec: FormatSpec, figures: Mapping[Cell, int | Decimal], previous: Mapping | None = None
) -> list[str]:
    """``rule:line`` of every equation instance that does not hold (cross-year ones only when ``previous``)."""
    broken = []
    for rule in spec.rules:
        if rule.kind != "equation" or (rule.cross_year and previous is None):
            continue
        for eq in rule.equations:
            for line, sides in spec.expand(rule, eq):

                def value(cell: Cell, prev: bool) -> int | Decimal:
                    return (previous or {}).get(cell, 0) if prev else figures.get(cell, 0)

                left = sum((value(c, p) * s for c, s, p in sides["left"]), start=0)
                right = sum((value(c, p) * s for c, s, p in sides["right"]), start=0)
                if left != right:
                    broken.append(f"{rule.id}:{line}")
    return broken


# --------------------------------------------------------------------------------------------------------------
# Faults: real-world errors as precise mutations of a valid filled return
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaultContext:
    spec: FormatSpec
    year: int
    unit: Unit
    figures: Figures
    layout: dict[Cell, tuple[str, str]]
    previous: Figures | None = None  # the unit's sample figures of the year before, when a format covers it

    def cell(self, wb: Workbook, key: Cell):
        sheet, coordinate = self.layout[key]
        return wb[sheet][coordinate]

    def first_cell(self, kind: ColumnKind) -> Cell:
        for table in self.spec.tables:
            for col in table.columns:
                if col.kind is kind:
                    return Cell(table.id, table.number_rows[0].id, col.id)
        raise LookupError(kind)


@dataclass(frozen=True)
class Fault:
    """One error class: what it looks like (Chinese, for the runbook) and what should catch it."""

    id: str
    description: str
    # Rule ids (R…) and/or reader problem codes expected to report it. "year_mismatch" / "unit_mismatch" are for the
    # step that compares the return's identity with the year and unit it was filed for (the reader reports as is).
    triggers: tuple[str, ...]
    mutate: Callable[[Workbook, FaultContext], str]  # changes the workbook, returns what exactly it changed
    applies: Callable[[FormatSpec], bool] = lambda spec: True
    # caught only against the unit's accepted figures of the year before (the outlier rules): that year must
    # have a format, and the store must hold its returns (scripts/run-sample.sh takes them in first)
    needs_previous: bool = False


def _bump(wb: Workbook, ctx: FaultContext, cells: Sequence[Cell], by: int = 1) -> str:
    done = []
    for key in cells:
        cell = ctx.cell(wb, key)
        cell.value = int(ctx.figures[key]) + by
        done.append(f"{cell.parent.title}!{cell.coordinate}={cell.value}")
    return "；".join(done)


def _r1(wb: Workbook, ctx: FaultContext) -> str:
    # 结转下年度 +1 in one applicant column and in 总计: rows still add up (R4), outcomes still add up (R3).
    t3, total_col, cols = _applicant_columns(ctx.spec)
    return _bump(wb, ctx, [Cell(t3, "carried_out", cols[0]), Cell(t3, "carried_out", total_col)])


def _r3(wb: Workbook, ctx: FaultContext) -> str:
    # One more 予以公开 without changing （七）总计: R3 breaks, R4 still holds (总计 column bumped alike).
    t3, total_col, cols = _applicant_columns(ctx.spec)
    _, outcomes = _outcome_rows(ctx.spec)
    return _bump(wb, ctx, [Cell(t3, outcomes[0], cols[0]), Cell(t3, outcomes[0], total_col)])


def _r4_blank_totals(wb: Workbook, ctx: FaultContext) -> str:
    t3, total_col, _ = _applicant_columns(ctx.spec)
    total_row, outcomes = _outcome_rows(ctx.spec)
    for row in [*outcomes, total_row]:
        ctx.cell(wb, Cell(t3, row, total_col)).value = None
    return f"{ctx.spec.table(t3).sheet}：办理结果各行“总计”列留空（{len(outcomes) + 1} 格）"


def _r5_total_zero(wb: Workbook, ctx: FaultContext) -> str:
    rule = _rule(ctx.spec, "R5")
    eq = rule.equations[0]
    _, sides = next(iter(ctx.spec.expand(rule, eq)))
    (total, _, _), *_ = sides["left"]
    parts = [c for c, _, _ in sides["right"]]
    ctx.cell(wb, parts[0]).value = int(ctx.figures[parts[0]]) + 2
    ctx.cell(wb, parts[1]).value = int(ctx.figures[parts[1]]) + 1
    ctx.cell(wb, total).value = 0
    label = "、".join(filter(None, (*ctx.spec.table(total.table).column(total.column).header, "总计")))
    return (
        f"{ctx.layout[total][0]}：{label}填 0，而{ctx.layout[parts[0]][1]}、{ctx.layout[parts[1]][1]}不为 0"
    )


def _blank(wb: Workbook, ctx: FaultContext) -> str:
    key = next(iter(ctx.layout))
    ctx.cell(wb, key).value = None
    return f"{'!'.join(ctx.layout[key])} 留空"


def _text(wb: Workbook, ctx: FaultContext) -> str:
    key = ctx.first_cell(ColumnKind.COUNT)
    ctx.cell(wb, key).value = "无"
    return f"{'!'.join(ctx.layout[key])} 填“无”"


def _amount_with_unit(wb: Workbook, ctx: FaultContext) -> str:
    key = ctx.first_cell(ColumnKind.AMOUNT)
    ctx.cell(wb, key).value = "251000元"
    return f"{'!'.join(ctx.layout[key])} 填“251000元”"


def _negative(wb: Workbook, ctx: FaultContext) -> str:
    key = ctx.first_cell(ColumnKind.COUNT)
    ctx.cell(wb, key).value = -1
    return f"{'!'.join(ctx.layout[key])} 填 -1"


def _decimal_count(wb: Workbook, ctx: FaultContext) -> str:
    key = ctx.first_cell(ColumnKind.COUNT)
    ctx.cell(wb, key).value = 1.5
    return f"{'!'.join(ctx.layout[key])} 填 1.5"


ALTERED_LABEL = ("2.其他法律行政法规禁止公开", "2.其他法律行政止公开")


def _altered_label(wb: Workbook, ctx: FaultContext) -> str:
    original, altered = ALTERED_LABEL
    for sheet in ctx.spec.sheets:
        ws = wb[sheet]
        for row in ws.iter_rows():
            for cell in row:
                if cell.value == original:
                    cell.value = altered
                    return f"{sheet}!{cell.coordinate}：“{original}”改为“{altered}”"
    raise LookupError(original)


def _group_with_children(spec: FormatSpec) -> tuple[str, str] | None:
    """(table, group row) of a group whose children are new in this format (the 2021 split of （六）其他处理)."""
    from disclosure.formats import available_versions, load_spec

    older = [
        load_spec(v)
        for v in available_versions()
        if v != spec.version and load_spec(v).first_year < spec.first_year
    ]
    for table in spec.tables:
        for row in table.rows:
            if not row.group:
                continue
            for old in older:
                try:
                    old_row = old.table(table.id).row(row.id)
                except KeyError:
                    continue
                if not old_row.group:
                    return table.id, row.id
    return None


def _old_format_row(wb: Workbook, ctx: FaultContext) -> str:
    """Last year's layout pasted into this year's template: the group's child rows are gone and the group row
    itself carries the numbers, as in the 2019 format's single （六）其他处理 row."""
    found = _group_with_children(ctx.spec)
    assert found is not None
    table_id, group_id = found
    table = ctx.spec.table(table_id)
    block = next(b for b in plan_sheet(ctx.spec, table.sheet).blocks if b.table.id == table_id)
    ws = wb[table.sheet]
    children = table.leaves(group_id)
    group_row = block.rows[group_id]
    for col in table.columns:
        total = sum(int(ctx.figures[Cell(table_id, child, col.id)]) for child in children)
        ws.cell(group_row, block.columns[col.id]).value = total
    first, count = block.rows[children[0]], len(children)
    _delete_rows(ws, first, count)
    return f"{table.sheet}：删除第 {first}—{first + count - 1} 行，在第 {group_row} 行填写合计（旧格式）"


def _delete_rows(ws, first: int, count: int) -> None:
    """Delete rows and keep merged ranges consistent (openpyxl does not move them)."""
    last = first + count - 1
    ranges = [str(r) for r in ws.merged_cells.ranges]
    for r in ranges:
        ws.unmerge_cells(r)
    ws.delete_rows(first, count)
    for r in ranges:
        min_col, min_row, max_col, max_row = range_boundaries(r)
        if first <= min_row and max_row <= last:
            continue
        shift_top = min_row - count if min_row > last else min_row
        if max_row > last:
            shift_bottom = max_row - count
        elif max_row >= first:
            shift_bottom = first - 1
        else:
            shift_bottom = max_row
        if (shift_top, min_col) != (shift_bottom, max_col):
            ws.merge_cells(
                f"{get_column_letter(min_col)}{shift_top}:{get_column_letter(max_col)}{shift_bottom}"
            )
    ws.conditional_formatting = type(ws.conditional_formatting)()  # the live checks now point at wrong rows


def _set_identity(wb: Workbook, key: str, value: str) -> None:
    ws = wb[IDENTITY_SHEET]
    for row in range(1, ws.max_row + 1):
        if ws.cell(row, 1).value == key:
            ws.cell(row, 2).value = value
    props = [p for p in wb.custom_doc_props.props if p.name != f"{DOC_PROPERTY_PREFIX}{key}"]
    props.append(StringProperty(name=f"{DOC_PROPERTY_PREFIX}{key}", value=value))
    wb.custom_doc_props.props = props


def _set_cover(wb: Workbook, key: str, value: object) -> None:
    ws = wb[COVER_SHEET]
    for row in range(1, ws.max_row + 1):
        if ws.cell(row, 1).value == COVER_FIELDS[key]:
            ws.cell(row, 2).value = value


def _wrong_year(wb: Workbook, ctx: FaultContext) -> str:
    # Last year's file sent again: cover and embedded identity both say the previous year.
    last_year = ctx.year - 1
    _set_cover(wb, "year", last_year)
    _set_identity(wb, "year", str(last_year))
    return f"封面与模板标识的报告年度均改为 {last_year}"


def _wrong_unit(wb: Workbook, ctx: FaultContext) -> str:
    # A neighbour's file reused: the unit code on the cover differs from the template identity.
    code = "U99" if ctx.unit.code != "U99" else "U98"
    _set_cover(wb, "unit_code", code)
    return f"封面单位代码改为 {code}（模板标识仍为 {ctx.unit.code}）"


def _formula(wb: Workbook, ctx: FaultContext) -> str:
    t3, total_col, cols = _applicant_columns(ctx.spec)
    cell = ctx.cell(wb, Cell(t3, "new", total_col))
    first = ctx.cell(wb, Cell(t3, "new", cols[0])).coordinate
    last = ctx.cell(wb, Cell(t3, "new", cols[-1])).coordinate
    cell.value = (
        f"=SUM({first}:{last})"  # openpyxl stores no cached result, as a hand-made formula never saved
    )
    return f"{cell.parent.title}!{cell.coordinate} 改为公式 {cell.value}（无计算结果）"


def _last_year_again(wb: Workbook, ctx: FaultContext) -> str:
    # Last year's figures sent again in this year's template: every rule of the year holds, only the unit's
    # history shows it (O3).
    assert ctx.previous is not None
    for key, value in ctx.previous.items():
        if key in ctx.layout:
            ctx.cell(wb, key).value = value
    return f"各表填入{ctx.year - 1}年度的数字（与上年已采用的报表完全相同）"


def _missing_sheet(wb: Workbook, ctx: FaultContext) -> str:
    sheet = ctx.spec.sheets[-1]
    del wb[sheet]
    return f"删除工作表“{sheet}”"


#: The error catalogue, in the order units are given them (faulty=True with 12 units uses the first 12 that apply).
FAULTS: tuple[Fault, ...] = (
    Fault("r1_broken", "结转下年度多填 1 件：第一项加第二项不等于第三项加第四项", ("R1",), _r1),
    Fault("r3_broken", "予以公开多填 1 件而（七）总计未改：总计不等于各办理结果之和", ("R3",), _r3),
    Fault("r4_total_blank", "办理结果各行的“总计”列留空", ("R4", "blank_cell"), _r4_blank_totals),
    Fault("r5_total_zero", "表四总计填 0，而结果维持、结果纠正不为 0", ("R5",), _r5_total_zero),
    Fault("blank_cell", "数字单元格留空（没有发生的应填 0）", ("blank_cell", "R6"), _blank),
    Fault("text_in_number", "数字单元格填写文字“无”", ("text_in_number_cell", "R6"), _text),
    Fault(
        "amount_with_unit",
        "金额单元格填写“251000元”（应以万元填写数字 25.1）",
        ("unit_in_cell", "R6"),
        _amount_with_unit,
        lambda spec: any(c.kind is ColumnKind.AMOUNT for t in spec.tables for c in t.columns),
    ),
    Fault(
        "altered_label",
        "行名称被改动：“其他法律行政法规禁止公开”写成“其他法律行政止公开”",
        ("changed_row_label",),
        _altered_label,
    ),
    Fault(
        "old_format_row",
        "混用旧格式：在新格式模板中按 2019 年格式只填一行“（六）其他处理”",
        ("missing_row",),
        _old_format_row,
        lambda spec: _group_with_children(spec) is not None,
    ),
    Fault(
        "wrong_year", "报送了其他年度的模板：封面和模板标识的年度是上一年", ("year_mismatch",), _wrong_year
    ),
    Fault(
        "formula_no_cache",
        "数字单元格是未经计算保存的公式（没有计算结果）",
        ("formula_without_value",),
        _formula,
    ),
    Fault("missing_sheet", "删除了一个表格工作表", ("missing_sheet",), _missing_sheet),
    Fault(
        "last_year_again",
        "本年度模板中填的是上年度的数字（误报上年报表：各项与上年已采用的数字完全相同）",
        ("O3",),
        _last_year_again,
        needs_previous=True,
    ),
    Fault("negative_count", "件数填负数 -1", ("negative_count", "R6"), _negative),
    Fault("decimal_in_count", "件数填小数 1.5", ("decimal_in_count", "R6"), _decimal_count),
    Fault(
        "wrong_unit", "封面单位代码与模板标识不一致（用了其他单位的文件）", ("unit_mismatch",), _wrong_unit
    ),
)


def fault(fault_id: str) -> Fault:
    for f in FAULTS:
        if f.id == fault_id:
            return f
    raise KeyError(f"unknown fault {fault_id!r}; known: {', '.join(f.id for f in FAULTS)}")


def _has_previous_format(year: int) -> bool:
    try:
        spec_for_year(year - 1)
    except SpecError:
        return False
    return True


def faults_for(spec: FormatSpec, year: int | None = None) -> list[Fault]:
    """The faults that apply to the format (and, given the ``year``, to a year with a year before it)."""
    previous = year is None or _has_previous_format(year)
    return [f for f in FAULTS if f.applies(spec) and (previous or not f.needs_previous)]


def assign_faults(
    spec: FormatSpec, registry: Registry, faulty: bool | Sequence[str], year: int | None = None
) -> dict[str, Fault]:
    """Which unit gets which fault: ``True`` every unit, or the listed unit codes, one distinct class each."""
    if faulty is False or faulty is None:
        return {}
    codes = registry.codes if faulty is True else [c for c in registry.codes if c in set(faulty)]
    unknown = sorted(set(faulty) - set(registry.codes)) if faulty is not True else []
    if unknown:
        raise KeyError(f"单位代码不在名册中：{', '.join(unknown)}")
    catalogue = faults_for(spec, year)
    if len(codes) > len(catalogue):
        raise ValueError(
            f"only {len(catalogue)} fault classes apply to {spec.version}, {len(codes)} units asked"
        )
    return dict(zip(codes, catalogue, strict=False))


# --------------------------------------------------------------------------------------------------------------
# Writing the sample
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleReturn:
    unit: str
    path: Path
    fault: str | None
    change: str | None  # what the fault changed, in Chinese


def write_sample_returns(
    year: int, out_dir: Path, registry: Registry, *, faulty: bool | Sequence[str] = False
) -> list[SampleReturn]:
    """Like :func:`write_sample`, with which fault (if any) went into each file and where."""
    spec = spec_for_year(year)
    figures = sample_figures(year, registry)
    assigned = assign_faults(spec, registry, faulty, year)
    previous = sample_figures(year - 1, registry) if _has_previous_format(year) else {}
    layout = template_layout(spec)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for index, unit in enumerate(registry.units):
        chosen = assigned.get(unit.code)
        # write_template + fill_workbook without the save/load round trip in between (same code, in memory)
        wb = build_template(spec, year, unit.code, unit.name)
        declared = year == SEED_YEAR and index == DECLARED_EMPTY_UNIT and chosen is None
        fill_in_memory(
            wb,
            {} if declared else figures[unit.code],
            contact=unit.contact,
            phone=unit.phone,
            justification=JUSTIFICATION if year == SEED_YEAR and index == JUSTIFIED_UNIT else "",
            nothing_to_report=declared,
        )
        change = None
        if chosen is not None:
            context = FaultContext(spec, year, unit, figures[unit.code], layout, previous.get(unit.code))
            change = chosen.mutate(wb, context)
        path = out_dir / template_file_name(year, unit.code, unit.short_name or unit.name)
        wb.save(path)
        results.append(SampleReturn(unit.code, path, chosen.id if chosen else None, change))
    return results


def write_sample(
    year: int, out_dir: Path, registry: Registry, *, faulty: bool | list[str] = False
) -> list[Path]:
    """The registry's units' filled returns for ``year`` in ``out_dir``; with ``faulty``, some carry one error."""
    return [r.path for r in write_sample_returns(year, out_dir, registry, faulty=faulty)]
