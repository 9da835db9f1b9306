"""The yearly workflow as the DAG's glue sees it: one import for the task bodies. The code lives in
``disclosure.workflow`` (calendar, batches, steps, notices) and ``disclosure.intake`` (receiving, checking, accepting);
this module only names what the DAG calls.
"""

from __future__ import annotations

from disclosure.errors import ReturnInvalid
from disclosure.workflow.batches import Batch
from disclosure.workflow.calendar import (
    BUREAU_TZ,
    PlanUnit,
    RunPlan,
    default_deadline,
    default_year,
    parse_deadline,
    prepare,
)
from disclosure.workflow.notices import (
    completeness,
    failure_message,
    findings_summary,
    reminder_message,
    status_message,
)
from disclosure.workflow.steps import (
    accept_returns,
    check_returns,
    consolidate,
    distribute,
    missing_units,
    newest_submissions,
    open_store,
    publish,
    render,
)

__all__ = [
    "BUREAU_TZ",
    "Batch",
    "PlanUnit",
    "ReturnInvalid",
    "RunPlan",
    "accept_returns",
    "check_returns",
    "completeness",
    "consolidate",
    "default_deadline",
    "default_year",
    "distribute",
    "failure_message",
    "findings_summary",
    "missing_units",
    "newest_submissions",
    "open_store",
    "parse_deadline",
    "prepare",
    "publish",
    "reminder_message",
    "render",
    "status_message",
]
