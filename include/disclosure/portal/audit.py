"""The portal's audit log: every upload through a unit's link and every admin action on links.

Written in the same transaction as what it records where there is one (issuing, revoking), so the log never
misses an action that took effect. The admin reads it with ``disclosure links --year Y --audit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from disclosure.portal.records import PortalAuditEvent
from disclosure.store import Store

#: The actor of what a unit does through its link (the admin's actions carry the admin's account).
LINK_ACTOR = "link"


class Action(StrEnum):
    LINK_ISSUED = "link_issued"
    LINK_REVOKED = "link_revoked"
    UPLOAD = "upload"  # a file reached the intake (whatever its verdict)
    UPLOAD_REFUSED = "upload_refused"  # refused before the intake: too large, empty, bad form token

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS = {
    Action.LINK_ISSUED: "签发链接",
    Action.LINK_REVOKED: "作废链接",
    Action.UPLOAD: "上传文件",
    Action.UPLOAD_REFUSED: "拒绝上传",
}


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    year: int
    unit: str
    action: Action
    actor: str
    generation: int | None
    submission_id: int | None
    client: str | None
    detail: str

    def to_dict(self) -> dict:
        return {
            "at": self.at.isoformat(),
            "year": self.year,
            "unit": self.unit,
            "action": self.action.value,
            "action_label": self.action.label,
            "actor": self.actor,
            "generation": self.generation,
            "submission_id": self.submission_id,
            "client": self.client,
            "detail": self.detail,
        }


def add(
    session: Session,
    *,
    year: int,
    unit: str,
    action: Action,
    actor: str,
    generation: int | None = None,
    submission_id: int | None = None,
    client: str | None = None,
    detail: str = "",
) -> None:
    """Add one event inside the caller's unit of work."""
    session.add(
        PortalAuditEvent(
            year=year,
            unit=unit,
            action=action.value,
            actor=actor,
            generation=generation,
            submission_id=submission_id,
            client=client,
            detail=detail,
        )
    )


def record(store: Store, **event) -> None:
    """Add one event in a unit of work of its own (see :func:`add` for the fields)."""
    with store.session() as session:
        add(session, **event)


def events(store: Store, year: int, unit: str | None = None) -> list[AuditEntry]:
    """The year's events (optionally of one unit), oldest first."""
    query = select(PortalAuditEvent).where(PortalAuditEvent.year == year)
    if unit is not None:
        query = query.where(PortalAuditEvent.unit == unit)
    with store.session() as session:
        return [
            AuditEntry(
                at=row.at,
                year=row.year,
                unit=row.unit,
                action=Action(row.action),
                actor=row.actor,
                generation=row.generation,
                submission_id=row.submission_id,
                client=row.client,
                detail=row.detail,
            )
            for row in session.scalars(query.order_by(PortalAuditEvent.at, PortalAuditEvent.id))
        ]
