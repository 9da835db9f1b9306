"""The status page plugin's FastAPI app, in-process: Airflow's login is enforced on every route, the page and
the JSON show the store's view of the year, downloads stay inside their folders.

Airflow's REST API is not running here (``DISCLOSURE_AIRFLOW_API_URL`` points at a closed port): the page must
still show the store's side and say that Airflow could not be asked. The Airflow side (grid links, re-run)
is covered by the browser test in ``tests/integration/test_status_page.py``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

REPO = Path(__file__).resolve().parents[2]
# Airflow puts the plugins folder on sys.path when it loads plugins; do the same here.
if str(REPO / "plugins") not in sys.path:
    sys.path.insert(0, str(REPO / "plugins"))
# Airflow writes its config under AIRFLOW_HOME when first imported: keep it out of the user's home.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="airflow-home-status-"))

from fastapi.testclient import TestClient  # noqa: E402

from tests import status_sample as sample  # noqa: E402

pytestmark = pytest.mark.dags

USERS = "admin:admin,viewer:viewer"


@pytest.fixture(scope="module")
def tokens() -> Iterator[dict[str, str]]:
    """JWTs for an admin and a viewer, issued by the real SimpleAuthManager the API server uses."""
    patch = pytest.MonkeyPatch()
    patch.setenv(
        "AIRFLOW__CORE__AUTH_MANAGER",
        "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
    )
    patch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", USERS)
    patch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "False")
    patch.setenv("AIRFLOW__API_AUTH__JWT_SECRET", "status-plugin-test-secret-" + "x" * 64)
    patch.setenv(
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", str(Path(os.environ["AIRFLOW_HOME"]) / "pw.json")
    )
    from airflow import settings
    from airflow.api_fastapi.app import init_auth_manager, purge_cached_app
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from airflow.models.revoked_token import RevokedToken

    # Validating a token consults Airflow's list of revoked tokens (logouts): that one table is all this
    # test needs of the metadata database (the whole `airflow db migrate` takes far longer).
    RevokedToken.__table__.create(settings.engine, checkfirst=True)
    purge_cached_app()
    manager = init_auth_manager()
    yield {
        role: manager.generate_jwt(SimpleAuthManagerUser(username=role, role=role))
        for role in ("admin", "viewer")
    }
    purge_cached_app()
    patch.undo()


@pytest.fixture
def client(tokens, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The plugin's app over a data folder holding the sample year."""
    from disclosure.settings import Settings
    from disclosure.store import Store

    monkeypatch.setenv(
        "DISCLOSURE_AIRFLOW_API_URL", "http://127.0.0.1:9"
    )  # nothing listens: Airflow is "down"
    settings = Settings.from_env()
    store = Store.from_settings(settings)
    store.upgrade()
    sample.populate(store, settings, tmp_path)
    store.dispose()
    from disclosure_status import app as plugin_app

    plugin_app._store.cache_clear()
    with TestClient(plugin_app.app) as test_client:
        yield test_client
    plugin_app._store.cache_clear()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


