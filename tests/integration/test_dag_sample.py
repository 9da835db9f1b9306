"""The yearly DAG end to end with ``dag.test()`` on the project's own sample returns (SQLite, no servers).

- the 2020 sample, its 2019 returns taken in first through the intake (``scripts/sample-history.sh``, as
  ``make run`` does): the run succeeds, every unit is accepted — U01 with its justified outlier (O2), listed in
  the year's status summary, U02 with its declared empty return — the report's tables equal the seed report's,
  the files are published (approval off);
- the faulty sample (U03, U07 with one error each, U11 sends nothing) with a local SMTP server: exactly the
  faulty units' validate tasks fail (once: data errors are not retried), U11 is skipped, the others succeed,
  the report is a draft listing the missing units, the run ends failed, and the admin's Chinese emails list
  the missing unit and the failures.
"""

from __future__ import annotations

import json
import os
import subprocess
from decimal import Decimal
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from tests.integration.airflow_env import REPO_ROOT, airflow_env, dag_test, free_port, migrate, tis_by_unit
from tests.seed_2020 import seed_figures

pytestmark = [pytest.mark.integration, pytest.mark.slow]

UNIT_TASKS = ("unit.wait_for_return", "unit.validate", "unit.accept")


def _write_sample(data: Path, year: int, faulty=False) -> Path:
    from disclosure.registry import load_registry
    from disclosure.workbook.sample import write_sample

    inbox = data / "inbox" / str(year)
    write_sample(year, inbox, load_registry(), faulty=faulty)
    return inbox


def _cli_env(env: dict[str, str]) -> dict[str, str]:
    """The run's environment for the ``disclosure`` CLI: the bureau's key as the DAG's glue passes it on."""
    return {**env, "DISCLOSURE_SECRET_KEY": os.environ["DISCLOSURE_SECRET_KEY"]}


def _take_in_history(env: dict[str, str], year: int) -> None:
    """The units' earlier years through the intake, as ``make run`` takes them in before the DAG run."""
    script = REPO_ROOT / "scripts" / "sample-history.sh"
    subprocess.run([str(script), str(year)], env=_cli_env(env), check=True, capture_output=True, timeout=900)


def _report_figures(path: Path) -> dict[tuple[str, str, str], int | Decimal]:
    records = json.loads(path.read_text(encoding="utf-8"))["figures"]
    return {(r["table_id"], r["row_id"], r["column_id"]): Decimal(str(r["value"])) for r in records}


def test_sample_2020_runs_green_and_the_report_equals_the_seed(tmp_path):
    env = airflow_env(tmp_path)
    migrate(env)
    data = Path(env["DISCLOSURE_DATA_DIR"])
    _take_in_history(env, 2020)
    _write_sample(data, 2020)

    result = dag_test(env, {"year": 2020, "approval": False})

    assert result["state"] == "success"
    for task_id in UNIT_TASKS:
        assert set(tis_by_unit(result, task_id).values()) == {"success"}, task_id
    labels = {ti["label"] for ti in result["tis"] if ti["task_id"] == "unit.accept"}
    assert "U05 水文环境地质调查院" in labels
    report = data / "reports" / "2020" / "2020-totals.json"
    assert json.loads(report.read_text(encoding="utf-8"))["draft"] is False
    seed = {key: Decimal(str(value)) for key, value in seed_figures().items()}
    assert _report_figures(report) == seed
    published = {p.name for p in (data / "publish" / "2020").iterdir()}
    assert {"2020-report.docx", "2020-report.html", "2020-totals.csv"} <= published
    # the status summary (the page's, the CLI's): U01's justified outlier is a note, U02 declared nothing
    status = subprocess.run(
        ["disclosure", "status", "--year", "2020", "--json"],
        env=_cli_env(env),
        capture_output=True,
        text=True,
        check=True,
    )
    summary = json.loads(status.stdout)
    assert [(n["unit"], n["rule"]) for n in summary["notes"]] == [("U01", "O2")]
    assert "单位已在封面“差异说明”中说明" in summary["notes"][0]["message"]
    declared = {u["unit"] for u in summary["units"] if u["nothing_to_report"]}
    assert declared == {"U02"}


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self) -> None:
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler.messages
    controller.stop()


