"""Accepting: a checked submission's figures become its unit's current figures for the year (已采用); and the
admin's acceptance by hand of a file that is unsigned or another unit's, recorded with who did it and why.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from disclosure.errors import StoreError
from disclosure.figures import Figure
from disclosure.intake.check import MANUAL_ACCEPTANCE, CheckResult, check_many, figures_of
from disclosure.intake.reading import Reading
from disclosure.intake.receive import receive
from disclosure.registry import Registry
from disclosure.store import Channel, Store, SubmissionInfo, SubmissionStatus

log = logging.getLogger(__name__)


def accept(submission_id: int, *, store: Store) -> SubmissionInfo:
    """Make a submission that passed its check its unit's current return (已采用); idempotent. The figures
    are the ones read when the file was received. Raises :class:`StoreError` for one that did not pass."""
    [submission] = accept_many([submission_id], store=store)
    return submission


def accept_many(submission_ids: Sequence[int], *, store: Store) -> list[SubmissionInfo]:
    """Accept many submissions (a chunk of units) as :func:`accept` accepts one, in one transaction of the
    store (``Store.accept_many``), and return them in order. Those already accepted are left as they are. All or
    nothing: one that did not pass, or has no reading, raises :class:`StoreError` naming it, and none is
    accepted."""
    if not submission_ids:
        return []
    submissions = store.submissions_by_id(submission_ids)
    todo = list({s.id: s for s in submissions if s.status is not SubmissionStatus.ACCEPTED}.values())
    for submission in todo:
        if submission.status is not SubmissionStatus.PASSED:
            raise StoreError(
                f"报送 #{submission.id}（{submission.original_name}）状态为“{submission.status.label}”，"
                "只有校验通过的报送才能采用"
            )
    readings = store.reading_texts([s.id for s in todo])
    for submission in todo:
        if submission.id not in readings:
            raise StoreError(f"报送 #{submission.id} 没有读取记录，请先校验")
    counts = store.accept_many([(s.id, _figures(readings[s.id], s)) for s in todo])
    for submission, count in zip(todo, counts, strict=True):
        log.info("%s：已采用 %d 个数据（报送 #%s）", submission.unit, count, submission.id)
    return store.submissions_by_id(submission_ids) if todo else submissions


def _figures(reading: str, submission: SubmissionInfo) -> Iterator[Figure]:
    """The figures to accept from a stored reading, decoded only when the store takes them: a chunk's readings
    are decoded one at a time, never all at once (200 figures a return: less to hold, less to collect)."""
    yield from figures_of(Reading.from_json(json.loads(reading)), submission)


def accept_checked(results: Iterable[CheckResult], *, store: Store) -> None:
    """Accept every result whose check passed (sets ``accepted``), all in one transaction."""
    todo = [r for r in results if r.passed and not r.accepted]
    for result, submission in zip(todo, accept_many([r.id for r in todo], store=store), strict=True):
        result.submission = submission
        result.accepted = True


def take_in(
    paths: Sequence[Path],
    *,
    store: Store,
    registry: Registry,
    channel: Channel | str = Channel.CLI,
    sender: str | None = None,
    format_version: str | None = None,
    feedback_dir: Path | None = None,
    docs_dir: Path | None = None,
) -> list[CheckResult]:
    """receive → check → accept for files handed in at once (the CLI): one result per file, in order."""
    ids = [receive(p, channel=channel, sender=sender, store=store, registry=registry).id for p in paths]
    unique = list(dict.fromkeys(ids))
    checked = {
        r.id: r
        for r in check_many(
            unique,
            store=store,
            registry=registry,
            format_version=format_version,
            feedback_dir=feedback_dir,
            docs_dir=docs_dir,
        )
    }
    accept_checked(checked.values(), store=store)
    return [checked[i] for i in ids]


def accept_by_hand(
    submission_id: int,
    *,
    unit: str,
    reason: str,
    actor: str,
    store: Store,
    registry: Registry,
    format_version: str | None = None,
    feedback_dir: Path | None = None,
    docs_dir: Path | None = None,
) -> CheckResult:
    """The admin's decision: count a submission (unsigned, an old template, another unit's) as ``unit``'s
    return. Recorded in the audit trail (who, why, what the file claimed); the figures are still validated
    with every rule, and accepted when nothing blocks."""
    if unit not in registry.reporting_codes():
        raise StoreError(f"单位代码“{unit}”不在名册中")
    if not reason.strip():
        raise StoreError("人工采用须说明理由")
    submission = store.submission(submission_id)
    data = store.readings([submission_id]).get(submission_id)
    reading = Reading.from_json(data) if data else None
    if reading is None or reading.unit_return is None:
        raise StoreError(f"报送 #{submission_id}（{submission.original_name}）无法读取，不能人工采用")
    year = reading.unit_return.year
    store.record_event(
        actor=actor,
        action=MANUAL_ACCEPTANCE,
        year=year,
        unit=unit,
        submission_id=submission_id,
        detail={
            "unit": unit,
            "reason": reason,
            "claimed_unit": reading.unit_return.unit,
            "file": submission.original_name,
            "sha256": submission.sha256,
            "previous_state": submission.status.value,
        },
    )
    if submission.unit != unit or submission.year != year:
        store.reassign(submission_id, unit=unit, year=year)
    [result] = check_many(
        [submission_id],
        store=store,
        registry=registry,
        format_version=format_version,
        feedback_dir=feedback_dir,
        docs_dir=docs_dir,
    )
    accept_checked([result], store=store)
    return result
