"""Validation of units' returns with Great Expectations: the spec compiled into a suite, findings in Chinese
located on their cells, a feedback workbook for the unit and Data Docs for the admin.

GX is imported only when a validation runs (it costs seconds), never when this package is imported.
"""

import logging
import os

# GX logs hundreds of INFO lines while it imports (docs decorators) and phones home unless told not to; set this
# before anything in the package imports it, so task logs show the findings, not GX's start-up.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
for _name in ("great_expectations", "great_expectations._docs_decorators"):
    logging.getLogger(_name).setLevel(logging.ERROR)

from disclosure.validation.findings import READ_RULE, TEMPLATE_RULE, Finding  # noqa: E402
from disclosure.validation.validate import (  # noqa: E402
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