def _text(message) -> str:
    part = message.get_body(preferencelist=("html", "plain"))
    return part.get_content() if part is not None else ""


def test_faulty_sample_fails_exactly_the_faulty_units_and_mails_the_admin(tmp_path, smtp_server):
    controller, mails = smtp_server
    smtp = {
        "conn_type": "smtp",
        "host": "127.0.0.1",
        "port": controller.port,
        "extra": {"disable_tls": True, "disable_ssl": True, "from_email": "office@example.gov.cn"},
    }
    env = airflow_env(tmp_path, AIRFLOW_CONN_SMTP_DEFAULT=json.dumps(smtp))
    migrate(env)
    data = Path(env["DISCLOSURE_DATA_DIR"])
    inbox = _write_sample(data, 2020, faulty=["U03", "U07"])
    next(inbox.glob("2020_U11_*.xlsx")).unlink()  # U11 sends nothing

    result = dag_test(env, {"year": 2020, "approval": False})

    assert result["state"] == "failed"
    validate = tis_by_unit(result, "unit.validate")
    assert {u for u, s in validate.items() if s == "failed"} == {"U03", "U07"}
    assert tis_by_unit(result, "unit.wait_for_return")["U11"] == "skipped"
    accepted = tis_by_unit(result, "unit.accept")
    assert {u for u, s in accepted.items() if s == "success"} == set(result["units"]) - {"U03", "U07", "U11"}
    failed = {(ti["task_id"], ti["label"]) for ti in result["tis"] if ti["state"] == "failed"}
    assert failed == {
        ("unit.validate", "U03 矿产地质调查院"),
        ("unit.validate", "U07 地质灾害防治中心"),
        ("check_complete", None),
    }
    tries = {ti["label"]: ti["try_number"] for ti in result["tis"] if ti["task_id"] == "unit.validate"}
    assert tries["U03 矿产地质调查院"] == 1  # a data error is not retried

    report = json.loads((data / "reports" / "2020" / "2020-totals.json").read_text(encoding="utf-8"))
    assert report["draft"] is True
    # the draft label says who is missing and why, in the status summary's words
    assert "校验未通过（无可用数据） U03 矿产地质调查院、U07 地质灾害防治中心" in report["draft_label"]
    assert "未报送 U11 地质资料馆" in report["draft_label"]
    assert not (data / "publish" / "2020").exists()  # a draft is never published
    assert sorted(
        p.name for p in (data / "feedback" / "2020").glob("*.xlsx")
    )  # the units' feedback workbooks

    subjects = [m["subject"] for m in mails]
    reminder = next(m for m in mails if "催报提醒" in m["subject"])
    assert "尚有 1 个单位未报送" in reminder["subject"]
    assert "U11 地质资料馆" in _text(reminder)
    assert "U03" not in _text(reminder)
    assert all(m["to"] == "admin@example.gov.cn" for m in mails if "失败" in m["subject"])
    failures = [m for m in mails if m["subject"].startswith("【失败】")]
    assert {m["subject"] for m in failures} >= {
        "【失败】政府信息公开年度报告任务 unit.validate（U03 矿产地质调查院）",
        "【失败】政府信息公开年度报告任务 unit.validate（U07 地质灾害防治中心）",
    }
    assert any("草稿" in s for s in subjects)  # the status mail says the report is unfinished
    # a failed unit's mail carries its findings and the feedback workbook, not only the task's one-line failure
    assert all("反馈表" in _text(m) for m in failures if "unit.validate" in m["subject"])
    status = next(m for m in mails if m["subject"].startswith("2020年度政府信息公开工作年度报告："))
    assert "U11 地质资料馆：未报送" in _text(
        status
    ) and "U07 地质灾害防治中心：校验未通过（无可用数据）" in _text(status)
