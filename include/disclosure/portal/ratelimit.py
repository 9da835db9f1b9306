"""Rate limiting per link, in the portal process (the ``limits`` library, moving window, in memory).

A unit's page and uploads are cheap to serve but a check runs the validation stack: one link may not make
more than ``DISCLOSURE_PORTAL_RATE_LIMIT`` requests (default ``30/minute``) nor more than
``DISCLOSURE_PORTAL_UPLOAD_LIMIT`` uploads (default ``10/minute``). Keys are link digests, never tokens. The
counters live in the process: the portal runs as one process (uvicorn, one worker), as deployed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from disclosure.errors import SettingsError

DEFAULT_REQUESTS = "30/minute"
DEFAULT_UPLOADS = "10/minute"


def _item(env: str, default: str) -> RateLimitItem:
    raw = os.environ.get(env, "").strip() or default
    try:
        return parse(raw)
    except ValueError as exc:
        raise SettingsError(f"{env} must look like '30/minute', got {raw!r}") from exc


@dataclass
class LinkLimiter:
    requests: RateLimitItem
    uploads: RateLimitItem
    _limiter: MovingWindowRateLimiter = field(
        default_factory=lambda: MovingWindowRateLimiter(MemoryStorage()), repr=False
    )

    @classmethod
    def from_env(cls) -> LinkLimiter:
        return cls(
            requests=_item("DISCLOSURE_PORTAL_RATE_LIMIT", DEFAULT_REQUESTS),
            uploads=_item("DISCLOSURE_PORTAL_UPLOAD_LIMIT", DEFAULT_UPLOADS),
        )

    def allow_request(self, link_key: str) -> bool:
        """Count one request of the link; False when it is over its limit."""
        return self._limiter.hit(self.requests, "request", link_key)

    def allow_upload(self, link_key: str) -> bool:
        return self._limiter.hit(self.uploads, "upload", link_key)
