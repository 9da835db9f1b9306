"""The report store's tables (SQLAlchemy 2 declarative models).

What is kept, and why:

- ``submissions``: every file a unit returned, archived immutably under its content hash. Never deleted.
- ``validation_runs`` / ``findings``: each validation of a submission (or of the bureau totals) and what it
  found, located by sheet and cell.
- ``accepted_figures``: the tidy figures of accepted returns, one row per (year, unit, table, row, column).
  Accepting a resubmission stamps the unit's previous figures ``superseded_at`` instead of deleting them, so
  the history of every figure stays; at most one *current* figure exists per key (partial unique index).
- ``consolidation_runs`` / ``totals``: each consolidation of a year and the bureau totals it produced.
- ``submission_readings``: what the reader got out of a submission's workbook (identity, figures, problems),
  read once when the file was received, so checking and accepting never open the workbook again.
- ``inbox_files``: which inbox file (location, size, modification time) has which content hash, so an inbox
  poll does not hash unchanged files again. A cache only: losing it costs one re-hash, nothing else.
- ``audit_events``: who did what to whose return and why (a manual acceptance, a portal upload …).

Values are stored as exact text (``"3421.7"``, ``"-2"``) with their Python type, never as floats: SQLite has
no exact decimal type, and a figure must come back exactly as the unit wrote it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from disclosure.figures import Number

# Stable constraint names, so migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("store timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class SubmissionStatus(StrEnum):
    """Where one submitted file stands. A unit's state in a year is the state of its latest submission."""

    RECEIVED = "received"  # 已提交: archived, not yet validated
    REJECTED = "rejected"  # 校验未通过: unreadable, or validation found errors
    PASSED = "passed"  # 已通过: validated without errors, not (yet) accepted
    ACCEPTED = "accepted"  # 已采用: its figures were accepted (they may since have been superseded)
    REFUSED = (
        "refused"  # 已拒收: not a valid return of that unit (signature, sender, unknown unit, old template)
    )

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    SubmissionStatus.RECEIVED: "已提交",
    SubmissionStatus.REJECTED: "校验未通过",
    SubmissionStatus.PASSED: "已通过",
    SubmissionStatus.ACCEPTED: "已采用",
    SubmissionStatus.REFUSED: "已拒收",
}


class Channel(StrEnum):
    """Through which receiver a file arrived."""

    INBOX = "inbox"  # the inbox folder / object storage, polled by the DAG
    CLI = "cli"  # ``disclosure accept``
    PORTAL = "portal"  # the unit portal (authenticated sender)
    MANUAL = "manual"  # handed in by the admin, accepted by hand


def encode_value(value: Number | None) -> tuple[str | None, str | None]:
    """(text, type) of a figure: exact, so ``Decimal('3421.70')`` comes back with its two decimals."""
    if value is None:
        return None, None
    if isinstance(value, bool):  # bool is an int; a figure is never a truth value
        raise TypeError(f"a figure cannot be a bool: {value!r}")
    if isinstance(value, int):
        return str(value), "int"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"a figure must be a finite number: {value!r}")
        return str(value), "decimal"
    raise TypeError(f"a figure must be int or Decimal, got {type(value).__name__}: {value!r}")


def decode_value(text_value: str | None, value_type: str | None) -> Number | None:
    if text_value is None:
        return None
    return Decimal(text_value) if value_type == "decimal" else int(text_value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Submission(Base):
    """One file received from a unit, archived under ``<sha256[:2]>/<sha256><suffix>`` in the archive folder."""

    __tablename__ = "submissions"
    # No unique (unit, sha256): a unit may go back to a file it sent before, and that is a new submission.
    __table_args__ = (Index("ix_submissions_year_unit", "year", "unit"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int | None] = mapped_column(Integer)  # None until the file's identity is known
    unit: Mapped[str | None] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    original_name: Mapped[str] = mapped_column(String(255))
    archive_path: Mapped[str] = mapped_column(String(255))  # relative to the archive folder
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=SubmissionStatus.RECEIVED.value)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    format_version: Mapped[str | None] = mapped_column(String(32))
    template_revision: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16), default=Channel.INBOX.value)
    sender: Mapped[str | None] = mapped_column(String(64))  # authenticated sender, where the channel has one
    source: Mapped[str | None] = mapped_column(Text)  # where the receiver found it (inbox path / URL)
    # One submission per (receiver, content) where the receiver re-sees the same file (the inbox): unique.
    receipt_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    signature_verified: Mapped[bool | None] = mapped_column(Boolean)  # None: not (yet) checked

    validation_runs: Mapped[list[ValidationRun]] = relationship(
        back_populates="submission", order_by="ValidationRun.id"
    )

    @property
    def state(self) -> SubmissionStatus:
        return SubmissionStatus(self.status)


