"""The report store: received files, validation findings, accepted figures and bureau totals, in a relational
database through SQLAlchemy (SQLite file in the data folder by default, PostgreSQL supported), its schema
versioned with Alembic migrations shipped in ``migrations/``."""

from disclosure.store.repository import (
    AuditRecord,
    ProvenanceEntry,
    Store,
    StoredFinding,
    SubmissionInfo,
    TotalsRecord,
    ValidationOutcome,
    ValidationSummary,
    unit_name,
)
from disclosure.store.schema import Channel, SubmissionStatus

__all__ = [
    "AuditRecord",
    "Channel",
    "ProvenanceEntry",
    "Store",
    "StoredFinding",
    "SubmissionInfo",
    "SubmissionStatus",
    "TotalsRecord",
    "ValidationOutcome",
    "ValidationSummary",
    "unit_name",
]
