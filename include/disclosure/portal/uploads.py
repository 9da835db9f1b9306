"""Receiving an upload without ever holding more than the size limit: the declared length is checked before
anything is read, then the body is parsed as it streams in (multipart, one file field) while its bytes are
counted; reading stops as soon as the limit is passed. The file goes to disk, never wholly into memory.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

FILE_FIELD = "file"
#: Room for the multipart framing and the form's small fields on top of the file's own limit.
FORM_OVERHEAD = 64 * 1024
_UNSAFE = re.compile(r'[\x00-\x1f/\\:*?"<>|]')


class BodyTooLarge(Exception):
    """The upload is over the limit; ``size`` is what it declared or had sent when reading stopped, ``name``
    the file's name when the form got that far."""

    def __init__(self, size: int, name: str | None = None) -> None:
        self.size = size
        self.name = name
        super().__init__(size)


class BadForm(Exception):
    """The body is not the upload form (no file, malformed multipart)."""


@dataclass(frozen=True)
class Upload:
    path: Path  # the file on disk, under its (sanitised) original name
    name: str
    size: int
    fields: dict[str, str]


def safe_name(raw: str | None) -> str:
    """The uploaded file's name without any folder part or control characters (it names a file on disk)."""
    name = _UNSAFE.sub("_", Path((raw or "").replace("\\", "/")).name).strip(" .")
    return name[:200] or "upload.xlsx"


async def _counted(request: Request, limit: int) -> AsyncIterator[bytes]:
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise BodyTooLarge(seen)
        yield chunk


async def receive_upload(request: Request, folder: Path, max_file_bytes: int) -> Upload:
    """Parse the upload form of ``request`` into ``folder``. Raises :class:`BodyTooLarge` before reading when
    the declared length is over the limit, or as soon as the bytes read pass it; :class:`BadForm` when the
    body is not a multipart form with a file."""
    limit = max_file_bytes + FORM_OVERHEAD
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(int(declared))
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadForm("not a multipart form")
    parser = MultiPartParser(request.headers, _counted(request, limit), max_files=1, max_fields=4)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise BadForm(str(exc)) from exc
    try:
        upload = form.get(FILE_FIELD)
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise BadForm("no file chosen")
        name = safe_name(upload.filename)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        with target.open("wb") as out:
            shutil.copyfileobj(upload.file, out, 1024 * 1024)
        size = target.stat().st_size
        if size > max_file_bytes:
            raise BodyTooLarge(size, name)
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        return Upload(path=target, name=name, size=size, fields=fields)
    finally:
        await form.close()
