"""The report store: what every part of the workflow asks of the database, as plain typed methods.

A unit's return goes through 未提交 → 已提交 (``archive_file``) → 校验未通过 or 已通过 (``record_validation``)
→ 已采用 (``accept``), or 已拒收 (``refuse``: not a valid return of that unit). A resubmission starts again at
已提交; accepting it supersedes the unit's figures of that year in one transaction. Resubmissions are ordered by
the time the system received them, never by file dates. Nothing is ever deleted: superseded figures, old
files, refused files and old runs stay; ``audit_events`` says who did what by hand.

Methods return frozen dataclasses, never ORM objects, so callers never hold a database session.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from disclosure.errors import Problem, StoreError
from disclosure.figures import Figure, Number
from disclosure.formats.model import Cell, blocks_acceptance
from disclosure.store.engine import make_engine
from disclosure.store.schema import (
    AcceptedFigure,
    AuditEvent,
    Channel,
    ConsolidationRun,
    FindingRecord,
    InboxFile,
    Submission,
    SubmissionReading,
    SubmissionStatus,
    Total,
    ValidationRun,
    decode_value,
    encode_value,
    utcnow,
)

if TYPE_CHECKING:
    from disclosure.registry import Registry
    from disclosure.settings import Settings

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class SubmissionInfo:
    """One received file, as the store knows it."""

    id: int
    year: int | None
    unit: str | None
    sha256: str
    size: int
    original_name: str
    archive_path: str  # relative to the archive folder
    received_at: datetime
    status: SubmissionStatus
    status_changed_at: datetime
    format_version: str | None
    template_revision: str | None
    channel: str = Channel.INBOX.value
    sender: str | None = None
    source: str | None = None
    signature_verified: bool | None = None

    @property
    def state_label(self) -> str:
        return self.status.label

    @classmethod
    def of(cls, row: Submission) -> SubmissionInfo:
        return cls(
            id=row.id,
            year=row.year,
            unit=row.unit,
            sha256=row.sha256,
            size=row.size,
            original_name=row.original_name,
            archive_path=row.archive_path,
            received_at=row.received_at,
            status=SubmissionStatus(row.status),
            status_changed_at=row.status_changed_at,
            format_version=row.format_version,
            template_revision=row.template_revision,
            channel=row.channel,
            sender=row.sender,
            source=row.source,
            signature_verified=row.signature_verified,
        )


@dataclass(frozen=True)
class AuditRecord:
    """One recorded action (see ``Store.record_event``)."""

    id: int
    at: datetime
    actor: str
    action: str
    year: int | None
    unit: str | None
    submission_id: int | None
    detail: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return data


@dataclass(frozen=True)
class StoredFinding:
    rule: str
    severity: str
    sheet: str | None
    cell: str | None
    expected: str | None
    actual: str | None
    message: str
    justified: bool


@dataclass(frozen=True)
class ValidationSummary:
    run_id: int
    submission_id: int | None
    started_at: datetime
    data_docs: str | None
    errors: int
    warnings: int
    findings: tuple[StoredFinding, ...] = ()

    @property
    def passed(self) -> bool:
        return self.errors == 0


@dataclass(frozen=True)
class ProvenanceEntry:
    """Where one unit's part of a total comes from: its value, file and cell."""

    unit: str
    unit_name: str
    value: Number | None
    file: str  # original file name as received
    sheet: str | None
    cell: str | None
    submission_id: int
    received_at: datetime
    archive_path: str
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["value"] = None if self.value is None else str(self.value)
        data["received_at"] = self.received_at.isoformat()
        return data


@dataclass(frozen=True)
class TotalsRecord:
    """A saved consolidation run and its totals."""

    run_id: int
    year: int
    format_version: str
    created_at: datetime
    in_force_consolidation: str
    is_draft: bool
    draft_label: str
    contributing_units: tuple[str, ...]
    missing_units: tuple[str, ...]
    invalid_units: tuple[str, ...]
    values: dict[Cell, Number | None]


