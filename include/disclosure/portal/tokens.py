"""A unit's link token: the signed claim «unit U may submit its return of year Y through link generation G
until the deadline D».

Signed with the bureau's secret key (:mod:`disclosure.secret_key`) by itsdangerous, with a salt of its own so
a link token can never pass for a template signature or a form token. Every configured key verifies and the
newest signs, so rotating the key leaves the links already sent working until the old key is dropped.
itsdangerous compares signatures in constant time (``hmac.compare_digest``).

The token carries the deadline it was issued for; the grace period after it is a setting read at every request
(``DISCLOSURE_PORTAL_GRACE_DAYS``), so the admin can extend it without sending new links. Whether a generation
is still the unit's current one is not in the token: :mod:`disclosure.portal.links` asks the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from disclosure.errors import LinkError

LINK_SALT = "disclosure.portal.link"
#: Token payload keys, short because the link goes into an email.
_UNIT, _YEAR, _GENERATION, _DEADLINE = "u", "y", "g", "d"


@dataclass(frozen=True)
class LinkClaims:
    """What a valid token says."""

    unit: str
    year: int
    generation: int
    deadline: datetime  # the returns deadline the link was issued for (aware)

    def expires_at(self, grace: timedelta) -> datetime:
        return self.deadline + grace


def _serializer(keys: Sequence[str]) -> URLSafeSerializer:
    if not keys:
        raise LinkError("no secret key configured")
    # Ours are newest first; itsdangerous wants oldest first and signs with the last.
    return URLSafeSerializer(list(reversed(keys)), salt=LINK_SALT)


def sign(claims: LinkClaims, keys: Sequence[str]) -> str:
    """The token of ``claims``, signed with the newest key."""
    payload = {
        _UNIT: claims.unit,
        _YEAR: claims.year,
        _GENERATION: claims.generation,
        _DEADLINE: int(claims.deadline.timestamp()),
    }
    return _serializer(keys).dumps(payload)


def verify(token: str, keys: Sequence[str], *, grace: timedelta, now: datetime | None = None) -> LinkClaims:
    """The claims of a token whose signature verifies with one of ``keys`` and whose deadline plus ``grace``
    has not passed. Raises :class:`LinkError` otherwise (forged, malformed or expired)."""
    try:
        payload = _serializer(keys).loads(token)
    except BadSignature as exc:
        raise LinkError("link token signature does not verify") from exc
    try:
        claims = LinkClaims(
            unit=str(payload[_UNIT]),
            year=int(payload[_YEAR]),
            generation=int(payload[_GENERATION]),
            deadline=datetime.fromtimestamp(int(payload[_DEADLINE]), UTC),
        )
    except (KeyError, TypeError, ValueError) as exc:  # signed by us but not a link payload
        raise LinkError("link token payload is malformed") from exc
    if (now or datetime.now(UTC)) > claims.expires_at(grace):
        raise LinkError(f"link of {claims.unit} {claims.year} expired")
    return claims
