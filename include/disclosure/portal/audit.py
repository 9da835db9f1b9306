"""The portal's entries in the store's audit trail (``audit_events``): every upload through a unit's link and
every admin action on links, next to the intake's own entries (an acceptance by hand …).

Issuing and revoking a link write their entry in the same transaction as the change, so the trail never misses
an action that took effect. The admin reads the year's trail with ``disclosure links --year Y --audit``.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from disclosure.store import AuditRecord, Store
from disclosure.store.schema import AuditEvent, utcnow

#: The actor of what a unit does through its link (the admin's actions carry the admin's account).
LINK_ACTOR = "link"


class Action(StrEnum):
    LINK_ISSUED = "portal_link_issued"
    LINK_REVOKED = "portal_link_revoked"
    UPLOAD = "portal_upload"  # a file reached the intake (whatever its verdict)
    UPLOAD_REFUSED = "portal_upload_refused"  # refused before the intake: too large, bad form token

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS = {
    Action.LINK_ISSUED: "签发链接",
    Action.LINK_REVOKED: "作废链接",
    Action.UPLOAD: "上传文件",
    Action.UPLOAD_REFUSED: "拒绝上传",
}
#: Labels of the intake's own actions that share the trail.
OTHER_LABELS = {"manual_acceptance": "人工采用"}


def label(action: str) -> str:
    """The Chinese name of any action in the trail (its code when it has none)."""
    try:
        return Action(action).label
    except ValueError:
        return OTHER_LABELS.get(action, action)


def _detail(generation: int | None, client: str | None, note: str) -> dict[str, Any]:
    detail = {"generation": generation, "client": client, "note": note}
    return {k: v for k, v in detail.items() if v not in (None, "")}


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
    """Add one entry inside the caller's unit of work (``detail``: a note in Chinese)."""
    session.add(
        AuditEvent(
            at=utcnow(),
            actor=actor,
            action=action.value,
            year=year,
            unit=unit,
            submission_id=submission_id,
            detail=json.dumps(_detail(generation, client, detail), ensure_ascii=False, sort_keys=True),
        )
    )


def record(store: Store, **entry: Any) -> None:
    """Add one entry in a unit of work of its own (see :func:`add` for the fields)."""
    with store.session() as session:
        add(session, **entry)


def events(
    store: Store, year: int, unit: str | None = None, action: Action | None = None
) -> list[AuditRecord]:
    """The year's trail (optionally of one unit, one action), oldest first."""
    return store.events(year=year, unit=unit, action=action.value if action else None)
