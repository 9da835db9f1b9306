"""A small, explicit year in the store for the status view's tests, written through the store's own API:

- U01 已采用 (two figures accepted), U02 校验未通过 (one error, one warning; a feedback workbook),
  U03 已提交 (not validated yet), U04 已通过 (late: received after the deadline), the rest 未报送;
- one draft consolidation with two totals, and two rendered report files.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from disclosure.figures import Figure
from disclosure.formats.model import Cell
from disclosure.settings import Settings
from disclosure.store import Store

YEAR = 2020
ON_TIME = datetime(2021, 1, 10, 2, 0, tzinfo=UTC)  # 10:00 Beijing time, before 15 January 18:00
LATE = datetime(2021, 1, 20, 2, 0, tzinfo=UTC)
R1_MESSAGE = (
    "三、收到和处理政府信息公开申请情况：第一项加第二项之和（12）不等于第三项加第四项之和（11），请核对"
)
FEEDBACK_NAME = "U02-2020年报-校验结果.xlsx"  # what validation writes for «U02-2020年报.xlsx»
TOTALS = {
    Cell("t2_1", "rules", "made"): 3,
    Cell("t2_9", "central_procurement", "purchase_amount"): Decimal("3421.7"),
}

EXPECTED_STATES = {"U01": "已采用", "U02": "校验未通过", "U03": "已提交", "U04": "已通过"}


def populate(store: Store, settings: Settings, tmp: Path) -> None:
    def receive(unit: str, when: datetime) -> int:
        path = tmp / f"{unit}-{YEAR}年报.xlsx"
        path.write_bytes(f"return of {unit}".encode())
        return store.archive_file(path, year=YEAR, unit=unit, format_version="gov-2019", received_at=when).id

    accepted = receive("U01", ON_TIME)
    store.record_validation(accepted, [])
    store.accept(
        accepted,
        [
            Figure(YEAR, "U01", "t2_1", "rules", "made", 3, sheet="二、主动公开政府信息情况", cell="B4"),
            Figure(YEAR, "U01", "t2_9", "central_procurement", "purchase_amount", Decimal("3421.7")),
        ],
    )
    rejected = receive("U02", ON_TIME)
    store.record_validation(
        rejected,
        [
            {"rule": "R1", "severity": "error", "sheet": "三、收到和处理政府信息公开申请情况", "cell": "D12",
             "message": R1_MESSAGE},
            {"rule": "X1", "severity": "warning", "sheet": "二、主动公开政府信息情况", "cell": "D4",
             "message": "对外公开总数量与上年相比变化较大，请在封面填写差异说明"},
        ],
    )  # fmt: skip
    feedback = settings.feedback(YEAR)
    feedback.mkdir(parents=True)
    (feedback / FEEDBACK_NAME).write_bytes(b"feedback workbook")
    (feedback / "U01-2020年报-校验结果.xlsx").write_bytes(b"old")  # U01 was accepted since: not offered
    receive("U03", ON_TIME)
    passed = receive("U04", LATE)
    store.record_validation(passed, [])

    store.save_totals(
        year=YEAR,
        format_version="gov-2019",
        values=TOTALS,
        in_force_consolidation="sum",
        is_draft=True,
        draft_label="草稿（未完成：未报送 U05 水文环境地质调查院）",
        contributing_units=["U01"],
        missing_units=["U05", "U06"],
        invalid_units=["U02"],
    )
    reports = settings.reports(YEAR)
    reports.mkdir(parents=True)
    (reports / "2020年度政府信息公开工作年度报告.docx").write_bytes(b"docx")
    (reports / "2020年度政府信息公开工作年度报告.html").write_text("<html></html>")
