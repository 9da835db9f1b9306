"""The project's exception hierarchy, in one module.

Every error carries the context a person needs to act on it: the file, the unit, the sheet and cell, the rule.
``message`` is the Chinese text a unit or the admin reads; ``str(error)`` is the same text plus its location.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class DisclosureError(Exception):
    """Base class of every error raised by the domain package."""


class SpecError(DisclosureError):
    """A format spec file is malformed or inconsistent (a developer error, in English)."""


class RegistryError(DisclosureError):
    """The unit registry file is malformed: missing fields, duplicate codes, unknown keys."""


class SettingsError(DisclosureError):
    """A setting (environment variable, path, limit) has an unusable value."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a returned workbook, located as precisely as the reader could."""

    code: str  # stable machine id, e.g. "missing_sheet", "text_in_number_cell"
    message: str  # Chinese, says what to change
    sheet: str | None = None
    cell: str | None = None
    raw: str | None = None  # the offending content, as found
    advice: str | None = None  # for one figure cell: what is wrong and what to write, without the location

    def location(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or ""


@dataclass
class ReturnReadError(DisclosureError):
    """A returned workbook cannot be read (as a whole or in part). Lists every problem found, not the first."""

    path: Path
    problems: list[Problem] = field(default_factory=list)
    unit: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    @property
    def fatal(self) -> bool:
        """True when the file could not be used at all (wrong type, protected, oversized, no identity)."""
        return any(p.code in FATAL_PROBLEM_CODES for p in self.problems)

    def __str__(self) -> str:
        lines = [f"{self.path.name}：发现 {len(self.problems)} 处问题"]
        for p in self.problems:
            where = f"［{p.location()}］" if p.location() else ""
            lines.append(f"  - {where}{p.message}")
        return "\n".join(lines)


#: Problem codes after which nothing in the file can be trusted (exit code 2 in the CLI).
FATAL_PROBLEM_CODES = frozenset(
    {
        "not_a_file",
        "unsupported_file_type",
        "not_a_workbook",
        "password_protected",
        "file_too_large",
        "zip_bomb",
        "template_identity_missing",
        "foreign_template",
    }
)


class ReturnInvalid(DisclosureError):
    """A unit's return cannot be accepted as sent: the unit must correct it and send it again.

    Raised by the pipeline's per-unit steps; the DAG turns it into a failure that is not retried (a data error),
    while any other exception is infrastructure and is retried. ``summary`` is the Chinese text for the log."""

    def __init__(self, unit: str, summary: str, feedback: Path | None = None) -> None:
        self.unit = unit
        self.summary = summary
        self.feedback = feedback
        super().__init__(summary)


class StoreError(DisclosureError):
    """The report store refused an operation (unknown submission, state transition not allowed)."""


class ReportError(DisclosureError):
    """The report cannot be rendered: a figure the narrative asks for is missing, or prose contradicts a table."""


class LinkError(DisclosureError):
    """A unit's portal link cannot be used: forged, expired, revoked, or for a unit or year it does not name.

    The message is for the admin's log only; the unit gets a plain 403 page that says nothing about why."""
