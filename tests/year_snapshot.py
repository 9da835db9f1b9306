"""What a report year holds after a run, in a form two runs can be compared by: each unit's state and findings,
the current figures, the feedback workbooks, the report's totals and the text of the report. Reads the store and
the data folder the environment points at (``DISCLOSURE_DATA_DIR``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def docx_text(path: Path) -> list[str]:
    """The report's paragraphs, then its tables' cells."""
    from docx import Document

    document = Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return [p.text for p in document.paragraphs] + cells


def year_snapshot(year: int, units: Iterable[str]) -> dict[str, Any]:
    from disclosure.settings import get_settings
    from disclosure.workflow.steps import open_store

    store = open_store()
    try:
        latest = store.latest_submissions(year, units)
        findings = {
            unit: [(f.rule, f.severity, f.sheet, f.cell, f.message) for f in summary.findings]
            for unit, sub in latest.items()
            if (summary := store.latest_validation(sub.id)) is not None
        }
        states = {unit: sub.status.value for unit, sub in latest.items()}
        figures = {
            unit: sorted(map(str, cells.items())) for unit, cells in store.current_figures(year).items()
        }
    finally:
        store.dispose()
    settings = get_settings()
    reports = settings.reports(year)
    return {
        "states": states,
        "findings": findings,
        "figures": figures,
        "feedback": sorted(p.name for p in settings.feedback(year).glob("*.xlsx")),
        "totals": json.loads((reports / f"{year}-totals.json").read_text(encoding="utf-8")),
        "report": docx_text(reports / f"{year}-report.docx"),
    }
