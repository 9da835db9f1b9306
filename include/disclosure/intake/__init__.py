"""Intake: the one road by which a unit's file becomes its accepted return, whichever receiver got it.

receive → check → accept, each keyed by submission id, used by the DAG, the CLI, the portal and the benchmarks:

``receive(path_or_bytes, *, channel, store, sender=None, original_name=None, ...) -> SubmissionInfo``
    Record a received file as a submission (state 已提交): archived under its content hash, with its channel
    (``"inbox"``, ``"cli"``, ``"portal"``, ``"manual"``), the sender the channel authenticated (the portal's
    unit; None elsewhere), the time the system received it (this orders resubmissions; file dates play no
    part) and the identity it claims. The workbook is read here, once; what the reader got (figures, problems)
    is stored with the submission. The same bytes again through the same receiver: the same submission.

``check(submission_id, *, store, ...) -> CheckResult`` / ``check_many(ids, ...) -> list[CheckResult]``
    Decide whose return each one is (``intake.identity``: a signature made with the bureau's key for exactly the
    unit and year it claims, a unit in the registry, agreement with the authenticated sender and with the unit
    the caller expects); a file that fails is 已拒收, with a Chinese finding starting «此文件不是发给本单位的报表
    模板», and nothing of that unit changes. The others are validated against every rule of their format, many
    in one Great Expectations run: 校验未通过 or 已通过, findings stored with the submission, a feedback workbook
    (``CheckResult.feedback``) written when ``feedback_dir`` is given.

``earlier_result(store, submission, feedback_dir)``: what a submission's last check gave, without a new check.

``accept(submission_id, *, store) -> SubmissionInfo`` / ``accept_many(ids, *, store) -> list[SubmissionInfo]``
    A submission that passed becomes its unit's current return (已采用), from the figures read at receipt; many
    (a chunk of units) in one transaction with bulk writes, all or nothing.

``accept_by_hand(submission_id, *, unit, reason, actor, store, registry)``
    The admin counts an unsigned or foreign file as one unit's return; recorded in the audit trail (who, why),
    then validated and accepted like any other.

``receive_inbox(year, inbox, *, store)``: one poll of the inbox (new or changed files only).
``take_in(paths, *, store, registry, channel)``: receive → check → accept for files handed in at once (CLI).
``acceptance_blockers(findings)``: the one rule of what blocks acceptance.
"""

from disclosure.intake.accept import accept, accept_by_hand, accept_checked, accept_many, take_in
from disclosure.intake.check import (
    MANUAL_ACCEPTANCE,
    CheckResult,
    acceptance_blockers,
    check,
    check_many,
    earlier_result,
)
from disclosure.intake.identity import IDENTITY_RULE, NOT_OUR_TEMPLATE, identity_findings
from disclosure.intake.inbox import InboxReceipt, receive_inbox
from disclosure.intake.reading import Reading, read_file
from disclosure.intake.receive import guess_identity, receive

__all__ = [
    "IDENTITY_RULE",
    "MANUAL_ACCEPTANCE",
    "NOT_OUR_TEMPLATE",
    "CheckResult",
    "InboxReceipt",
    "Reading",
    "accept",
    "accept_by_hand",
    "accept_checked",
    "accept_many",
    "acceptance_blockers",
    "check",
    "check_many",
    "earlier_result",
    "guess_identity",
    "identity_findings",
    "read_file",
    "receive",
    "receive_inbox",
    "take_in",
]