ROUTES = [
    ("GET", "/status?year=2020"),
    ("GET", "/api/status?year=2020"),
    ("POST", "/api/units/U02/rerun?year=2020"),
    ("GET", f"/files/feedback/2020/{sample.FEEDBACK_NAME}"),
    ("GET", "/files/reports/2020/2020年度政府信息公开工作年度报告.html"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_without_a_token_every_route_is_401(client: TestClient, method: str, path: str):
    response = client.request(method, path, json={"dag_run_id": "x"})
    assert response.status_code == 401
    assert "3421.7" not in response.text and sample.R1_MESSAGE not in response.text


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_forged_token_is_403(client: TestClient, method: str, path: str):
    response = client.request(method, path, json={"dag_run_id": "x"}, headers=bearer("not.a.jwt"))
    assert response.status_code == 403


def test_a_browser_without_login_gets_a_chinese_page_with_the_login_link(client: TestClient):
    response = client.get("/status?year=2020", headers={"Accept": "text/html"})
    assert response.status_code == 401
    assert "请先登录" in response.text and "/auth/login" in response.text


def test_the_ui_cookie_is_accepted(client: TestClient, tokens):
    client.cookies.set("_token", tokens["viewer"])
    try:
        assert client.get("/api/status?year=2020").status_code == 200
    finally:
        client.cookies.clear()


def test_a_viewer_may_look_but_not_rerun(client: TestClient, tokens):
    headers = bearer(tokens["viewer"])
    assert client.get("/api/status?year=2020", headers=headers).status_code == 200
    response = client.post("/api/units/U02/rerun?year=2020", json={"dag_run_id": "x"}, headers=headers)
    assert response.status_code == 403
    page = client.get("/status?year=2020", headers=headers)
    assert 'class="rerun"' not in page.text


def test_a_rerun_must_be_json_so_a_cross_site_form_cannot_trigger_it(client: TestClient, tokens):
    response = client.post(
        "/api/units/U02/rerun?year=2020", data={"dag_run_id": "x"}, headers=bearer(tokens["admin"])
    )
    assert response.status_code == 422


def test_json_shape(client: TestClient, tokens):
    data = client.get("/api/status?year=2020", headers=bearer(tokens["admin"])).json()
    assert set(data) >= {
        "year",
        "generated_at",
        "units",
        "headline",
        "counts",
        "draft_label",
        "problems",
        "totals",
        "reports",
        "airflow",
        "airflow_error",
    }
    assert data["year"] == sample.YEAR
    assert len(data["units"]) == 12
    states = {row["unit"]: row["state"] for row in data["units"]}
    assert states == {code: sample.EXPECTED_STATES.get(code, "未报送") for code in states}
    row = next(r for r in data["units"] if r["unit"] == "U02")
    assert set(row) >= {"unit", "name", "state", "detail", "state_text", "in_totals", "received_at", "file",
                        "errors", "warnings", "findings", "feedback_file", "last_activity", "on_time",
                        "task"}  # fmt: skip
    assert row["state_text"] == "校验未通过（无可用数据）"
    assert row["findings"][0]["message"] == sample.R1_MESSAGE
    assert data["headline"] == "1/12 已采用"
    assert data["is_draft"] is True
    assert data["reports"][0]["name"].endswith(".docx")
    # Airflow could not be asked: the store's side is still complete, and the reason is given
    assert data["airflow"] is None and data["airflow_error"]


def test_page_shows_each_unit_with_its_state_findings_and_links(client: TestClient, tokens):
    html = client.get("/status?year=2020", headers=bearer(tokens["admin"])).text
    assert "2020 年度政府信息公开工作年度报告 · 年报填报进度" in html
    assert "1/12 已采用" in html
    assert "本页时间均为北京时间" in html and "（北京时间）" in html
    assert "window.confirm" not in html and "alert(" not in html  # blocked in Airflow's frame
    for code, state in sample.EXPECTED_STATES.items():
        assert f'data-unit="{code}" data-state="{state}"' in html
    assert sample.R1_MESSAGE in html
    assert f'href="files/feedback/2020/{quote(sample.FEEDBACK_NAME)}"' in html
    assert "3421.7" in html  # the totals so far
    assert "无法读取 Airflow 运行记录" in html


def test_downloads_serve_the_file_and_nothing_outside_the_folder(client: TestClient, tokens, data_dir: Path):
    headers = bearer(tokens["viewer"])
    ok = client.get(f"/files/feedback/2020/{sample.FEEDBACK_NAME}", headers=headers)
    assert ok.status_code == 200 and ok.content == b"feedback workbook"
    (data_dir / "secret.txt").write_text("secret")
    for name in ("..%2F..%2Fsecret.txt", "..%2Fsecret.txt", "%2E%2E", "missing.xlsx"):
        response = client.get(f"/files/feedback/2020/{name}", headers=headers)
        assert response.status_code == 404, name
        assert "secret" not in response.text


@pytest.mark.slow
def test_page_cli_email_and_final_check_agree_on_the_faulty_sample_and_after_a_rerun(
    tokens, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """One store, four readers: the page's API, ``disclosure status --json``, the admin's email and the run's
    final check tell the same story of the year, before and after a unit's corrected return is accepted."""
    import json
    from datetime import UTC, datetime

    from click.testing import CliRunner

    from disclosure import pipeline
    from disclosure.cli import main

    monkeypatch.setenv("DISCLOSURE_AIRFLOW_API_URL", "http://127.0.0.1:9")
    inbox, fixed = tmp_path / "inbox", tmp_path / "fixed"
    cli = CliRunner()
    sample_args = ["sample", "--year", "2020", "--faulty-units", "U01,U05"]
    assert cli.invoke(main, [*sample_args, "--out", str(inbox)]).exit_code == 0
    assert cli.invoke(main, ["sample", "--year", "2020", "--out", str(fixed)]).exit_code == 0
    returns = {p.name.split("_")[1]: p for p in inbox.glob("*.xlsx")}
    returns.pop("U12").unlink()  # U12 sends nothing
    accepted = cli.invoke(main, ["accept", *map(str, returns.values()), "--no-docs", "--json"])
    assert accepted.exit_code == 1, accepted.output  # two returns have findings

    from disclosure_status import app as plugin_app

    def readers() -> dict[str, dict[str, str]]:
        """Each reader's {unit: state as worded} plus its headline/verdict."""
        plugin_app._store.cache_clear()
        with TestClient(plugin_app.app) as client:
            page = client.get("/api/status?year=2020", headers=bearer(tokens["viewer"])).json()
        cli_json = json.loads(cli.invoke(main, ["status", "--year", "2020", "--json"]).output)
        # the DAG's notify_admin and check_complete, as the run calls them
        plan = pipeline.prepare(
            year=2020, units=None, format_version=None, deadline=None, run_after=datetime.now(UTC)
        )
        subject, body = pipeline.status_message(plan)
        email = dict(
            line.strip().split("：", 1) for line in body.splitlines() if line.startswith("  U")
        )  # «  U01 地质调查院：校验未通过（无可用数据），错误 3 处»
        verdict = pipeline.completeness(plan)
        problems = dict(p.split("：", 1) for p in verdict.split("；") if p.startswith("U"))
        out = {}
        for name, data in (("page", page), ("cli", cli_json)):
            out[name] = {u["display"]: u["state_text"] for u in data["units"]}
            out[name + " verdict"] = {"headline": data["headline"], "draft": data["draft_label"]}
            out[name + " problems"] = dict(p.split("：", 1) for p in data["problems"] if p.startswith("U"))
        out["email"] = {unit: text.split("，")[0] for unit, text in email.items()}
        out["email verdict"] = {"headline": subject.rsplit("，", 1)[1], "draft": page["draft_label"]}
        assert page["draft_label"] in body if page["draft_label"] else "报告为正式稿" in body
        out["final check"] = problems
        return out

    before = readers()
    assert before["page"] == before["cli"] == before["email"]
    assert before["page verdict"] == before["cli verdict"] == before["email verdict"]
    pending = {unit: state for unit, state in before["page"].items() if state != "已采用"}
    assert before["final check"] == before["page problems"] == before["cli problems"] == pending
    assert pending == {
        "U01 地质调查院": "校验未通过（无可用数据）",
        "U05 水文环境地质调查院": "校验未通过（无可用数据）",
        "U12 综合服务中心": "未报送",
    }
    assert before["page verdict"]["headline"] == "9/12 已采用"

    # The unit sends its corrected return and it is accepted (what the re-run does).
    corrected = next(fixed.glob("*_U05_*.xlsx"))
    assert cli.invoke(main, ["accept", str(corrected), "--no-docs"]).exit_code == 0
    after = readers()
    assert after["page"] == after["cli"] == after["email"]
    assert after["page verdict"] == after["cli verdict"] == after["email verdict"]
    assert after["final check"] == after["page problems"] == after["cli problems"]
    assert after["page"]["U05 水文环境地质调查院"] == "已采用"
    assert "U05 水文环境地质调查院" not in after["final check"]
    assert after["page verdict"]["headline"] == "10/12 已采用"
    plugin_app._store.cache_clear()


@pytest.mark.parametrize(
    ("paused", "running", "expected"),
    [
        (True, [], "该 DAG 已暂停"),
        (
            False,
            ["scheduled__2026-01-05T01:00:00+00:00"],
            "正在等待运行 scheduled__2026-01-05T01:00:00+00:00 结束",
        ),
        (False, [], "等待调度器开始运行"),
    ],
)
def test_a_queued_run_says_why_it_waits(paused: bool, running: list[str], expected: str):
    """Airflow's answers as its REST API gives them: the DAG switched off, another run holding
    ``max_active_runs=1``, or nothing in the way."""
    import asyncio

    import httpx
    from disclosure_status.airflow_api import AirflowApi

    mine = "manual__2026-12-01T08:00:00+00:00"

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/dags/annual_disclosure_report"):
            return httpx.Response(200, json={"is_paused": paused, "max_active_runs": 1})
        assert request.url.params["state"] == "running"
        runs = [{"dag_run_id": r} for r in [*running, mine] if r != mine or not running]
        return httpx.Response(200, json={"dag_runs": runs, "total_entries": len(runs)})

    async def ask() -> str:
        api = AirflowApi(
            "http://airflow", "token", "annual_disclosure_report", transport=httpx.MockTransport(answer)
        )
        async with api:
            return await api.why_queued(mine)

    assert expected in asyncio.run(ask())


def _batches(units: list[str], *, threshold: int, size: int) -> list[dict]:
    from disclosure.workflow.batches import BatchUnit, make_batches

    members = [BatchUnit(code, f"{code} 单位", None) for code in units]
    return [b.to_dict() for b in make_batches(members, threshold=threshold, size=size)]


@pytest.mark.parametrize("as_text", [False, True])
@pytest.mark.parametrize("size", [1, 5])
def test_each_unit_is_found_in_its_batch_per_unit_or_chunked(size: int, as_text: bool):
    """Per unit (batches of one) and chunked alike, a unit's tasks are those at its batch's map index in
    distribute's list, whatever the grid labels say; the clear sent for a unit names that batch's entry task."""
    import asyncio
    import json

    import httpx
    from disclosure_status.airflow_api import AirflowApi

    units = [f"U{i:02d}" for i in range(1, 13)]
    batches = _batches(units, threshold=100 if size == 1 else 4, size=size)
    states = {0: "success", 1: "failed"}  # the second batch's validate failed
    tis = [
        {
            "task_id": task_id,
            "map_index": index,
            "rendered_map_index": batch["label"],
            "state": "failed" if task_id == "unit.validate" and states.get(index) == "failed" else "success",
            "end_date": "2026-01-05T02:00:00+00:00",
        }
        for index, batch in enumerate(batches)
        for task_id in ("unit.wait_for_return", "unit.validate", "unit.accept")
    ] + [{"task_id": "consolidate", "map_index": -1, "state": "success"}]
    cleared: list[dict] = []

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/taskInstances/distribute/xcomEntries/return_value"):
            value = json.dumps(batches) if as_text else batches
            return httpx.Response(200, json={"key": "return_value", "value": value})
        if path.endswith("/taskInstances"):
            return httpx.Response(200, json={"task_instances": tis, "total_entries": len(tis)})
        assert path.endswith("/clearTaskInstances")
        cleared.append(json.loads(request.content))
        return httpx.Response(200, json={"task_instances": []})

    async def ask():
        api = AirflowApi(
            "http://airflow", "token", "annual_disclosure_report", transport=httpx.MockTransport(answer)
        )
        async with api:
            found = await api.unit_tasks("run")
            await api.clear_unit("run", found["U07"])
            return found

    found = asyncio.run(ask())
    assert set(found) == set(units)
    u07 = found["U07"]
    index = 6 if size == 1 else 1
    assert (u07.task_id, u07.map_index, u07.label) == ("unit.wait_for_return", index, batches[index]["label"])
    assert cleared[0]["task_ids"] == [["unit.wait_for_return", index]]
    if size == 1:
        assert u07.label == "U07 单位" and found["U06"].map_index == 5
        assert (found["U02"].focus_task_id, found["U02"].focus_state) == ("unit.validate", "failed")
    else:
        assert u07.label == "U06–U10（5 个单位）"
        assert {code for code, t in found.items() if t.focus_state == "failed"} == set(units[5:10])
        assert found["U11"].map_index == 2 and found["U01"].focus_state == "success"


@pytest.mark.slow
def test_page_lists_the_justified_outlier_of_an_accepted_return(
    tokens, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The sample's U01 explains its 2020 采购总金额 jump (O2) on the cover: once 2019 is in the store its
    accepted return's warning is listed under 已说明的提示, with the history and the unit's explanation."""
    from click.testing import CliRunner

    from disclosure.cli import main
    from disclosure.workbook.sample import JUSTIFICATION

    monkeypatch.setenv("DISCLOSURE_AIRFLOW_API_URL", "http://127.0.0.1:9")
    cli = CliRunner()
    for year in (2019, 2020):
        out = tmp_path / str(year)
        assert cli.invoke(main, ["sample", "--year", str(year), "--out", str(out)]).exit_code == 0
        files = sorted(str(p) for p in out.glob("*.xlsx"))
        accepted = cli.invoke(main, ["accept", *files[:2], "--no-docs"])  # U01 and U02
        assert accepted.exit_code == 0, accepted.output

    from disclosure_status import app as plugin_app

    plugin_app._store.cache_clear()
    with TestClient(plugin_app.app) as client:
        html = client.get("/status?year=2020", headers=bearer(tokens["viewer"])).text
        data = client.get("/api/status?year=2020", headers=bearer(tokens["viewer"])).json()
    plugin_app._store.cache_clear()
    notes = html.split('<ul id="notes">', 1)[1].split("</ul>", 1)[0]
    assert notes.count("<li") == 1 and 'data-unit="U01"' in notes
    assert "U01 地质调查院 · O2 · 二、主动公开政府信息情况!C23：" in notes
    assert "上年为 5.12，今年为 1023.45，相差 100 倍以上" in notes and JUSTIFICATION in notes
    assert [n["unit"] for n in data["notes"]] == ["U01"]
    assert "无事项声明（各表按 0 计）" in html.split('id="unit-U02"', 1)[1].split("</tr>", 1)[0]
    text = cli.invoke(main, ["status", "--year", "2020"]).output  # the CLI lists the same notes
    assert "已说明的提示" in text and f"U01 地质调查院 O2：{data['notes'][0]['message']}" in text
