"""The portal's tables in the report store: each unit's link generations, and the audit log of the portal.

They live next to the store's own tables (same metadata, same migrations: revision ``0003``) but are declared
here, because only the portal reads and writes them.

- ``portal_links``: one row per link generation of a (year, unit). Re-issuing a link revokes the current
  generation and adds the next; a token names its generation, so a revoked link stops working at once while
  the new one works. Rows are never deleted.
- ``portal_audit``: every upload through the portal and every admin action on links, with when, who (the
  link's unit, or the admin's account) and what came of it. Read with ``disclosure links --audit``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
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


class PortalAuditEvent(Base):
    """One event of the portal's audit log."""

    __tablename__ = "portal_audit"
    __table_args__ = (Index("ix_portal_audit_year_unit", "year", "unit"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    year: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))  # see disclosure.portal.audit.Action
    actor: Mapped[str] = mapped_column(
        String(128)
    )  # "link" (the unit through its link) or the admin's account
    generation: Mapped[int | None] = mapped_column(Integer)
    submission_id: Mapped[int | None] = mapped_column(Integer)
    client: Mapped[str | None] = mapped_column(String(64))  # the uploader's address, as the server saw it
    detail: Mapped[str] = mapped_column(Text, default="")
