"""The inbox receiver: the folder (or object storage) where units' returns arrive, polled by the DAG.

One poll lists the year's inbox once: a file already received unchanged (same location, size and modification
time) is skipped without being read or even hashed; a new or changed file is received (``intake.receive``:
archived, read once, recorded). The inbox may be a local folder or any path-like object with
``iterdir``/``open``/``stat`` (the DAG passes an Airflow ``ObjectStoragePath`` for S3, SFTP …). Files are
recognised by what their template identity says, never by name, and ordered by when the system received them,
never by their modification time.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from disclosure.intake.receive import receive
from disclosure.registry import Registry
from disclosure.store import Channel, Store, SubmissionInfo

log = logging.getLogger(__name__)

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".et")


@dataclass
class InboxReceipt:
    """What one poll of the inbox found: the submissions it created, and the new files that are not a return
    of this year's units (reported, never dropped)."""

    year: int
    received: list[SubmissionInfo] = field(default_factory=list)
    strays: list[str] = field(default_factory=list)  # one Chinese line per stray file


def inbox_folder(year: int) -> Path:
    from disclosure.settings import get_settings

    return get_settings().inbox(year)


def receive_inbox(
    year: int, inbox: Any | None = None, *, store: Store, registry: Registry | None = None
) -> InboxReceipt:
    """Receive every new or changed workbook of the year's inbox as a submission (one poll)."""
    from disclosure.registry import load_registry

    registry = registry or load_registry()
    folder = inbox if inbox is not None else inbox_folder(year)
    receipt = InboxReceipt(year=year)
    if not folder.exists():
        return receipt
    sources = [s for s in sorted(folder.iterdir(), key=lambda p: p.name) if _is_workbook(s)]
    seen = [(s, *_stat(s)) for s in sources]
    known = store.inbox_hashes(str(s) for s, _, _ in seen)
    fresh = [(s, size, mtime) for s, size, mtime in seen if (str(s), size, mtime) not in known]
    if not fresh:
        return receipt  # nothing new: no lock, no hashing, no reading
    # Every unit's sensor polls the same inbox: one receives the new files, the others wait and find them known.
    with store.lock(f"inbox-{year}"):
        _receive_fresh(fresh, year, store, registry, receipt)
    if receipt.strays:
        log.warning(
            "收件箱中有 %d 个文件无法归入本年度单位：\n%s", len(receipt.strays), "\n".join(receipt.strays)
        )
    return receipt


def _receive_fresh(
    fresh: list[tuple[Any, int, float]], year: int, store: Store, registry: Registry, receipt: InboxReceipt
) -> None:
    known = store.inbox_hashes(str(s) for s, _, _ in fresh)  # what another poller received while we waited
    known_units = set(registry.reporting_codes())
    for source, size, mtime in fresh:
        if (str(source), size, mtime) in known:
            continue  # received before, unchanged: not read, not hashed
        with _local_copy(source) as (path, sha):
            submission = receive(
                path,
                channel=Channel.INBOX,
                store=store,
                original_name=source.name,
                registry=registry,
                source_ref=str(source),
                receipt_key=f"{Channel.INBOX.value}:{sha}",
                sha256=sha,
            )
        store.remember_inbox_file(str(source), size, mtime, sha)
        receipt.received.append(submission)
        if submission.unit not in known_units or submission.year != year:
            receipt.strays.append(_stray_line(source.name, submission, year, known_units))


def _stray_line(name: str, submission: SubmissionInfo, year: int, known: Iterable[str]) -> str:
    if submission.unit is None:
        reason = "无法识别所属单位"
    elif submission.unit not in set(known):
        reason = f"单位代码 {submission.unit} 不在单位名册中"
    elif submission.year is None:
        reason = "无法识别报告年度"
    else:
        reason = f"报告年度为 {submission.year}，不是 {year}"
    return f"{name}：{reason}（报送 #{submission.id}）"


def _is_workbook(source: Any) -> bool:
    name = source.name
    return source.is_file() and name.lower().endswith(WORKBOOK_SUFFIXES) and not name.startswith(("~$", "."))


def _stat(source: Any) -> tuple[int, float]:
    """Size and modification time (only to notice an unchanged file; never to order submissions)."""
    info = source.stat()
    if hasattr(info, "st_size"):
        return int(info.st_size), float(info.st_mtime)
    stamp = info.get("mtime") or info.get("LastModified") or info.get("last_modified") or 0
    mtime = stamp.timestamp() if isinstance(stamp, datetime) else float(stamp or 0)
    return int(info.get("size") or info.get("Size") or 0), mtime


class _local_copy:
    """A local temporary copy of an inbox file (which may be remote), hashed while copied."""

    def __init__(self, source: Any) -> None:
        self.source = source

    def __enter__(self) -> tuple[Path, str]:
        digest = hashlib.sha256()
        fd, name = tempfile.mkstemp(prefix="inbox-", suffix=Path(self.source.name).suffix.lower())
        self.path = Path(name)
        with self.source.open("rb") as src, os.fdopen(fd, "wb") as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                digest.update(chunk)
                dst.write(chunk)
        return self.path, digest.hexdigest()

    def __exit__(self, *exc: object) -> None:
        self.path.unlink(missing_ok=True)
