"""Whose return a file is: the one place that decides whether a file may count as the return of the unit and
year it claims.

A file counts only when its template identity carries a signature, made with one of the bureau's keys, for
exactly the unit, year, format and template revision it claims, the unit is in the registry, and whoever is
known to have sent it (an authenticated channel's sender, the DAG task's unit) agrees. Anything else is 已拒收:
recorded, never validated, never accepted, and nothing of the claimed unit changes. The admin may still accept
such a file by hand for one unit (``intake.accept_by_hand``), recorded with who and why.
"""

from __future__ import annotations

from collections.abc import Sequence

from disclosure.figures import ReturnMeta
from disclosure.formats import Severity
from disclosure.registry import Registry
from disclosure.validation.findings import Finding
from disclosure.workbook.identity import IDENTITY_SHEET, TEMPLATE_REVISION, UNSIGNED_REVISIONS
from disclosure.workbook.signature import verify_signature

#: Every refusal of a file as another unit's (or nobody's) template starts with these words.
NOT_OUR_TEMPLATE = "此文件不是发给本单位的报表模板"
#: Rule id of refusals: the file is not a valid return of the unit it claims.
IDENTITY_RULE = "IDENTITY"


def identity_findings(
    meta: ReturnMeta,
    *,
    registry: Registry,
    keys: Sequence[str],
    file: str | None = None,
    expected_unit: str | None = None,
    sender: str | None = None,
    expected_year: int | None = None,
) -> tuple[list[Finding], bool]:
    """Why the file may not count as ``meta.unit_code``'s return (empty: it may), and whether its signature
    verified for the identity it claims. ``expected_year``: the report year the channel collects (the portal's
    link is for one year)."""
    out: list[Finding] = []
    claimed = meta.unit_code

    def refuse(message: str) -> None:
        out.append(
            Finding(
                rule=IDENTITY_RULE,
                severity=Severity.ERROR,
                message=message,
                unit=claimed,
                file=file,
                sheet=IDENTITY_SHEET,
            )
        )

    verified = False
    if not meta.signature:
        if meta.template_revision in UNSIGNED_REVISIONS or meta.template_revision < TEMPLATE_REVISION:
            refuse(
                f"此文件由旧版模板（模板版本“{meta.template_revision or '未知'}”）生成，没有本局的模板签名，"
                f"无法确认是发给单位“{claimed}”的报表模板。请下载本年度下发的最新模板（模板版本"
                f"“{TEMPLATE_REVISION}”）重新填报，可将数字复制到新模板的相同位置；如确需采用此文件，"
                "请联系局办公室人工采用。"
            )
        else:
            refuse(
                f"{NOT_OUR_TEMPLATE}（模板签名缺失，文件声称属于单位“{claimed}”）。"
                "请使用局办公室下发给本单位的模板填报，不要复制或修改模板中的隐藏标识。"
            )
    else:
        signed = verify_signature(meta.signature, keys)
        if signed is None:
            refuse(
                f"{NOT_OUR_TEMPLATE}（模板签名无法验证，文件声称属于单位“{claimed}”）。"
                "请使用局办公室下发给本单位的模板填报。"
            )
        elif (signed.unit_code, signed.year, signed.format_version, signed.template_revision) != (
            claimed,
            str(meta.year),
            meta.format_version,
            meta.template_revision,
        ):
            refuse(
                f"{NOT_OUR_TEMPLATE}：模板签名属于单位“{signed.unit_code}”的 {signed.year} 年度模板，"
                f"而文件声称属于单位“{claimed}”的 {meta.year} 年度。"
                "请使用局办公室下发给本单位的本年度模板填报。"
            )
        else:
            verified = True
    if claimed not in registry.reporting_codes():
        refuse(f"封面上的单位代码“{claimed}”不在本年度报送单位名册中，请使用本单位的填报模板。")
    if expected_unit is not None and claimed != expected_unit:
        refuse(f"{NOT_OUR_TEMPLATE}：此文件属于单位“{claimed}”，不是“{expected_unit}”。")
    if sender is not None and claimed != sender:
        refuse(f"{NOT_OUR_TEMPLATE}：此文件属于单位“{claimed}”，而报送单位为“{sender}”。")
    if expected_year is not None and meta.year != expected_year:
        refuse(
            f"此文件是 {meta.year} 年度的报表，这里报送的是 {expected_year} 年度：请使用本年度下发的模板填报。"
        )
    return out, verified
