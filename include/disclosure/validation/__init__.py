"""Validation of units' returns with Great Expectations: the spec compiled into a suite, findings in Chinese
located on their cells, a feedback workbook for the unit and Data Docs for the admin.

GX is imported only when a validation runs (it costs seconds), never when this package is imported.
"""

from disclosure.validation.findings import READ_RULE, TEMPLATE_RULE, Finding
from disclosure.validation.validate import (
    FileResult,
    ValidationReport,
    run_validation,
    validate_files,
    validate_returns,
)

__all__ = [
    "READ_RULE",
    "TEMPLATE_RULE",
    "FileResult",
    "Finding",
    "ValidationReport",
    "run_validation",
    "validate_files",
    "validate_returns",
]
