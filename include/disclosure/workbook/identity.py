"""The contract between the template writer and the reader: sheet names, cover fields, embedded identity.

The identity (generator, format version, year, unit, template revision) is written twice: visibly on the locked
cover sheet, and in a very hidden sheet that units cannot see or edit in Excel/WPS. The reader trusts the hidden
copy to recognise an old or foreign template, and the cover for what the unit filled in. Since revision 2026.2
the hidden sheet (and the document properties) also hold the identity's signature with the bureau's key
(:mod:`disclosure.workbook.signature`): only that proves whose template a file is.
"""

from __future__ import annotations

#: Bump when the template layout changes in a way older readers or validators must know about.
TEMPLATE_REVISION = "2026.2"
#: Revisions written before templates were signed: recognised as old templates, never as forged ones.
UNSIGNED_REVISIONS = ("2026.1",)
GENERATOR = "disclosure"

#: The identity is also written as custom document properties named ``<prefix><key>``, so a workbook whose
#: hidden sheet was removed can still be recognised.
DOC_PROPERTY_PREFIX = "disclosure_"
#: Header of the live-check column/row next to each table: formulas, never figures.
CHECK_LABEL = "校验提示"

IDENTITY_SHEET = "_identity"  # sheet_state = "veryHidden"; column A keys, column B values
IDENTITY_KEYS = (
    "generator",
    "format_version",
    "year",
    "unit_code",
    "unit_name",
    "template_revision",
    "signature",
)

COVER_SHEET = "封面"
INSTRUCTIONS_SHEET = "填报说明"

#: field -> label printed in column A of the cover sheet; the value is in column B of the same row.
COVER_FIELDS: dict[str, str] = {
    "unit_code": "单位代码",
    "unit_name": "单位名称",
    "year": "报告年度",
    "format_version": "格式版本",
    "contact": "联系人",
    "phone": "联系电话",
    "nothing_to_report": "无事项声明",
    "justification": "差异说明",
}
#: cover fields the unit fills in (unlocked); the others are prefilled and locked.
COVER_INPUT_FIELDS = ("contact", "phone", "nothing_to_report", "justification")

#: The "nothing to report" declaration a unit ticks on the cover (a drop-down list of this one choice): its
#: tables then count as all 0 and may stay blank. Untouched, the cover field is blank and blanks stay blank (R6).
NOTHING_TO_REPORT = "本年度无依申请公开等事项，各表均为 0"
NOTHING_TO_REPORT_CHOICE = f"☑ {NOTHING_TO_REPORT}"
#: What else a person may type to tick it, and what means "not ticked" (compared as printed labels).
NOTHING_TO_REPORT_YES = (NOTHING_TO_REPORT_CHOICE, NOTHING_TO_REPORT, "是", "☑", "√", "✓", "✔")
NOTHING_TO_REPORT_NO = ("", "否", "☐", "不适用")
