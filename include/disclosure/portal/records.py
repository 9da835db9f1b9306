"""The portal's table in the report store: each unit's link generations.

It lives next to the store's own tables (same metadata, same migrations: revision ``0003``) but is declared
here, because only the portal reads and writes it. One row per link generation of a (year, unit): re-issuing a
link revokes the current generation and adds the next; a token names its generation, so a revoked link stops
working at once while the new one works. Rows are never deleted. What happens through the portal and to its
links is recorded in the store's ``audit_events`` (:mod:`disclosure.portal.audit`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from disclosure.store.schema import Base, UTCDateTime, utcnow


class PortalLink(Base):
    """One generation of a unit's personal link for a year."""

    __tablename__ = "portal_links"
    __table_args__ = (UniqueConstraint("year", "unit", "generation", name="uq_portal_links_generation"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(32))
    generation: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(128))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(128))
