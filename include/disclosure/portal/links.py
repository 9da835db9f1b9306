"""Each unit's personal link for a year: issuing, revoking, re-issuing, and authenticating a request.

A link is ``<DISCLOSURE_PORTAL_URL>/u/<token>``; the token (:mod:`disclosure.portal.tokens`) names the unit,
the year, the link generation and the deadline. The store keeps each (year, unit)'s generations: a request is
let in only when its token verifies, has not expired and names the unit's current, unrevoked generation.
Revoking marks the current generation; re-issuing revokes it and adds the next one, so the old link stops
working at once and the new one works. Every issue and revocation is written to the audit log in the same
transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from disclosure.errors import LinkError
from disclosure.portal import audit
from disclosure.portal.records import PortalLink
from disclosure.portal.tokens import LinkClaims, sign, verify
from disclosure.store import Store
from disclosure.store.schema import utcnow

#: The path of a unit's page under the portal's base URL; the token is the segment after it.
UNIT_PATH = "/u/"


@dataclass(frozen=True)
class UnitLink:
    """A unit's current link (what ``disclosure links`` prints and the cover note carries)."""

    unit: str
    year: int
    generation: int
    issued_at: datetime
    token: str

    def url(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}{UNIT_PATH}{self.token}"


def _current(session: Session, year: int, unit: str) -> PortalLink | None:
    return session.scalars(
        select(PortalLink)
        .where(PortalLink.year == year, PortalLink.unit == unit)
        .order_by(PortalLink.generation.desc())
        .limit(1)
    ).first()


def _issue(session: Session, year: int, unit: str, generation: int, actor: str) -> PortalLink:
    row = PortalLink(year=year, unit=unit, generation=generation, issued_at=utcnow(), issued_by=actor)
    session.add(row)
    session.flush()
    audit.add(
        session, year=year, unit=unit, action=audit.Action.LINK_ISSUED, actor=actor, generation=generation
    )
    return row


def _revoke(session: Session, row: PortalLink, actor: str, detail: str = "") -> None:
    row.revoked_at, row.revoked_by = utcnow(), actor
    audit.add(
        session,
        year=row.year,
        unit=row.unit,
        action=audit.Action.LINK_REVOKED,
        actor=actor,
        generation=row.generation,
        detail=detail,
    )


def _link(row: PortalLink, deadline: datetime, keys: Sequence[str]) -> UnitLink:
    claims = LinkClaims(unit=row.unit, year=row.year, generation=row.generation, deadline=deadline)
    return UnitLink(
        unit=row.unit,
        year=row.year,
        generation=row.generation,
        issued_at=row.issued_at,
        token=sign(claims, keys),
    )


def current_link(
    store: Store, year: int, unit: str, *, deadline: datetime, keys: Sequence[str], actor: str
) -> UnitLink | None:
    """The unit's current link for ``year``, issuing its first one when it has none; None when the admin has
    revoked it without issuing a new one. Tokens are deterministic: asking again gives the same link."""
    for _attempt in range(2):
        try:
            with store.session() as session:
                row = _current(session, year, unit)
                if row is None:
                    row = _issue(session, year, unit, 1, actor)
                if row.revoked_at is not None:
                    return None
                return _link(row, deadline, keys)
        except IntegrityError:  # another process issued the first generation at the same moment: read it
            continue
    raise LinkError(f"could not issue the link of {unit} {year}")


def revoke(store: Store, year: int, unit: str, *, actor: str) -> int | None:
    """Revoke the unit's current link; returns its generation, or None when it had no live link."""
    with store.session() as session:
        row = _current(session, year, unit)
        if row is None or row.revoked_at is not None:
            return None
        _revoke(session, row, actor)
        return row.generation


def reissue(
    store: Store, year: int, unit: str, *, deadline: datetime, keys: Sequence[str], actor: str
) -> UnitLink:
    """Revoke the unit's current link (if live) and issue the next generation, in one transaction."""
    with store.session() as session:
        row = _current(session, year, unit)
        if row is not None and row.revoked_at is None:
            _revoke(session, row, actor, detail="重新签发")
        new = _issue(session, year, unit, (row.generation if row else 0) + 1, actor)
        return _link(new, deadline, keys)


def authenticate(
    store: Store,
    token: str,
    *,
    keys: Sequence[str],
    grace: timedelta,
    units: Sequence[str],
    now: datetime | None = None,
) -> LinkClaims:
    """The claims of a request's token when it may be used now; :class:`LinkError` otherwise (forged,
    malformed, expired, unknown unit, revoked or superseded generation). Reads only, writes nothing."""
    claims = verify(token, keys, grace=grace, now=now)
    if claims.unit not in units:
        raise LinkError(f"link names {claims.unit}, not a reporting unit")
    with store.session() as session:
        row = session.scalars(
            select(PortalLink).where(
                PortalLink.year == claims.year,
                PortalLink.unit == claims.unit,
                PortalLink.generation == claims.generation,
            )
        ).first()
        if row is None or row.revoked_at is not None:
            raise LinkError(f"link generation {claims.generation} of {claims.unit} {claims.year} is not live")
    return claims


def unit_portal_link(
    year: int,
    unit: str,
    deadline: datetime,
    *,
    store: Store | None = None,
    store_url: str | None = None,
    actor: str = "distribute",
) -> str | None:
    """The URL a unit's cover note carries (issuing its first link when needed, in ``store``, else the store at
    ``store_url``, default: the configured one), or None when no portal is deployed (``DISCLOSURE_PORTAL_URL``
    unset) or the admin has revoked the unit's link. Distributing to many units passes one open store."""
    from disclosure.settings import get_settings

    settings = get_settings()
    if settings.portal_url is None:
        return None
    if store is not None:
        link = current_link(store, year, unit, deadline=deadline, keys=settings.secret_keys, actor=actor)
        return link.url(settings.portal_url) if link else None
    store = (
        Store.from_url(store_url, archive_dir=settings.archive)
        if store_url
        else Store.from_settings(settings)
    )
    try:
        store.upgrade()
        link = current_link(store, year, unit, deadline=deadline, keys=settings.secret_keys, actor=actor)
    finally:
        store.dispose()
    return link.url(settings.portal_url) if link else None
