"""The bureau's secret key: what signs each unit's template and each unit's portal link.

Where it comes from, first found wins:

1. ``DISCLOSURE_SECRET_KEY`` (the DAG's glue fills it from the Airflow connection ``disclosure_secret_key``,
   its password field, when that connection exists);
2. the file ``secret_key`` in the data folder, which the set-up (``disclosure secret-key --ensure``, run by
   ``make run`` and ``make standalone``) generates when no key is configured, like Airflow's generated
   passwords.

Either may hold several keys, one per line (or separated by commas in the environment variable), **newest
first**: the newest signs, every listed key verifies. Rotating a key is adding a new first line; the old line
stays until the year whose templates it signed is closed, so templates already sent keep verifying.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from disclosure.errors import SettingsError

SECRET_KEY_ENV = "DISCLOSURE_SECRET_KEY"
SECRET_KEY_FILE = "secret_key"
#: Shorter keys are refused: a key must resist guessing (32 bytes of randomness give 43 URL-safe characters).
MIN_KEY_LENGTH = 32


def key_file(data_dir: Path) -> Path:
    return data_dir / SECRET_KEY_FILE


def _split(raw: str) -> list[str]:
    return [k for k in re.split(r"[\s,]+", raw.strip()) if k and not k.startswith("#")]


def _file_keys(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [k for line in lines if (k := line.strip()) and not k.startswith("#")]


def secret_keys(data_dir: Path) -> tuple[str, ...]:
    """The configured keys, newest first. Raises :class:`SettingsError` when none is configured or one is
    too short to be a secret."""
    raw = os.environ.get(SECRET_KEY_ENV, "")
    keys = _split(raw) if raw.strip() else []
    source = SECRET_KEY_ENV
    if not keys:
        path = key_file(data_dir)
        source = str(path)
        if path.is_file():
            keys = _file_keys(path)
    if not keys:
        raise SettingsError(
            f"未配置密钥：请设置环境变量 {SECRET_KEY_ENV}（或 Airflow 连接 disclosure_secret_key），"
            f"或运行 `disclosure secret-key --ensure` 在数据目录生成 {SECRET_KEY_FILE}"
        )
    short = [k for k in keys if len(k) < MIN_KEY_LENGTH]
    if short:
        raise SettingsError(
            f"{source} 中有长度不足 {MIN_KEY_LENGTH} 个字符的密钥：密钥须为随机生成的长字符串"
        )
    return tuple(keys)


def generate_key() -> str:
    return secrets.token_urlsafe(32)


def ensure_secret_key(data_dir: Path) -> Path | None:
    """Generate the data folder's key file when no key is configured at all; returns the file when it was
    written, None when a key was already configured. The file is created readable by its owner only."""
    if os.environ.get(SECRET_KEY_ENV, "").strip():
        return None
    path = key_file(data_dir)
    if path.is_file() and _file_keys(path):
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    content = f"# 本局密钥（自动生成，请妥善保管；轮换时在首行加入新密钥，旧密钥保留至该年度结束）\n{generate_key()}\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(content)
    return path


def rotate_secret_key(data_dir: Path) -> Path:
    """Put a new key first in the data folder's key file, keeping the old ones (they still verify)."""
    path = key_file(data_dir)
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    new = f"{generate_key()}\n"
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        lines = old.splitlines(keepends=True)
        comments = [line for line in lines if line.startswith("#")]
        keys = [line for line in lines if not line.startswith("#")]
        out.write("".join(comments) + new + "".join(keys))
    os.replace(tmp, path)
    return path
