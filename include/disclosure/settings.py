"""Paths and limits, with defaults, from one place.

The data folder holds everything a yearly run produces: ``inbox/<year>/`` (returned workbooks as received),
``archive/`` (immutable copies by content hash), ``outbox/<year>/`` (templates sent to units), ``feedback/``,
``reports/<year>/`` and the default SQLite store. It defaults to ``./data`` and moves with
``DISCLOSURE_DATA_DIR``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from disclosure.errors import SettingsError

if TYPE_CHECKING:
    from disclosure.formats import ColumnKind, FormatSpec

PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLED_UNITS_FILE = PACKAGE_DIR / "registry" / "sample-units.yaml"
DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_PORTAL_GRACE_DAYS = 7
#: Up to this many units a run maps one task instance per unit; above it, batches of units (see ``chunking``).
DEFAULT_CHUNK_THRESHOLD = 100
DEFAULT_CHUNK_SIZE = 100


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from exc
    if value <= 0:
        raise SettingsError(f"{name} must be positive, got {value}")
    return value


@dataclass(frozen=True)
class Limits:
    """Guards against hostile or broken uploads (configurable by environment variables).

    ``max_count`` / ``max_amount`` override the plausible magnitudes the format spec declares per column kind
    (``maxima``: counts and 本年增/减 ≤ 10,000,000; amounts ≤ 10,000,000 in the column's unit, 万元): a figure
    beyond is reported as a typing error before any arithmetic. Unset (0 / empty) keeps the spec's.
    """

    max_file_bytes: int = 10 * 1024 * 1024  # DISCLOSURE_MAX_FILE_BYTES
    max_uncompressed_bytes: int = 100 * 1024 * 1024  # DISCLOSURE_MAX_UNCOMPRESSED_BYTES
    max_compression_ratio: int = 200  # DISCLOSURE_MAX_COMPRESSION_RATIO
    max_count: int | None = None  # DISCLOSURE_MAX_COUNT (counts and signed counts)
    max_amount: int | None = None  # DISCLOSURE_MAX_AMOUNT (in the amount column's unit)

    @classmethod
    def from_env(cls) -> Limits:
        return cls(
            max_file_bytes=_int_env("DISCLOSURE_MAX_FILE_BYTES", cls.max_file_bytes),
            max_uncompressed_bytes=_int_env("DISCLOSURE_MAX_UNCOMPRESSED_BYTES", cls.max_uncompressed_bytes),
            max_compression_ratio=_int_env("DISCLOSURE_MAX_COMPRESSION_RATIO", cls.max_compression_ratio),
            max_count=_int_env("DISCLOSURE_MAX_COUNT", 0) or None,
            max_amount=_int_env("DISCLOSURE_MAX_AMOUNT", 0) or None,
        )

    def figure_maximum(self, spec: FormatSpec, kind: ColumnKind) -> Decimal:
        """The largest plausible magnitude of a figure of ``kind``: the admin's override, else the spec's."""
        from disclosure.formats import ColumnKind

        override = self.max_amount if kind is ColumnKind.AMOUNT else self.max_count
        return Decimal(override) if override else spec.maxima[kind]


@dataclass(frozen=True)
class Settings:
    data_dir: Path

    @classmethod
    def from_env(cls) -> Settings:
        raw = os.environ.get("DISCLOSURE_DATA_DIR") or "data"
        return cls(data_dir=Path(raw).expanduser().resolve())

    def inbox(self, year: int) -> Path:
        return self.data_dir / "inbox" / str(year)

    def outbox(self, year: int) -> Path:
        return self.data_dir / "outbox" / str(year)

    def feedback(self, year: int) -> Path:
        return self.data_dir / "feedback" / str(year)

    def reports(self, year: int) -> Path:
        return self.data_dir / "reports" / str(year)

    def publish(self, year: int) -> Path:
        return self.data_dir / "publish" / str(year)

    def narratives(self) -> Path:
        return self.data_dir / "narratives"

    @property
    def archive(self) -> Path:
        return self.data_dir / "archive"

    @property
    def validation_docs(self) -> Path:
        return self.data_dir / "validation"

    @cached_property
    def store_url(self) -> str:
        """``DISCLOSURE_STORE_URL`` (SQLAlchemy URL) or a SQLite file in the data folder."""
        return os.environ.get("DISCLOSURE_STORE_URL") or f"sqlite:///{self.data_dir / 'store.sqlite'}"

    @property
    def units_file(self) -> Path:
        """``DISCLOSURE_UNITS_FILE`` or the bundled sample registry."""
        raw = os.environ.get("DISCLOSURE_UNITS_FILE")
        return Path(raw).expanduser().resolve() if raw else BUNDLED_UNITS_FILE

    @property
    def timezone(self) -> ZoneInfo:
        """The bureau's clock for everything the admin reads (status page, CLI, emails): ``DISCLOSURE_TIMEZONE``,
        default Asia/Shanghai. Times are stored in UTC; only their display uses this zone."""
        raw = os.environ.get("DISCLOSURE_TIMEZONE") or DEFAULT_TIMEZONE
        try:
            return ZoneInfo(raw)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SettingsError(f"DISCLOSURE_TIMEZONE is not a time zone: {raw!r}") from exc

    @property
    def limits(self) -> Limits:
        return Limits.from_env()

    @property
    def portal_url(self) -> str | None:
        """``DISCLOSURE_PORTAL_URL``: the units' portal as units reach it (e.g. ``https://tb.example.gov.cn``);
        None when no portal is deployed (then the cover note says to reply by email only)."""
        raw = os.environ.get("DISCLOSURE_PORTAL_URL", "").strip().rstrip("/")
        return raw or None

    @property
    def portal_grace(self) -> timedelta:
        """``DISCLOSURE_PORTAL_GRACE_DAYS`` (default 7, may be 0): how long after the returns deadline a unit's
        link still opens its page, for late corrections. Read at each request, so the admin can extend it
        without re-issuing links."""
        raw = os.environ.get("DISCLOSURE_PORTAL_GRACE_DAYS", "").strip()
        if not raw:
            return timedelta(days=DEFAULT_PORTAL_GRACE_DAYS)
        try:
            days = int(raw)
        except ValueError as exc:
            raise SettingsError(f"DISCLOSURE_PORTAL_GRACE_DAYS must be an integer, got {raw!r}") from exc
        if days < 0:
            raise SettingsError(f"DISCLOSURE_PORTAL_GRACE_DAYS must not be negative, got {days}")
        return timedelta(days=days)

    @property
    def chunking(self) -> tuple[int, int]:
        """(threshold, chunk size) of the yearly DAG's unit tasks: a run collecting at most
        ``DISCLOSURE_CHUNK_THRESHOLD`` units (default 100) maps one task instance per unit; a larger run maps one
        per batch of ``DISCLOSURE_CHUNK_SIZE`` units (default 100), which reads, validates and accepts its
        units' returns together (one Great Expectations run) while states and findings stay per unit."""
        return (
            _int_env("DISCLOSURE_CHUNK_THRESHOLD", DEFAULT_CHUNK_THRESHOLD),
            _int_env("DISCLOSURE_CHUNK_SIZE", DEFAULT_CHUNK_SIZE),
        )

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """The bureau's secret keys, newest first (see :mod:`disclosure.secret_key`)."""
        from disclosure.secret_key import secret_keys

        return secret_keys(self.data_dir)


def get_settings() -> Settings:
    return Settings.from_env()
