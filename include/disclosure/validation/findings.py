"""A finding: one thing wrong with a return, located on its cell, explained in Chinese.

Findings come from the Great Expectations run (the spec's rules) and from the reader (unreadable files, changed
labels, a wrong template). An ``error`` blocks acceptance; a ``warning`` is accepted only when the unit wrote a
justification (差异说明) on the cover sheet, in which case it is still reported but marked ``justified``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from disclosure.formats import Cell, Severity
from disclosure.formats.model import blocks_acceptance

#: Rule id of a file that cannot be used at all (not a workbook, protected, no template identity...).
READ_RULE = "READ"
#: Rule id of template problems: wrong format version for the year, changed or missing labels, moved tables.
TEMPLATE_RULE = "TEMPLATE"
#: Rule id of a return the system could not judge (a fault while checking it, not an error of the return).
SYSTEM_RULE = "SYSTEM"

#: The keys of ``Finding.to_dict`` (the ``--json`` output of ``disclosure validate``), in order.
FINDING_KEYS = (
    "file",
    "unit",
    "rule",
    "severity",
    "sheet",
    "cell",
    "expected",
    "actual",
    "message",
    "justified",
)


@dataclass(frozen=True)
class Finding:
    """One rule broken by one return, at one place."""

    rule: str  # spec rule id (R1 … X2), or READ / TEMPLATE
    severity: Severity
    message: str  # Chinese: where, what is expected, what was found, what to change
    unit: str | None = None
    file: str | None = None
    sheet: str | None = None
    cell: str | None = None  # A1 coordinate on ``sheet``
    expected: str | None = None
    actual: str | None = None
    justified: bool = False  # a warning the unit explained on the cover sheet
    key: Cell | None = None  # the figure the finding is about, when there is one

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def blocks_acceptance(self) -> bool:
        """Errors always block; a warning blocks until the unit justifies it on the cover sheet."""
        return blocks_acceptance(self.severity, self.justified)

    def location(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or ""

    def to_dict(self) -> dict[str, str | bool | None]:
        return {
            "file": self.file,
            "unit": self.unit,
            "rule": self.rule,
            "severity": self.severity.value,
            "sheet": self.sheet,
            "cell": self.cell,
            "expected": self.expected,
            "actual": self.actual,
            "message": self.message,
            "justified": self.justified,
        }


SEVERITY_LABELS = {Severity.ERROR: "错误", Severity.WARNING: "提示"}


def sort_findings(findings: list[Finding], sheets: Sequence[str] = ()) -> list[Finding]:
    """Stable reading order: by file and unit, then sheet (in workbook order) and cell position, then rule."""
    order = {name: i for i, name in enumerate(sheets)}

    def cell_order(cell: str | None) -> tuple[int, str]:
        if not cell:
            return (0, "")
        letters = "".join(ch for ch in cell if ch.isalpha())
        digits = "".join(ch for ch in cell if ch.isdigit())
        return (int(digits or 0), letters.rjust(3))

    return sorted(
        findings,
        key=lambda f: (
            f.file or "",
            f.unit or "",
            order.get(f.sheet or "", len(order)),
            f.sheet or "",
            cell_order(f.cell),
            f.rule,
        ),
    )
