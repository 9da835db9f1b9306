"""The report store: what every part of the workflow asks of the database, as plain typed methods.

A unit's return goes through 未提交 → 已提交 (``archive_file``) → 校验未通过 or 已通过 (``record_validation``)
→ 已采用 (``accept``), or 已拒收 (``refuse``: not a valid return of that unit). A resubmission starts again at
已提交; accepting it supersedes the unit's figures of that year in one transaction. Resubmissions are ordered by
the time the system received them, never by file dates. Nothing is ever deleted: superseded figures, old
files, refused files and old runs stay; ``audit_events`` says who did what by hand.

A chunk of units takes the same steps with one transaction per step (``record_validations``, ``accept_many``;
``record_validation``, ``refuse`` and ``accept`` are their one-item case), all or nothing. Findings and figures
are written with SQLAlchemy Core bulk inserts (figures: ``COPY`` on PostgreSQL), never one ORM object per row.

Methods return frozen dataclasses, never ORM objects, so callers never hold a database session.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import tempfile
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Row, func, insert, or_, select, update
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
class ValidationOutcome:
    """One validation to record (``Store.record_validations``): its findings (validator findings or reader
    ``Problem``s), and whether the file was refused (已拒收) rather than checked."""

    submission_id: int
    findings: Sequence[Any] = ()
    data_docs: str | Path | None = None
    signature_verified: bool | None = None
    refused: bool = False


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
        return {i: json.loads(text) for i, text in self.reading_texts(submission_ids).items()}

    def reading_texts(self, submission_ids: Iterable[int]) -> dict[int, str]:
        """The stored readings as their JSON text, by submission id: for a chunk that decodes one at a time."""
        reading = SubmissionReading.__table__
        query = select(reading.c.submission_id, reading.c.content).where(
            reading.c.submission_id.in_(list(submission_ids))
        )
        with self.engine.connect() as conn:
            return {submission_id: text for submission_id, text in conn.execute(query)}

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

    def submissions_by_id(self, submission_ids: Iterable[int]) -> list[SubmissionInfo]:
        """These submissions, in the order asked, in one query (:class:`StoreError` names an unknown one)."""
        ids = list(submission_ids)
        with self.session() as session:
            query = select(*_SUBMISSIONS.c).where(_SUBMISSIONS.c.id.in_(set(ids)))
            rows = {row.id: row for row in session.execute(query)}
            _require_known(ids, rows)
            return [SubmissionInfo.of(rows[i]) for i in ids]

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

    def latest_submissions(self, year: int, units: Iterable[str]) -> dict[str, SubmissionInfo]:
        """Each of the units' newest submission of the year (by the time the system received it), in one
        query; a unit that has sent nothing is absent. What a batch of the DAG's unit tasks looks up."""
        codes = list(dict.fromkeys(units))
        if not codes:
            return {}
        newest = (
            select(
                Submission.id,
                func.row_number()
                .over(
                    partition_by=Submission.unit,
                    order_by=(Submission.received_at.desc(), Submission.id.desc()),
                )
                .label("rank"),
            )
            .where(Submission.year == year, Submission.unit.in_(codes))
            .subquery()
        )
        query = select(Submission).join(newest, Submission.id == newest.c.id).where(newest.c.rank == 1)
        with self.session() as session:
            return {row.unit: SubmissionInfo.of(row) for row in session.scalars(query)}

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
        outcome = ValidationOutcome(submission_id, tuple(findings), data_docs, signature_verified)
        [summary] = self.record_validations([outcome])
        return summary

    def refuse(
        self, submission_id: int, findings: Iterable[Any], *, signature_verified: bool | None = None
    ) -> ValidationSummary:
        """已拒收: the file is not a valid return of the unit it claims (its signature does not verify for it,
        the sender is another unit, an old template …). Records why; touches no figures."""
        outcome = ValidationOutcome(
            submission_id, tuple(findings), signature_verified=signature_verified, refused=True
        )
        [summary] = self.record_validations([outcome])
        return summary

    def record_validations(self, outcomes: Iterable[ValidationOutcome]) -> list[ValidationSummary]:
        """Record many submissions' validations (a chunk of units) in one transaction, as
        ``record_validation`` / ``refuse`` record one: a run with its findings and the resulting state per
        outcome, in order (a submission named twice ends in the state of its last outcome). All or nothing: an
        unknown submission or a malformed finding raises :class:`StoreError` naming it, and nothing is recorded.
        """
        batch = [(o, [_finding_row(f) for f in o.findings]) for o in outcomes]
        if not batch:
            return []
        now = utcnow()
        with self.engine.begin() as conn:
            states = _submission_states(conn, [o.submission_id for o, _ in batch])
            runs = [_run_row(rows, o.data_docs, now, submission_id=o.submission_id) for o, rows in batch]
            run_ids = _insert_runs(conn, runs, [rows for _, rows in batch])
            status: dict[int, SubmissionStatus] = {}
            verified: dict[int, bool] = {}
            for outcome, rows in batch:
                if states[outcome.submission_id] != SubmissionStatus.ACCEPTED:
                    status[outcome.submission_id] = _validated_status(rows, refused=outcome.refused)
                if outcome.signature_verified is not None:
                    verified[outcome.submission_id] = outcome.signature_verified
            for value, ids in _grouped(status).items():
                conn.execute(
                    update(_SUBMISSIONS)
                    .where(_SUBMISSIONS.c.id.in_(ids))
                    .values(status=value.value, status_changed_at=now)
                )
            for flag, ids in _grouped(verified).items():
                conn.execute(
                    update(_SUBMISSIONS).where(_SUBMISSIONS.c.id.in_(ids)).values(signature_verified=flag)
                )
        return [
            _summary_of(run_id, run, rows)
            for run_id, run, (_, rows) in zip(run_ids, runs, batch, strict=True)
        ]

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
        [count] = self.accept_many([(submission_id, figures)])
        return count

    def accept_many(self, items: Iterable[tuple[int, Iterable[Figure]]]) -> list[int]:
        """Accept many validated submissions (a chunk of units) in one transaction, each as ``accept`` accepts
        one, in order; returns each one's number of figures (one already current: a re-run, nothing to do).

        A unit with several submissions in the batch ends with the last one's figures current, the earlier
        ones' kept as history. All or nothing: a submission that cannot be accepted (not passed, unknown unit or
        year, figures of another unit, older than the one current …) raises naming it, and nothing of the batch
        is stored. The figures are written with bulk inserts (``COPY`` on PostgreSQL), no ORM object per figure.
        """
        batch = list(items)
        if not batch:
            return []
        now = utcnow()
        with self.engine.begin() as conn:
            subs = _locked_submissions(conn, [submission_id for submission_id, _ in batch])
            current = _current_ids(conn, {(subs[i].year, subs[i].unit) for i, _ in batch})
            status = {row.id: SubmissionStatus(row.status) for row in subs.values()}
            accepted_at = _bound(conn, _FIGURES.c.accepted_at, now)
            accepted: dict[tuple[int, str], list[int]] = {}
            rows: dict[int, list[tuple[Any, ...]]] = {}
            counts: list[int] = []
            try:
                for submission_id, given in batch:
                    figures = list(given)  # read once; an iterable that builds them as it goes saves memory
                    counts.append(len(figures))
                    sub = subs[submission_id]
                    key = (sub.year, sub.unit)
                    if status[sub.id] is SubmissionStatus.ACCEPTED and current.get(key) == sub.id:
                        continue  # a re-run: already current, nothing to do
                    current_id = current.get(key)
                    _check_acceptable(
                        sub, status[sub.id], subs[current_id] if current_id is not None else None
                    )
                    rows[sub.id] = _figure_rows(sub, figures, accepted_at)
                    status[sub.id], current[key] = SubmissionStatus.ACCEPTED, sub.id
                    accepted.setdefault(key, []).append(sub.id)
            except (StoreError, TypeError, ValueError) as exc:
                if len(batch) > 1:
                    exc.add_note(f"本批 {len(batch)} 份报送均未采用（全部或全不）")
                raise
            if accepted:
                _write_acceptance(conn, accepted, rows, now)
        return counts

    def current_figures(self, year: int) -> dict[str, dict[Cell, Number | None]]:
        """Each unit's current (latest accepted) figures of a year: ``{unit: {Cell: value}}``."""
        out: dict[str, dict[Cell, Number | None]] = {}
        query = _current_query(year).with_only_columns(*_FIGURE_VALUE_COLUMNS)
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
        query = select(AcceptedFigure.year, *_FIGURE_VALUE_COLUMNS).where(
            AcceptedFigure.year.in_(years),
            AcceptedFigure.unit.in_(units),
            AcceptedFigure.superseded_at.is_(None),
        )
        with self.session() as session:
            for year, unit, table, row, column, value, value_type in session.execute(query):
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
                session.connection().execute(insert(Total.__table__), rows)
            if findings is not None:
                found = [_finding_row(f) for f in findings]
                runs = [_run_row(found, data_docs, utcnow(), consolidation_run_id=run.id)]
                _insert_runs(session.connection(), runs, [found])
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
        query = select(*_FIGURE_VALUE_COLUMNS).where(
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


def _current_submission_ids(
    session: Session | Connection, year: int, units: Collection[str] | None = None
) -> dict[str, int]:
    """Each unit's (or these units') submission whose figures are current: its newest accepted one."""
    query = (
        select(AcceptedFigure.unit, func.max(AcceptedFigure.submission_id))
        .where(AcceptedFigure.year == year, AcceptedFigure.superseded_at.is_(None))
        .group_by(AcceptedFigure.unit)
    )
    if units is not None:
        query = query.where(AcceptedFigure.unit.in_(list(units)))
    return {code: submission_id for code, submission_id in session.execute(query)}


def _current_submission_id(session: Session, year: int, unit: str) -> int | None:
    return _current_submission_ids(session, year, [unit]).get(unit)


#: One accepted figure as plain column tuples, not ORM objects (consolidating 1,000 units loads 200,000 figures).
_FIGURE_VALUE_COLUMNS = (
    AcceptedFigure.unit,
    AcceptedFigure.table_id,
    AcceptedFigure.row_id,
    AcceptedFigure.column_id,
    AcceptedFigure.value,
    AcceptedFigure.value_type,
)


def _current_query(year: int):
    return (
        select(AcceptedFigure)
        .where(AcceptedFigure.year == year, AcceptedFigure.superseded_at.is_(None))
        .order_by(AcceptedFigure.unit, AcceptedFigure.id)
    )


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


# ---- bulk writes (SQLAlchemy Core: no ORM object per row) -------------------------------------------------

_SUBMISSIONS = Submission.__table__
_RUNS = ValidationRun.__table__
_FINDINGS = FindingRecord.__table__
_FIGURES = AcceptedFigure.__table__
_ACCEPT_COLUMNS = (
    _SUBMISSIONS.c.id,
    _SUBMISSIONS.c.year,
    _SUBMISSIONS.c.unit,
    _SUBMISSIONS.c.status,
    _SUBMISSIONS.c.received_at,
    _SUBMISSIONS.c.original_name,
)


def _require_known(wanted: Iterable[int], found: Mapping[int, Any]) -> None:
    missing = [i for i in dict.fromkeys(wanted) if i not in found]
    if missing:
        raise StoreError(f"报送记录 {'、'.join(f'#{i}' for i in missing)} 不存在")


def _submission_states(conn: Connection, ids: Sequence[int]) -> dict[int, SubmissionStatus]:
    query = select(_SUBMISSIONS.c.id, _SUBMISSIONS.c.status).where(_SUBMISSIONS.c.id.in_(set(ids)))
    states = {submission_id: SubmissionStatus(status) for submission_id, status in conn.execute(query)}
    _require_known(ids, states)
    return states


def _locked_submissions(conn: Connection, ids: Sequence[int]) -> dict[int, Row[Any]]:
    """The submissions to accept and every other submission of their units' years, locked (PostgreSQL: the
    accepts of one unit run one after the other, each seeing the other's result), by id."""
    own = {
        row.id: row for row in conn.execute(select(*_ACCEPT_COLUMNS).where(_SUBMISSIONS.c.id.in_(set(ids))))
    }
    _require_known(ids, own)
    for submission_id in dict.fromkeys(ids):
        row = own[submission_id]
        if row.year is None or row.unit is None:
            raise StoreError(f"报送 #{row.id}（{row.original_name}）的单位或年度未知，不能采用")
    keys = {(row.year, row.unit) for row in own.values()}
    locked = conn.execute(
        select(*_ACCEPT_COLUMNS)
        .where(
            _SUBMISSIONS.c.year.in_({year for year, _ in keys}),
            _SUBMISSIONS.c.unit.in_({unit for _, unit in keys}),
        )
        .order_by(_SUBMISSIONS.c.id)
        .with_for_update()
    )
    return {row.id: row for row in locked if (row.year, row.unit) in keys}


def _by_year(keys: Iterable[tuple[int, str]]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for year, unit in keys:
        out.setdefault(year, []).append(unit)
    return out


def _current_ids(conn: Connection, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """The current submission of each (year, unit), those that have one."""
    out: dict[tuple[int, str], int] = {}
    for year, units in _by_year(keys).items():
        out.update({(year, unit): i for unit, i in _current_submission_ids(conn, year, units).items()})
    return out


def _check_acceptable(sub: Row[Any], status: SubmissionStatus, current: Row[Any] | None) -> None:
    """Raise unless ``sub`` may become its unit's current return: it passed (or was accepted before) and is not
    older than the one current."""
    if status not in (SubmissionStatus.PASSED, SubmissionStatus.ACCEPTED):
        raise StoreError(
            f"报送 #{sub.id}（{sub.original_name}）状态为“{status.label}”，只有校验通过的报送才能采用"
        )
    if current is not None and (current.received_at, current.id) > (sub.received_at, sub.id):
        raise StoreError(
            f"{sub.unit} {sub.year} 年已采用较新的报送 #{current.id}"
            f"（{current.original_name}），不能再采用较早的报送 #{sub.id}"
        )


#: The columns of a figure row, in the order ``_figure_rows`` gives them.
_FIGURE_COLUMNS = (
    "year",
    "unit",
    "table_id",
    "row_id",
    "column_id",
    "value",
    "value_type",
    "submission_id",
    "sheet",
    "cell",
    "accepted_at",
    "superseded_at",
)


def _figure_rows(sub: Row[Any], figures: list[Figure], accepted_at: Any) -> list[tuple[Any, ...]]:
    """A submission's figures as driver-ready rows to insert (``_FIGURE_COLUMNS``; ``accepted_at`` already bound
    by its column type, see ``_bound``), checked on the way: each is the submission's unit's and year's, no key
    twice, every value exact (``encode_value``); else an error naming the submission."""
    year, unit, submission_id = sub.year, sub.unit, sub.id
    seen: set[tuple[str, str, str]] = set()
    rows = []
    for figure in figures:
        key = (figure.table, figure.row, figure.column)
        if figure.year != year or figure.unit != unit:
            raise StoreError(
                f"报送 #{submission_id} 属于 {unit} {year} 年，"
                f"但数据 {'/'.join(key)} 标为 {figure.unit} {figure.year} 年"
            )
        if key in seen:
            raise StoreError(f"报送 #{submission_id} 的数据中 {'/'.join(key)} 重复出现")
        seen.add(key)
        try:
            value, value_type = encode_value(figure.value)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"报送 #{submission_id} 的数据 {'/'.join(key)}：{exc}") from exc
        rows.append(
            (year, unit, *key, value, value_type, submission_id, figure.sheet, figure.cell, accepted_at, None)
        )
    return rows


def _write_acceptance(
    conn: Connection,
    accepted: Mapping[tuple[int, str], list[int]],
    rows: Mapping[int, list[tuple[Any, ...]]],
    now: datetime,
) -> None:
    """Supersede the units' current figures, insert the new ones (in the order accepted; of a unit accepted
    twice in the batch, the earlier figures go in as history) and mark the submissions 已采用."""
    for year, units in _by_year(accepted).items():
        conn.execute(
            update(_FIGURES)
            .where(_FIGURES.c.year == year, _FIGURES.c.unit.in_(units), _FIGURES.c.superseded_at.is_(None))
            .values(superseded_at=now)
        )
    earlier = {i for ids in accepted.values() for i in ids[:-1]}
    superseded_at = _bound(conn, _FIGURES.c.superseded_at, now)
    figure_rows: list[tuple[Any, ...]] = []
    for submission_id, part in rows.items():
        figure_rows.extend([(*row[:-1], superseded_at) for row in part] if submission_id in earlier else part)
    _insert_figures(conn, figure_rows)
    conn.execute(
        update(_SUBMISSIONS)
        .where(_SUBMISSIONS.c.id.in_(list(rows)))
        .values(status=SubmissionStatus.ACCEPTED.value, status_changed_at=now)
    )


def _insert_figures(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _copy_rows(conn, _FIGURES, _FIGURE_COLUMNS, rows)
    else:
        _insert_tuples(conn, _FIGURES, _FIGURE_COLUMNS, rows)


def _bound(conn: Connection, column: Any, value: Any) -> Any:
    """``value`` as the driver gets it for ``column`` (its type's bind processing: a timestamp in UTC, as text on
    SQLite), so rows of driver-ready values need no processing per row."""
    process = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return value if process is None or value is None else process(value)


def _insert_tuples(
    conn: Connection, table: Any, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """Core's INSERT of ``columns`` into ``table`` with many rows per statement (as SQLAlchemy's
    "insertmanyvalues" pages them, within the dialect's parameter limit), on driver-ready tuples: the only values
    a type processes, the timestamps, come bound (``_bound``), so nothing is done per row and column."""
    head, group = _insert_sql(conn.dialect, table, columns)
    dialect = conn.dialect
    page = max(
        1, min(dialect.insertmanyvalues_page_size, dialect.insertmanyvalues_max_parameters // len(columns))
    )
    for start in range(0, len(rows), page):
        part = rows[start : start + page]
        statement = f"{head} VALUES {', '.join([group] * len(part))}"
        conn.exec_driver_sql(statement, tuple(chain.from_iterable(part)))


@lru_cache(maxsize=16)
def _insert_sql(dialect: Any, table: Any, columns: tuple[str, ...]) -> tuple[str, str]:
    """Core's INSERT compiled once per dialect: ``("INSERT INTO t (a, b)", "(?, ?)")``."""
    compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
    assert compiled.positiontup == list(columns), "a positional paramstyle, parameters in column order"
    head, _, group = str(compiled).partition(" VALUES ")
    return head, group


def _copy_rows(conn: Connection, table: Any, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL ``COPY … FROM STDIN`` of ``rows`` (text format), in the connection's transaction."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(map(_copy_field, row)))
        buffer.write("\n")
    buffer.seek(0)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.copy_expert(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN", buffer)
    finally:
        cursor.close()


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_field(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, datetime):  # bound by its column type: in UTC (see ``_bound``)
        return value.isoformat()
    return str(value).translate(_COPY_ESCAPES)


def _grouped(values: Mapping[int, Any]) -> dict[Any, list[int]]:
    """``{value: [id, …]}`` of ``{id: value}``: one UPDATE per distinct value."""
    out: dict[Any, list[int]] = {}
    for key, value in values.items():
        out.setdefault(value, []).append(key)
    return out


def _validated_status(rows: list[dict[str, Any]], *, refused: bool) -> SubmissionStatus:
    if refused:
        return SubmissionStatus.REFUSED
    if any(blocks_acceptance(r["severity"], r["justified"]) for r in rows):
        return SubmissionStatus.REJECTED
    return SubmissionStatus.PASSED


def _run_row(
    rows: list[dict[str, Any]],
    data_docs: str | Path | None,
    now: datetime,
    *,
    submission_id: int | None = None,
    consolidation_run_id: int | None = None,
) -> dict[str, Any]:
    return {
        "submission_id": submission_id,
        "consolidation_run_id": consolidation_run_id,
        "started_at": now,
        "data_docs": None if data_docs is None else str(data_docs),
        "error_count": sum(1 for r in rows if r["severity"] == "error"),
        "warning_count": sum(1 for r in rows if r["severity"] == "warning"),
    }


def _insert_runs(
    conn: Connection, runs: list[dict[str, Any]], findings: list[list[dict[str, Any]]]
) -> list[int]:
    """Insert validation runs and each one's findings (in order); the runs' ids."""
    inserted = conn.execute(insert(_RUNS).returning(_RUNS.c.id, sort_by_parameter_order=True), runs)
    run_ids = list(inserted.scalars())
    finding_rows = [
        {**row, "run_id": run_id} for run_id, rows in zip(run_ids, findings, strict=True) for row in rows
    ]
    if finding_rows:
        conn.execute(insert(_FINDINGS), finding_rows)
    return run_ids


def _summary_of(run_id: int, run: Mapping[str, Any], rows: list[dict[str, Any]]) -> ValidationSummary:
    return ValidationSummary(
        run_id=run_id,
        submission_id=run["submission_id"],
        started_at=run["started_at"],
        data_docs=run["data_docs"],
        errors=run["error_count"],
        warnings=run["warning_count"],
        findings=tuple(StoredFinding(**row) for row in rows),
    )


__all__ = [
    "AuditRecord",
    "ProvenanceEntry",
    "Store",
    "StoredFinding",
    "SubmissionInfo",
    "TotalsRecord",
    "ValidationOutcome",
    "ValidationSummary",
    "decode_value",
    "unit_name",
]