class Store:
    """The report store behind one SQLAlchemy engine, with its archive folder for received files."""

    def __init__(self, engine: Engine, archive_dir: Path) -> None:
        self.engine = engine
        self.archive_dir = Path(archive_dir)
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str, *, archive_dir: Path | None = None) -> Store:
        if archive_dir is None:
            from disclosure.settings import get_settings

            archive_dir = get_settings().archive
        return cls(make_engine(url), archive_dir)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Store:
        """The store configured by the environment (``DISCLOSURE_STORE_URL``, ``DISCLOSURE_DATA_DIR``)."""
        if settings is None:
            from disclosure.settings import get_settings

            settings = get_settings()
        return cls(make_engine(settings.store_url), settings.archive)

    @classmethod
    def open(cls, url: str | None = None) -> Store:
        """The store at ``url`` (else the configured one), its archive in the data folder, migrated to the
        newest schema (under a lock: many processes may open a new store at the same moment)."""
        from disclosure.settings import get_settings

        settings = get_settings()
        store = cls.from_url(url, archive_dir=settings.archive) if url else cls.from_settings(settings)
        store.upgrade()
        return store

    def upgrade(self) -> None:
        """Create or migrate the schema to the newest revision (safe to call on every start, and from many
        processes at once: the migration runs under a lock, and a store already at the newest revision is
        only checked)."""
        from disclosure.store.migrations import upgrade

        upgrade(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    def lock(self, name: str) -> contextlib.AbstractContextManager[None]:
        """A lock named ``name`` shared by every process using this store (see :mod:`disclosure.store.locks`)."""
        from disclosure.store.locks import named_lock

        return named_lock(self.engine, name)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back entirely when it raises."""
        with self._sessions() as session, session.begin():
            yield session

    # ---- submissions ------------------------------------------------------------------------------------

    def archive_file(
        self,
        path: Path,
        *,
        year: int | None,
        unit: str | None,
        format_version: str | None = None,
        template_revision: str | None = None,
        original_name: str | None = None,
        received_at: datetime | None = None,
        channel: Channel | str = Channel.CLI,
        sender: str | None = None,
        source: str | None = None,
        receipt_key: str | None = None,
        sha256: str | None = None,
    ) -> SubmissionInfo:
        """Copy a received file into the archive under its content hash and record it as 已提交.

        Idempotent: with a ``receipt_key`` (a receiver that sees the same file again and again, the inbox),
        the submission already recorded under that key is returned; without one, when the unit's latest
        submission of the year came through the same channel from the same sender with the same content, that
        submission is returned (sending a file again after another one is a new submission: going back to it).
        An archived file is never overwritten. ``received_at`` is the system's clock unless a test sets it.
        """
        path = Path(path)
        if not path.is_file():
            raise StoreError(f"无法归档：文件不存在 {path}")
        if sha256 is None:
            sha256, size = _hash_file(path)
        else:
            size = path.stat().st_size
        channel = Channel(channel)
        if receipt_key is not None:
            known = self.submission_by_receipt(receipt_key)
            if known is not None:
                return known
        relative = f"{sha256[:2]}/{sha256}{path.suffix.lower()}"
        try:
            with self.session() as session:
                if receipt_key is None:
                    latest = _latest_submission(session, year, unit)
                    if (
                        latest is not None
                        and latest.sha256 == sha256
                        and latest.channel == channel.value
                        and latest.sender == sender
                    ):
                        return SubmissionInfo.of(latest)
                self._write_archive(path, relative, sha256)
                now = received_at or utcnow()
                row = Submission(
                    year=year,
                    unit=unit,
                    sha256=sha256,
                    size=size,
                    original_name=original_name or path.name,
                    archive_path=relative,
                    received_at=now,
                    status=SubmissionStatus.RECEIVED.value,
                    status_changed_at=now,
                    format_version=format_version,
                    template_revision=template_revision,
                    channel=channel.value,
                    sender=sender,
                    source=source,
                    receipt_key=receipt_key,
                )
                session.add(row)
                session.flush()
                return SubmissionInfo.of(row)
        except IntegrityError:
            # Another receiver recorded the same file at the same moment: theirs is the submission.
            known = self.submission_by_receipt(receipt_key) if receipt_key else None
            if known is None:
                raise
            return known

    def resent_submission(
        self, sha256: str, *, channel: Channel | str, sender: str | None
    ) -> SubmissionInfo | None:
        """The submission these bytes already are when sent again through the same channel by the same sender,
        and it is still its unit's latest of the year (after another file, sending it again is going back)."""
        with self.session() as session:
            rows = session.scalars(
                select(Submission)
                .where(
                    Submission.sha256 == sha256,
                    Submission.channel == Channel(channel).value,
                    _same(Submission.sender, sender),
                )
                .order_by(Submission.received_at.desc(), Submission.id.desc())
            )
            for row in rows:
                latest = _latest_submission(session, row.year, row.unit)
                if latest is not None and latest.id == row.id:
                    return SubmissionInfo.of(row)
            return None

    def submission_by_receipt(self, receipt_key: str) -> SubmissionInfo | None:
        with self.session() as session:
            row = session.scalars(select(Submission).where(Submission.receipt_key == receipt_key)).first()
            return SubmissionInfo.of(row) if row is not None else None

    def save_reading(self, submission_id: int, content: Mapping[str, Any]) -> None:
        """Keep what the reader got out of the submission's workbook (read once, when received)."""
        text = json.dumps(content, ensure_ascii=False, sort_keys=True)
        with self.session() as session:
            row = session.get(SubmissionReading, submission_id)
            if row is None:
                session.add(SubmissionReading(submission_id=submission_id, read_at=utcnow(), content=text))
            else:
                row.content = text
                row.read_at = utcnow()

    def readings(self, submission_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """The stored readings of these submissions (those that have one), by submission id."""
        ids = list(submission_ids)
        with self.session() as session:
            rows = session.scalars(select(SubmissionReading).where(SubmissionReading.submission_id.in_(ids)))
            return {row.submission_id: json.loads(row.content) for row in rows}

    def reassign(self, submission_id: int, *, unit: str, year: int) -> SubmissionInfo:
        """Count a submission as ``unit``'s return of ``year`` (the admin's decision for a foreign file)."""
        with self.session() as session:
            row = _get_submission(session, submission_id)
            if row.status == SubmissionStatus.ACCEPTED:
                raise StoreError(f"报送 #{submission_id} 已采用，不能再改为其他单位的报送")
            row.unit, row.year = unit, year
            return SubmissionInfo.of(row)

    # ---- the inbox's seen files -------------------------------------------------------------------------

    def inbox_hashes(self, sources: Iterable[str]) -> dict[tuple[str, int, float], str]:
        """``{(source, size, mtime): sha256}`` of the inbox files already hashed at these locations."""
        wanted = list(sources)
        if not wanted:
            return {}
        query = select(InboxFile.source, InboxFile.size, InboxFile.mtime, InboxFile.sha256)
        with self.session() as session:
            out = {}
            for start in range(0, len(wanted), 500):
                part = wanted[start : start + 500]
                for source, size, mtime, sha in session.execute(query.where(InboxFile.source.in_(part))):
                    out[(source, size, mtime)] = sha
            return out

    def remember_inbox_file(self, source: str, size: int, mtime: float, sha256: str) -> None:
        with contextlib.suppress(IntegrityError), self.session() as session:
            session.add(InboxFile(source=source, size=size, mtime=mtime, sha256=sha256, seen_at=utcnow()))

    # ---- audit --------------------------------------------------------------------------------------------

    def record_event(
        self,
        *,
        actor: str,
        action: str,
        year: int | None = None,
        unit: str | None = None,
        submission_id: int | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditRecord:
        """Record who did what (a manual acceptance, a portal upload, a link sent …) and why."""
        if not actor or not action:
            raise StoreError("审计记录须注明操作人和操作")
        with self.session() as session:
            row = AuditEvent(
                at=utcnow(),
                actor=actor,
                action=action,
                year=year,
                unit=unit,
                submission_id=submission_id,
                detail=json.dumps(dict(detail or {}), ensure_ascii=False, sort_keys=True, default=str),
            )
            session.add(row)
            session.flush()
            return _audit(row)

    def events(
        self,
        *,
        year: int | None = None,
        unit: str | None = None,
        submission_id: int | None = None,
        action: str | None = None,
        submission_ids: Iterable[int] | None = None,
    ) -> list[AuditRecord]:
        """Recorded actions, oldest first, optionally of one year / unit / submission(s) / kind."""
        query = select(AuditEvent).order_by(AuditEvent.at, AuditEvent.id)
        if submission_ids is not None:
            query = query.where(AuditEvent.submission_id.in_(list(submission_ids)))
        for column, value in (
            (AuditEvent.year, year),
            (AuditEvent.unit, unit),
            (AuditEvent.submission_id, submission_id),
            (AuditEvent.action, action),
        ):
            if value is not None:
                query = query.where(column == value)
        with self.session() as session:
            return [_audit(row) for row in session.scalars(query)]

    def archived_path(self, submission: SubmissionInfo) -> Path:
        return self.archive_dir / submission.archive_path

    def _write_archive(self, source: Path, relative: str, sha256: str) -> None:
        target = self.archive_dir / relative
        if target.exists():
            if _hash_file(target)[0] != sha256:
                raise StoreError(f"归档文件 {target} 与其内容哈希不符，可能已被篡改；未覆盖")
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        # Copy to a temporary file first, so a crash never leaves a half-written file under the final name.
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                shutil.copyfileobj(src, out, _CHUNK)
            if _hash_file(Path(tmp_name))[0] != sha256:
                raise StoreError(f"归档 {source.name} 时文件内容发生变化，请重新提交")
            os.chmod(tmp_name, 0o444)
            with contextlib.suppress(FileExistsError):  # another writer got there first: never overwrite
                os.link(tmp_name, target)
        finally:
            Path(tmp_name).unlink(missing_ok=True)

    def submission(self, submission_id: int) -> SubmissionInfo:
        with self.session() as session:
            return SubmissionInfo.of(_get_submission(session, submission_id))

    def submissions(self, year: int | None = None, unit: str | None = None) -> list[SubmissionInfo]:
        """Every submission (optionally of one year and/or unit), oldest first."""
        query = select(Submission).order_by(Submission.received_at, Submission.id)
        if year is not None:
            query = query.where(Submission.year == year)
        if unit is not None:
            query = query.where(Submission.unit == unit)
        with self.session() as session:
            return [SubmissionInfo.of(row) for row in session.scalars(query)]

    def current_submission_id(self, year: int, unit: str) -> int | None:
        """The submission whose figures are the unit's current figures of the year (its newest accepted one)."""
        with self.session() as session:
            return _current_submission_id(session, year, unit)

    def latest_submission(self, year: int, unit: str) -> SubmissionInfo | None:
        with self.session() as session:
            row = _latest_submission(session, year, unit)
            return SubmissionInfo.of(row) if row is not None else None

    # ---- validation -------------------------------------------------------------------------------------

    def record_validation(
        self,
        submission_id: int,
        findings: Iterable[Any],
        data_docs: str | Path | None = None,
        *,
        signature_verified: bool | None = None,
    ) -> ValidationSummary:
        """Record one validation of a submission: its findings (validator findings or reader ``Problem``s)
        and the resulting state: 校验未通过 when any finding blocks acceptance (``blocks_acceptance``: an
        error, or a warning the unit has not justified), else 已通过.

        An already accepted submission keeps its state: re-validating it (a re-run) only adds history.
        """
        return self._record(submission_id, findings, data_docs, signature_verified, refuse=False)

    def refuse(
        self, submission_id: int, findings: Iterable[Any], *, signature_verified: bool | None = None
    ) -> ValidationSummary:
        """已拒收: the file is not a valid return of the unit it claims (its signature does not verify for it,
        the sender is another unit, an old template …). Records why; touches no figures."""
        return self._record(submission_id, findings, None, signature_verified, refuse=True)

    def _record(
        self,
        submission_id: int,
        findings: Iterable[Any],
        data_docs: str | Path | None,
        signature_verified: bool | None,
        *,
        refuse: bool,
    ) -> ValidationSummary:
        rows = [_finding_row(f) for f in findings]
        with self.session() as session:
            submission = _get_submission(session, submission_id)
            run = _add_run(session, rows, data_docs, submission_id=submission.id)
            if signature_verified is not None:
                submission.signature_verified = signature_verified
            if submission.status != SubmissionStatus.ACCEPTED:
                if refuse:
                    new_status = SubmissionStatus.REFUSED
                elif any(blocks_acceptance(r["severity"], r["justified"]) for r in rows):
                    new_status = SubmissionStatus.REJECTED
                else:
                    new_status = SubmissionStatus.PASSED
                submission.status = new_status.value
                submission.status_changed_at = utcnow()
            return _summary(run)

    def latest_validation(self, submission_id: int) -> ValidationSummary | None:
        with self.session() as session:
            run = session.scalars(
                select(ValidationRun)
                .where(ValidationRun.submission_id == submission_id)
                .order_by(ValidationRun.id.desc())
                .limit(1)
            ).first()
            return _summary(run) if run is not None else None

    # ---- accepted figures -------------------------------------------------------------------------------

    def accept(self, submission_id: int, figures: Iterable[Figure]) -> int:
        """Make a validated submission's figures the unit's current figures for its year (已采用).

        In one transaction: the unit's current figures of that year are stamped superseded (kept as
        history), the new ones inserted, the submission marked 已采用. Returns the number of figures stored.
        Refused for a submission that failed validation or is older than the one already current.
        """
        figures = list(figures)
        with self.session() as session:
            submission = _get_submission(session, submission_id)
            if submission.year is None or submission.unit is None:
                raise StoreError(
                    f"报送 #{submission_id}（{submission.original_name}）的单位或年度未知，不能采用"
                )
            # PostgreSQL: accepts of one unit's returns run one after the other (each sees the other's result).
            session.execute(
                select(Submission.id)
                .where(Submission.year == submission.year, Submission.unit == submission.unit)
                .order_by(Submission.id)
                .with_for_update()
            )
            session.refresh(submission)
            if submission.status == SubmissionStatus.ACCEPTED:
                current = _current_submission_id(session, submission.year, submission.unit)
                if current == submission.id:
                    return len(figures)  # a re-run: already current, nothing to do
            elif submission.status != SubmissionStatus.PASSED:
                raise StoreError(
                    f"报送 #{submission_id}（{submission.original_name}）状态为"
                    f"“{SubmissionStatus(submission.status).label}”，只有校验通过的报送才能采用"
                )
            _check_figures(submission, figures)
            current_id = _current_submission_id(session, submission.year, submission.unit)
            if current_id is not None:
                current = session.get(Submission, current_id)
                assert current is not None
                if (current.received_at, current.id) > (submission.received_at, submission.id):
                    raise StoreError(
                        f"{submission.unit} {submission.year} 年已采用较新的报送 #{current.id}"
                        f"（{current.original_name}），不能再采用较早的报送 #{submission.id}"
                    )
            now = utcnow()
            session.execute(
                update(AcceptedFigure)
                .where(
                    AcceptedFigure.year == submission.year,
                    AcceptedFigure.unit == submission.unit,
                    AcceptedFigure.superseded_at.is_(None),
                )
                .values(superseded_at=now)
            )
            # Flush the supersession before inserting: the partial unique index allows one current figure.
            session.flush()
            rows = []
            for figure in figures:
                value, value_type = encode_value(figure.value)
                rows.append(
                    {
                        "year": submission.year,
                        "unit": submission.unit,
                        "table_id": figure.table,
                        "row_id": figure.row,
                        "column_id": figure.column,
                        "value": value,
                        "value_type": value_type,
                        "submission_id": submission.id,
                        "sheet": figure.sheet,
                        "cell": figure.cell,
                        "accepted_at": now,
                    }
                )
            if rows:
                session.execute(insert(AcceptedFigure), rows)
            submission.status = SubmissionStatus.ACCEPTED.value
            submission.status_changed_at = now
            return len(figures)

    def current_figures(self, year: int) -> dict[str, dict[Cell, Number | None]]:
        """Each unit's current (latest accepted) figures of a year: ``{unit: {Cell: value}}``."""
        out: dict[str, dict[Cell, Number | None]] = {}
        # Plain column tuples, not ORM objects: consolidating 1,000 units loads 200,000 figures (make bench).
        query = _current_query(year).with_only_columns(
            AcceptedFigure.unit,
            AcceptedFigure.table_id,
            AcceptedFigure.row_id,
            AcceptedFigure.column_id,
            AcceptedFigure.value,
            AcceptedFigure.value_type,
        )
        with self.session() as session:
            for unit, table, row, column, value, value_type in session.execute(query):
                out.setdefault(unit, {})[Cell(table, row, column)] = decode_value(value, value_type)
        return out

    def figure_years(
        self, years: Iterable[int], units: Iterable[str]
    ) -> dict[str, dict[int, dict[Cell, Number | None]]]:
        """Some units' current figures of several years, in one query: ``{unit: {year: {Cell: value}}}`` (a year
        the store holds nothing of for a unit is absent). The outlier rules' history of the units being checked."""
        years, units = sorted(set(years)), sorted(set(units))
        out: dict[str, dict[int, dict[Cell, Number | None]]] = {}
        if not years or not units:
            return out
        query = select(
            AcceptedFigure.unit,
            AcceptedFigure.year,
            AcceptedFigure.table_id,
            AcceptedFigure.row_id,
            AcceptedFigure.column_id,
            AcceptedFigure.value,
            AcceptedFigure.value_type,
        ).where(
            AcceptedFigure.year.in_(years),
            AcceptedFigure.unit.in_(units),
            AcceptedFigure.superseded_at.is_(None),
        )
        with self.session() as session:
            for unit, year, table, row, column, value, value_type in session.execute(query):
                cells = out.setdefault(unit, {}).setdefault(year, {})
                cells[Cell(table, row, column)] = decode_value(value, value_type)
        return out

    def current_figure_records(self, year: int, unit: str | None = None) -> list[Figure]:
        """The current figures as ``Figure`` records, with the sheet and cell they were read from."""
        query = _current_query(year)
        if unit is not None:
            query = query.where(AcceptedFigure.unit == unit)
        with self.session() as session:
            return [
                Figure(
                    year=row.year,
                    unit=row.unit,
                    table=row.table_id,
                    row=row.row_id,
                    column=row.column_id,
                    value=row.number,
                    sheet=row.sheet,
                    cell=row.cell,
                )
                for row in session.scalars(query)
            ]

    def figure_history(self, year: int, unit: str, cell: Cell) -> list[tuple[int, Number | None, bool]]:
        """Every accepted value of one unit's cell, oldest first: ``(submission_id, value, is_current)``."""
        query = (
            select(AcceptedFigure)
            .where(
                AcceptedFigure.year == year,
                AcceptedFigure.unit == unit,
                AcceptedFigure.table_id == cell.table,
                AcceptedFigure.row_id == cell.row,
                AcceptedFigure.column_id == cell.column,
            )
            .order_by(AcceptedFigure.id)
        )
        with self.session() as session:
            return [(r.submission_id, r.number, r.superseded_at is None) for r in session.scalars(query)]

    def provenance(
        self,
        year: int,
        table: str,
        row: str,
        column: str,
        registry: Registry | None = None,
        units: Sequence[str] | None = None,
    ) -> list[ProvenanceEntry]:
        """Each unit's current value of one cell, with the file and cell it was read from (by unit code)."""
        query = (
            select(AcceptedFigure, Submission)
            .join(Submission, AcceptedFigure.submission_id == Submission.id)
            .where(
                AcceptedFigure.year == year,
                AcceptedFigure.table_id == table,
                AcceptedFigure.row_id == row,
                AcceptedFigure.column_id == column,
                AcceptedFigure.superseded_at.is_(None),
            )
            .order_by(AcceptedFigure.unit)
        )
        if units is not None:
            query = query.where(AcceptedFigure.unit.in_(list(units)))
        with self.session() as session:
            return [
                ProvenanceEntry(
                    unit=fig.unit,
                    unit_name=unit_name(registry, fig.unit),
                    value=fig.number,
                    file=sub.original_name,
                    sheet=fig.sheet,
                    cell=fig.cell,
                    submission_id=sub.id,
                    received_at=sub.received_at,
                    archive_path=sub.archive_path,
                    sha256=sub.sha256,
                )
                for fig, sub in session.execute(query).tuples()
            ]

    def current_submission_ids(self, year: int) -> dict[str, int]:
        """Each unit's submission whose figures are current for the year (its latest accepted one)."""
        with self.session() as session:
            return _current_submission_ids(session, year)

    # ---- totals -----------------------------------------------------------------------------------------

    def save_totals(
        self,
        *,
        year: int,
        format_version: str,
        values: Mapping[Cell, Number | None],
        in_force_consolidation: str,
        is_draft: bool,
        draft_label: str = "",
        contributing_units: Sequence[str] = (),
        missing_units: Sequence[str] = (),
        invalid_units: Sequence[str] = (),
        findings: Iterable[Any] | None = None,
        data_docs: str | Path | None = None,
    ) -> int:
        """Record one consolidation run with its totals (and, when given, the findings of validating them).
        Returns the run id. Earlier runs are kept."""
        with self.session() as session:
            run = ConsolidationRun(
                year=year,
                format_version=format_version,
                in_force_consolidation=in_force_consolidation,
                is_draft=is_draft,
                draft_label=draft_label,
                contributing_units=",".join(contributing_units),
                missing_units=",".join(missing_units),
                invalid_units=",".join(invalid_units),
                created_at=utcnow(),
            )
            session.add(run)
            session.flush()
            rows = []
            for cell, number in values.items():
                value, value_type = encode_value(number)
                rows.append(
                    {
                        "run_id": run.id,
                        "year": year,
                        "table_id": cell.table,
                        "row_id": cell.row,
                        "column_id": cell.column,
                        "value": value,
                        "value_type": value_type,
                    }
                )
            if rows:
                session.execute(insert(Total), rows)
            if findings is not None:
                _add_run(session, [_finding_row(f) for f in findings], data_docs, consolidation_run_id=run.id)
            return run.id

    def latest_totals(self, year: int) -> TotalsRecord | None:
        """The newest consolidation run of a year, or None when the year was never consolidated."""
        with self.session() as session:
            run = session.scalars(
                select(ConsolidationRun)
                .where(ConsolidationRun.year == year)
                .order_by(ConsolidationRun.id.desc())
                .limit(1)
            ).first()
            return _totals_record(run) if run is not None else None

    def totals_run(self, run_id: int) -> TotalsRecord:
        """One saved consolidation run by id (:class:`StoreError` when there is none)."""
        with self.session() as session:
            run = session.get(ConsolidationRun, run_id)
            if run is None:
                raise StoreError(f"没有汇总记录 #{run_id}")
            return _totals_record(run)

    def totals_run_ids(self, year: int) -> list[int]:
        """The ids of every consolidation run of a year, oldest first."""
        with self.session() as session:
            return list(
                session.scalars(
                    select(ConsolidationRun.id)
                    .where(ConsolidationRun.year == year)
                    .order_by(ConsolidationRun.id)
                )
            )

    def figures_at(
        self, year: int, at: datetime, cells: Iterable[Cell] | None = None
    ) -> dict[str, dict[Cell, Number | None]]:
        """Each unit's figures of a year as they were current at the moment ``at`` (accepted by then and not
        yet superseded): what a consolidation run made at ``at`` summed. ``cells`` narrows it down."""
        query = select(
            AcceptedFigure.unit,
            AcceptedFigure.table_id,
            AcceptedFigure.row_id,
            AcceptedFigure.column_id,
            AcceptedFigure.value,
            AcceptedFigure.value_type,
        ).where(
            AcceptedFigure.year == year,
            AcceptedFigure.accepted_at <= at,
            or_(AcceptedFigure.superseded_at.is_(None), AcceptedFigure.superseded_at > at),
        )
        wanted = set(cells) if cells is not None else None
        if wanted is not None and len(wanted) == 1:
            [only] = wanted
            query = query.where(
                AcceptedFigure.table_id == only.table,
                AcceptedFigure.row_id == only.row,
                AcceptedFigure.column_id == only.column,
            )
        out: dict[str, dict[Cell, Number | None]] = {}
        with self.session() as session:
            for unit, table, row, column, value, value_type in session.execute(query):
                cell = Cell(table, row, column)
                if wanted is None or cell in wanted:
                    out.setdefault(unit, {})[cell] = decode_value(value, value_type)
        return out


# ---- helpers ------------------------------------------------------------------------------------------------


def _totals_record(run: ConsolidationRun) -> TotalsRecord:
    return TotalsRecord(
        run_id=run.id,
        year=run.year,
        format_version=run.format_version,
        created_at=run.created_at,
        in_force_consolidation=run.in_force_consolidation,
        is_draft=run.is_draft,
        draft_label=run.draft_label,
        contributing_units=_split(run.contributing_units),
        missing_units=_split(run.missing_units),
        invalid_units=_split(run.invalid_units),
        values={Cell(t.table_id, t.row_id, t.column_id): t.number for t in run.totals},
    )


def unit_name(registry: Registry | None, code: str) -> str:
    """The unit's display name from the registry (the bureau's too); the code when unknown."""
    if registry is None:
        return code
    if code == registry.bureau.code:
        return registry.bureau.short_name or registry.bureau.name
    for unit in registry.units:
        if unit.code == code:
            return unit.short_name or unit.name
    return code


def _hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _same(column: Any, value: Any) -> Any:
    return column.is_(None) if value is None else column == value


def _latest_submission(session: Session, year: int | None, unit: str | None) -> Submission | None:
    return session.scalars(
        select(Submission)
        .where(_same(Submission.year, year), _same(Submission.unit, unit))
        .order_by(Submission.received_at.desc(), Submission.id.desc())
        .limit(1)
    ).first()


def _get_submission(session: Session, submission_id: int) -> Submission:
    row = session.scalars(select(Submission).where(Submission.id == submission_id)).first()
    if row is None:
        raise StoreError(f"报送记录 #{submission_id} 不存在")
    return row


def _current_submission_ids(session: Session, year: int, unit: str | None = None) -> dict[str, int]:
    """Each unit's (or one unit's) submission whose figures are current: its newest accepted one."""
    query = (
        select(AcceptedFigure.unit, func.max(AcceptedFigure.submission_id))
        .where(AcceptedFigure.year == year, AcceptedFigure.superseded_at.is_(None))
        .group_by(AcceptedFigure.unit)
    )
    if unit is not None:
        query = query.where(AcceptedFigure.unit == unit)
    return {code: submission_id for code, submission_id in session.execute(query)}


def _current_submission_id(session: Session, year: int, unit: str) -> int | None:
    return _current_submission_ids(session, year, unit).get(unit)


def _current_query(year: int):
    return (
        select(AcceptedFigure)
        .where(AcceptedFigure.year == year, AcceptedFigure.superseded_at.is_(None))
        .order_by(AcceptedFigure.unit, AcceptedFigure.id)
    )


def _check_figures(submission: Submission, figures: list[Figure]) -> None:
    seen: set[tuple[str, str, str]] = set()
    for figure in figures:
        if figure.year != submission.year or figure.unit != submission.unit:
            raise StoreError(
                f"报送 #{submission.id} 属于 {submission.unit} {submission.year} 年，"
                f"但数据 {figure.table}/{figure.row}/{figure.column} 标为 {figure.unit} {figure.year} 年"
            )
        if figure.key in seen:
            raise StoreError(f"报送 #{submission.id} 的数据中 {'/'.join(figure.key)} 重复出现")
        seen.add(figure.key)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _finding_row(finding: Any) -> dict[str, Any]:
    """Normalise a validator finding (object or mapping) or a reader ``Problem`` to a findings row."""
    if isinstance(finding, Problem):
        return {
            "rule": finding.code,
            "severity": "error",
            "sheet": finding.sheet,
            "cell": finding.cell,
            "expected": None,
            "actual": finding.raw,
            "message": finding.message,
            "justified": False,
        }
    get = (
        finding.get
        if isinstance(finding, Mapping)
        else lambda key, default=None: getattr(finding, key, default)
    )
    severity = get("severity", "error")
    severity = str(getattr(severity, "value", severity)).lower()
    if severity not in ("error", "warning"):
        raise StoreError(f"未知的问题级别 {severity!r}（应为 error 或 warning）")
    rule = get("rule", None) or get("rule_id", None) or get("code", None)
    if not rule:
        raise StoreError(f"校验结果缺少规则编号：{finding!r}")
    return {
        "rule": str(getattr(rule, "id", rule)),
        "severity": severity,
        "sheet": get("sheet", None),
        "cell": get("cell", None),
        "expected": _text(get("expected", None)),
        "actual": _text(get("actual", None)),
        "message": str(get("message", "")),
        "justified": bool(get("justified", False)),
    }


def _add_run(
    session: Session,
    rows: list[dict[str, Any]],
    data_docs: str | Path | None,
    *,
    submission_id: int | None = None,
    consolidation_run_id: int | None = None,
) -> ValidationRun:
    run = ValidationRun(
        submission_id=submission_id,
        consolidation_run_id=consolidation_run_id,
        started_at=utcnow(),
        data_docs=None if data_docs is None else str(data_docs),
        error_count=sum(1 for r in rows if r["severity"] == "error"),
        warning_count=sum(1 for r in rows if r["severity"] == "warning"),
    )
    session.add(run)
    session.flush()
    for row in rows:
        session.add(FindingRecord(run_id=run.id, **row))
    session.flush()
    return run


def _summary(run: ValidationRun) -> ValidationSummary:
    return ValidationSummary(
        run_id=run.id,
        submission_id=run.submission_id,
        started_at=run.started_at,
        data_docs=run.data_docs,
        errors=run.error_count,
        warnings=run.warning_count,
        findings=tuple(
            StoredFinding(
                rule=f.rule,
                severity=f.severity,
                sheet=f.sheet,
                cell=f.cell,
                expected=f.expected,
                actual=f.actual,
                message=f.message,
                justified=f.justified,
            )
            for f in run.findings
        ),
    )


def _audit(row: AuditEvent) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        year=row.year,
        unit=row.unit,
        submission_id=row.submission_id,
        detail=json.loads(row.detail or "{}"),
    )


def _split(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split(",") if part)


__all__ = [
    "AuditRecord",
    "ProvenanceEntry",
    "Store",
    "StoredFinding",
    "SubmissionInfo",
    "TotalsRecord",
    "ValidationSummary",
    "decode_value",
    "unit_name",
]
