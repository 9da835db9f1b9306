"""Checks a returned file passes before any spreadsheet library opens it.

A unit may send an old ``.xls``, a macro workbook, a CSV export, a password-protected file, something that is
not a workbook at all, or (by accident or not) a huge file or a zip bomb. Each gets its own problem code and a
Chinese message saying what to send instead. These problems are fatal: nothing else in the file is read.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

from disclosure.errors import Problem
from disclosure.settings import Limits

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"

#: extensions of spreadsheet files we refuse, with what they are (for the message)
REFUSED_EXTENSIONS = {
    ".xls": "Excel 97-2003 工作簿（.xls）",
    ".xlsm": "启用宏的工作簿（.xlsm）",
    ".xlsb": "Excel 二进制工作簿（.xlsb）",
    ".csv": "CSV 文本文件（.csv）",
    ".et": "WPS 表格文件（.et）",
    ".ods": "OpenDocument 表格（.ods）",
}
# A member smaller than this is never called a bomb: tiny XML parts compress extremely well.
_RATIO_FLOOR_BYTES = 1024 * 1024

_SAVE_AS = "请使用下发的 .xlsx 模板填报，或在 Excel/WPS 中“另存为”Excel 工作簿（*.xlsx）后重新提交。"


def check_file(path: Path, limits: Limits) -> list[Problem]:
    """Problems that make ``path`` unusable as a return, or ``[]`` when it may be opened as an .xlsx."""
    problems, archive = open_checked(path, limits)
    if archive is not None:
        archive.close()
    return problems


def open_checked(path: Path, limits: Limits) -> tuple[list[Problem], zipfile.ZipFile | None]:
    """``check_file``, and the package it opened to check it, still open when there is no problem (the caller
    closes it): the reader goes on reading its parts without opening the file again."""
    name = path.name
    if not path.is_file():
        return [Problem("not_a_file", f"找不到文件“{name}”，或它不是一个文件。请重新上传填报表。")], None
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        return [file_too_large(name, size, limits)], None
    with path.open("rb") as handle:
        head = handle.read(8)
    suffix = path.suffix.lower()
    if head == OLE2_MAGIC:
        if ole2_is_encrypted(path):
            return [
                Problem(
                    "password_protected",
                    f"文件“{name}”设置了打开密码（已加密），无法读取。"
                    "请在 Excel/WPS 中取消文件密码（文件→信息→保护工作簿→用密码进行加密，清空密码）后重新提交。",
                )
            ], None
        kind = REFUSED_EXTENSIONS.get(suffix, REFUSED_EXTENSIONS[".xls"])
        return [
            Problem("unsupported_file_type", f"文件“{name}”是{kind}，不是 .xlsx 工作簿。{_SAVE_AS}")
        ], None
    if suffix in REFUSED_EXTENSIONS:
        return [
            Problem(
                "unsupported_file_type",
                f"文件“{name}”是{REFUSED_EXTENSIONS[suffix]}，不是 .xlsx 工作簿。{_SAVE_AS}",
            )
        ], None
    if head[:4] != ZIP_MAGIC:
        return [Problem("not_a_workbook", f"文件“{name}”不是 Excel 工作簿（.xlsx）。{_SAVE_AS}")], None
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError):
        return [Problem("not_a_workbook", f"文件“{name}”已损坏，无法作为 .xlsx 工作簿打开。{_SAVE_AS}")], None
    problems = _check_zip(archive, name, limits)
    if problems:
        archive.close()
        return problems, None
    return [], archive


def file_too_large(name: str, size: int, limits: Limits) -> Problem:
    """The problem of a file over the size limit (also what the portal says when it stops reading an upload:
    then ``size`` is what the upload announced or had sent when it was cut off)."""
    return Problem(
        "file_too_large",
        f"文件“{name}”大小为 {_mb(size)}，超过允许的 {_mb(limits.max_file_bytes)}。"
        "填报表通常不足 1 MB：请删除插入的图片、附件或多余的工作表后重新提交。",
    )


def _check_zip(archive: zipfile.ZipFile, name: str, limits: Limits) -> list[Problem]:
    try:
        members = archive.infolist()
        names = {m.filename for m in members}
        content_types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError):
        return [Problem("not_a_workbook", f"文件“{name}”已损坏，无法作为 .xlsx 工作簿打开。{_SAVE_AS}")]
    total = sum(m.file_size for m in members)
    worst = max(
        (m.file_size / max(m.compress_size, 1) for m in members if m.file_size >= _RATIO_FLOOR_BYTES),
        default=0.0,
    )
    if total > limits.max_uncompressed_bytes or worst > limits.max_compression_ratio:
        return [
            Problem(
                "zip_bomb",
                f"文件“{name}”解压后大小异常（{_mb(total)}，压缩比 {worst:.0f}:1），已拒绝读取。"
                "请使用下发的模板重新填报，不要在表中粘贴大量数据或对象。",
            )
        ]
    if "xl/workbook.xml" not in names:
        return [Problem("not_a_workbook", f"文件“{name}”不是 Excel 工作簿（.xlsx）。{_SAVE_AS}")]
    if b"macroEnabled" in content_types or "xl/vbaProject.bin" in names:
        return [
            Problem(
                "unsupported_file_type",
                f"文件“{name}”是{REFUSED_EXTENSIONS['.xlsm']}（含宏），不能接收。{_SAVE_AS}",
            )
        ]
    return []


def ole2_is_encrypted(path: Path) -> bool:
    """True when an OLE2 compound file holds an ``EncryptionInfo`` stream: an Office file with an open password.

    Walks the compound file's directory (MS-CFB): header → FAT → directory sector chain → 128-byte entries.
    """
    data = path.read_bytes()
    if len(data) < 512 or data[:8] != OLE2_MAGIC:
        return False
    sector_shift = struct.unpack_from("<H", data, 30)[0]
    sector_size = 1 << sector_shift
    first_dir_sector = struct.unpack_from("<I", data, 48)[0]
    difat = struct.unpack_from("<109I", data, 76)
    fat: list[int] = []
    for sector in difat:
        if sector >= 0xFFFFFFFA:
            break
        start = 512 + sector * sector_size
        fat.extend(struct.unpack_from(f"<{sector_size // 4}I", data, start))
    names: list[str] = []
    sector, seen = first_dir_sector, set()
    while sector < 0xFFFFFFFA and sector not in seen and sector < len(fat):
        seen.add(sector)
        start = 512 + sector * sector_size
        for offset in range(start, min(start + sector_size, len(data) - 127), 128):
            name_length = struct.unpack_from("<H", data, offset + 64)[0]
            if 2 <= name_length <= 64:
                names.append(data[offset : offset + name_length - 2].decode("utf-16-le", "replace"))
        sector = fat[sector]
    return "EncryptionInfo" in names


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