class ConsolidationRun(Base):
    """One consolidation of a year: which units contributed, which were missing, whether it is a draft."""

    __tablename__ = "consolidation_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    format_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    in_force_consolidation: Mapped[str] = mapped_column(String(16))
    is_draft: Mapped[bool] = mapped_column(Boolean)
    draft_label: Mapped[str] = mapped_column(Text, default="")
    contributing_units: Mapped[str] = mapped_column(Text, default="")  # comma-separated unit codes
    missing_units: Mapped[str] = mapped_column(Text, default="")
    invalid_units: Mapped[str] = mapped_column(Text, default="")

    totals: Mapped[list[Total]] = relationship(back_populates="run", order_by="Total.id")


class ValidationRun(Base):
    """One validation of a submission, or of the bureau totals of a consolidation run."""

    __tablename__ = "validation_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"), index=True)
    consolidation_run_id: Mapped[int | None] = mapped_column(ForeignKey("consolidation_runs.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    data_docs: Mapped[str | None] = mapped_column(Text)  # path or URL of the GX Data Docs page
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    warning_count: Mapped[int] = mapped_column(Integer, default=0)

    submission: Mapped[Submission | None] = relationship(back_populates="validation_runs")
    findings: Mapped[list[FindingRecord]] = relationship(back_populates="run", order_by="FindingRecord.id")


class FindingRecord(Base):
    """One finding of a validation run (a broken rule, or a reader problem), in the unit's language."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("validation_runs.id"), index=True)
    rule: Mapped[str] = mapped_column(String(64))  # rule id (R1 …) or reader problem code
    severity: Mapped[str] = mapped_column(String(16))  # error | warning
    sheet: Mapped[str | None] = mapped_column(String(255))
    cell: Mapped[str | None] = mapped_column(String(32))
    expected: Mapped[str | None] = mapped_column(Text)
    actual: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    justified: Mapped[bool] = mapped_column(Boolean, default=False)

    run: Mapped[ValidationRun] = relationship(back_populates="findings")


class AcceptedFigure(Base):
    """A figure of an accepted return. ``superseded_at`` is set when a later accepted return replaces it."""

    __tablename__ = "accepted_figures"
    __table_args__ = (
        # One current figure per key; superseded ones (history) are unconstrained.
        Index(
            "uq_accepted_figures_current",
            "year",
            "unit",
            "table_id",
            "row_id",
            "column_id",
            unique=True,
            sqlite_where=text("superseded_at IS NULL"),
            postgresql_where=text("superseded_at IS NULL"),
        ),
        Index("ix_accepted_figures_year_unit", "year", "unit"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(32))
    table_id: Mapped[str] = mapped_column(String(32))
    row_id: Mapped[str] = mapped_column(String(64))
    column_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(String(64))
    value_type: Mapped[str | None] = mapped_column(String(8))  # int | decimal
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    sheet: Mapped[str | None] = mapped_column(String(255))
    cell: Mapped[str | None] = mapped_column(String(32))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    submission: Mapped[Submission] = relationship()

    @property
    def number(self) -> Number | None:
        return decode_value(self.value, self.value_type)


class Total(Base):
    """One bureau total of a consolidation run."""

    __tablename__ = "totals"
    __table_args__ = (UniqueConstraint("run_id", "table_id", "row_id", "column_id", name="uq_totals_cell"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("consolidation_runs.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    table_id: Mapped[str] = mapped_column(String(32))
    row_id: Mapped[str] = mapped_column(String(64))
    column_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(String(64))
    value_type: Mapped[str | None] = mapped_column(String(8))

    run: Mapped[ConsolidationRun] = relationship(back_populates="totals")

    @property
    def number(self) -> Number | None:
        return decode_value(self.value, self.value_type)


class SubmissionReading(Base):
    """What the reader got out of one submission's workbook (JSON: identity, figures, problems)."""

    __tablename__ = "submission_readings"

    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    content: Mapped[str] = mapped_column(Text)


class InboxFile(Base):
    """An inbox file as last seen: (location, size, mtime) -> content hash. Only a cache against re-hashing."""

    __tablename__ = "inbox_files"
    __table_args__ = (UniqueConstraint("source", "size", "mtime", name="uq_inbox_files_seen"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(1024))
    size: Mapped[int] = mapped_column(Integer)
    mtime: Mapped[float] = mapped_column(Float)
    sha256: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditEvent(Base):
    """One recorded action on a year's returns: who, what, on which unit/submission, and details (JSON)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_year_unit", "year", "unit"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    year: Mapped[int | None] = mapped_column(Integer)
    unit: Mapped[str | None] = mapped_column(String(32))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"), index=True)
    detail: Mapped[str] = mapped_column(Text, default="{}")
