"""The upload form's CSRF token: a signed, timed token bound to the link it was served under.

The synchronizer-token pattern without server state: the unit page puts the token in a hidden field, the
upload must send it back, and it verifies only with the bureau's key, within :data:`FORM_MAX_AGE`, and for the
same link (the token signs a digest of the link token, never the link token itself). A page from another site
cannot read it, so it cannot make a unit's browser upload on its behalf.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from itsdangerous import BadSignature, URLSafeTimedSerializer

FORM_SALT = "disclosure.portal.form"
#: How long a served form stays usable (a unit may leave the page open while it finds the file).
FORM_MAX_AGE = 4 * 60 * 60
FIELD = "csrf_token"


def _serializer(keys: Sequence[str]) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(list(reversed(keys)), salt=FORM_SALT)


def link_digest(link_token: str) -> str:
    """A digest naming a link without revealing it (also the rate limiter's and the log's key)."""
    return hashlib.sha256(link_token.encode("utf-8")).hexdigest()[:32]


def form_token(link_token: str, keys: Sequence[str]) -> str:
    return _serializer(keys).dumps(link_digest(link_token))


def form_token_valid(submitted: str | None, link_token: str, keys: Sequence[str]) -> bool:
    """True when ``submitted`` was issued by :func:`form_token` for this link, less than FORM_MAX_AGE ago."""
    if not submitted:
        return False
    try:
        digest = _serializer(keys).loads(submitted, max_age=FORM_MAX_AGE)
    except BadSignature:  # also SignatureExpired
        return False
    return isinstance(digest, str) and hmac.compare_digest(digest, link_digest(link_token))
