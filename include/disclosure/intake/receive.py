"""Receiving a file: the first step of every receiver (inbox, CLI, portal, the admin by hand).

A received file becomes a submission once: archived under its content hash, with its channel, its
authenticated sender where the channel has one, the time the system received it, the identity it claims and
what the reader got out of it (read here, once). Receiving the same bytes again through the same receiver
returns the same submission.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from disclosure.errors import StoreError
from disclosure.intake.reading import Reading, read_file
from disclosure.registry import Registry
from disclosure.store import Channel, Store, SubmissionInfo

_CHUNK = 1 << 20


def receive(
    source: Path | str | bytes,
    *,
    channel: Channel | str,
    store: Store,
    sender: str | None = None,
    original_name: str | None = None,
    registry: Registry | None = None,
    source_ref: str | None = None,
    receipt_key: str | None = None,
    sha256: str | None = None,
    for_year: int | None = None,
) -> SubmissionInfo:
    """Record a received file (a path, or the bytes of an upload) as a submission and return it.

    ``channel``: inbox / cli / portal / manual. ``sender``: the unit the channel authenticated (the portal),
    else None; the submission is filed under the sender. ``for_year``: the report year the channel collects
    (the portal's link is for one year), else the year the file claims. ``original_name``: the file's name as
    the unit sent it (default: the path's name; required for bytes). ``source_ref``: where the receiver found it. ``receipt_key``: for a receiver that sees the same file
    again and again (the inbox), what makes one submission per file. Never raises for a bad workbook: an
    unreadable file is a submission too, its problems kept with it.
    """
    channel = Channel(channel)
    if isinstance(source, bytes):
        if not original_name:
            raise StoreError("上传的文件缺少文件名")
        with _spooled(source, Path(original_name).suffix) as path:
            return receive(
                path,
                channel=channel,
                store=store,
                sender=sender,
                original_name=original_name,
                registry=registry,
                source_ref=source_ref,
                receipt_key=receipt_key,
                for_year=for_year,
            )
    path = Path(source)
    if not path.is_file():
        raise StoreError(f"无法接收：文件不存在 {path}")
    name = original_name or path.name
    sha256 = sha256 or file_sha256(path)
    known = (
        store.submission_by_receipt(receipt_key)
        if receipt_key
        else store.resent_submission(sha256, channel=channel, sender=sender)
    )
    if known is not None:
        return known  # the same bytes again through the same receiver: nothing new, nothing read
    reading = read_file(path)
    unit, year = _identity(reading, name, registry)
    # An authenticated channel knows whose file it is, whatever the file claims: it is filed under the sender
    # (and the channel's year), so a file claiming another unit is refused as the sender's and never becomes
    # the claimed unit's newest submission.
    unit, year = sender or unit, for_year or year
    meta = reading.meta
    submission = store.archive_file(
        path,
        year=year,
        unit=unit,
        format_version=meta.format_version if meta else None,
        template_revision=(meta.template_revision or None) if meta else None,
        original_name=name,
        channel=channel,
        sender=sender,
        source=source_ref,
        receipt_key=receipt_key,
        sha256=sha256,
    )
    store.save_reading(submission.id, reading.to_json())
    return submission


def _identity(reading: Reading, name: str, registry: Registry | None) -> tuple[str | None, int | None]:
    """The unit and year the file claims; for a file whose identity cannot be read, guessed from its name
    (so it still shows under its unit), never used for figures."""
    if reading.meta is not None:
        return reading.meta.unit_code, reading.meta.year
    unit, year = reading.claimed_unit, None
    if registry is not None:
        guessed_unit, guessed_year = guess_identity(name, registry)
        unit, year = unit or guessed_unit, guessed_year
    return unit, year


def guess_identity(name: str | Path, registry: Registry) -> tuple[str | None, int | None]:
    """Unit and year from a file name like ``2021_U05_水文环境地质调查院.xlsx`` (the template's own naming)."""
    tokens = re.split(r"[^A-Za-z0-9]+", Path(name).stem)
    codes = [code for code in registry.reporting_codes() if code in tokens]
    years = [int(t) for t in tokens if re.fullmatch(r"(19|20)\d\d", t)]
    return (codes[0] if len(codes) == 1 else None, years[0] if len(set(years)) == 1 else None)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _spooled:
    """Upload bytes as a temporary file for the reader and the archive; removed afterwards."""

    def __init__(self, data: bytes, suffix: str) -> None:
        self.data, self.suffix = data, suffix.lower()

    def __enter__(self) -> Path:
        fd, name = tempfile.mkstemp(prefix="upload-", suffix=self.suffix)
        with os.fdopen(fd, "wb") as out:
            out.write(self.data)
        self.path = Path(name)
        return self.path

    def __exit__(self, *exc: object) -> None:
        self.path.unlink(missing_ok=True)
