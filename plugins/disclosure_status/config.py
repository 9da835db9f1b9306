"""The plugin's few settings: which DAG it reports on and which task starts a unit's collection."""

from __future__ import annotations

import os

#: the task of the mapped ``unit`` group that a re-run starts from: it picks up the unit's newest file, and
#: clearing it with its downstream re-runs wait (inbox poll) → validate → accept for that unit, then the report.
UNIT_ENTRY_TASK = "unit.wait_for_return"
#: the task whose result lists the run's batches of units (their position is the unit tasks' map index)
DISTRIBUTE_TASK = "distribute"


def dag_id() -> str:
    """The yearly DAG (``DISCLOSURE_DAG_ID``, default ``annual_disclosure_report``)."""
    return os.environ.get("DISCLOSURE_DAG_ID") or "annual_disclosure_report"


def api_url_override() -> str | None:
    """``DISCLOSURE_AIRFLOW_API_URL``: where this server's own REST API is reachable, when the request's
    origin is not (e.g. behind a proxy that rewrites the host). Default: the origin of the request."""
    return os.environ.get("DISCLOSURE_AIRFLOW_API_URL") or None
