"""The portal's one road into the intake: an uploaded file, the unit its link authenticates, and the year.

Everything the portal does with a received file goes through :func:`check_upload`, so moving to another intake
entry point is one edit here. Today it calls :func:`disclosure.intake.accept_files` with the link's unit and
year as what the file must be (a file claiming another unit or year is refused with a finding), checks at once
in this process, and writes the feedback workbook for the unit to download.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from disclosure.registry import Registry
from disclosure.settings import Settings
from disclosure.store import Store, SubmissionStatus

#: The intake's name for this receiver.
CHANNEL = "portal"


@dataclass(frozen=True)
class Verdict:
    submission_id: int | None
    state: SubmissionStatus | None
    accepted: bool
    usable: bool
    errors: int
    warnings: int
    feedback: Path | None


def feedback_file(settings: Settings, year: int, submission_id: int) -> Path:
    """Where the portal keeps the feedback workbook of one submission (only ever served to its unit)."""
    return settings.feedback(year) / CHANNEL / f"{submission_id}-校验结果.xlsx"


def check_upload(
    path: Path, *, unit: str, year: int, store: Store, registry: Registry, settings: Settings
) -> Verdict:
    """Receive, check and (when nothing blocks) accept one uploaded file for ``unit``'s return of ``year``."""
    from disclosure.intake import accept_files
    from disclosure.validation.feedback import write_feedback

    [result] = accept_files([path], store, registry, expected_unit=unit, expected_year=year)
    feedback = None
    if result.submission is not None and result.usable and result.findings:
        feedback = write_feedback(path, result.findings, feedback_file(settings, year, result.submission.id))
    return Verdict(
        submission_id=result.submission.id if result.submission else None,
        state=result.status,
        accepted=result.accepted,
        usable=result.usable,
        errors=result.errors,
        warnings=result.warnings,
        feedback=feedback,
    )
