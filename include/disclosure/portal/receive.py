"""The portal's one road into the intake: an uploaded file, the unit its link authenticates, and the year.

The upload becomes a submission through :func:`disclosure.intake.receive` with the channel ``portal`` and the
link's unit as its authenticated sender (so it is filed under that unit and year whatever the file claims),
and is checked at once in this process by :func:`disclosure.intake.check`: a file that claims another unit or
year is 已拒收 (nothing of either unit changes), the others are validated (校验未通过 / 已通过) with their
feedback workbook. Accepting a passed return is the yearly DAG's step: its unit task finds this submission in
the store as the unit's newest, like any other.
"""

from __future__ import annotations

from pathlib import Path

from disclosure.intake import CheckResult
from disclosure.registry import Registry
from disclosure.settings import Settings
from disclosure.store import Channel, Store

CHANNEL = Channel.PORTAL


def feedback_folder(settings: Settings, year: int, submission_id: int) -> Path:
    """Where the feedback workbook of one portal submission goes (only ever served to its unit)."""
    return settings.feedback(year) / CHANNEL.value / str(submission_id)


def feedback_file(settings: Settings, year: int, submission_id: int) -> Path | None:
    found = sorted(feedback_folder(settings, year, submission_id).glob("*.xlsx"))
    return found[0] if found else None


def check_upload(
    path: Path,
    *,
    original_name: str,
    unit: str,
    year: int,
    store: Store,
    registry: Registry,
    settings: Settings,
) -> CheckResult:
    """Receive and check one uploaded file as ``unit``'s return of ``year``."""
    from disclosure.intake import check, receive

    submission = receive(
        path,
        channel=CHANNEL,
        sender=unit,
        for_year=year,
        original_name=original_name,
        store=store,
        registry=registry,
    )
    return check(
        submission.id,
        store=store,
        registry=registry,
        keys=settings.secret_keys,
        expected_year=year,
        feedback_dir=feedback_folder(settings, year, submission.id),
    )
