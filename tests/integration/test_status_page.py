"""The status page «年报填报进度» in a real browser, against a real ``airflow standalone``.

The yearly DAG runs on a sample in which four units' returns carry faults. The admin logs in through
Airflow's login form and opens the page as they would: from the UI's navigation, so the page runs inside the
UI's sandboxed frame (which blocks ``confirm()``/``alert()`` and top-level navigation). There they see each
unit's row and state, fix one unit's file, re-run that unit with the page's button and in-page confirmation,
and see it turn 已采用 with the totals updated; a grid link in the frame opens the grid in the UI. Headless
Debian Chromium, driven by playwright's client, with the admin's Beijing time zone. Requests without a login
get 401/403 from the real server.

Screenshots go to the test's folder; with ``DISCLOSURE_UPDATE_SCREENSHOTS=1`` they are also copied to
``docs/status-page.png`` and ``docs/status-page-in-airflow.png`` (the ones the README shows).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from datetime import date
from pathlib import Path

import httpx
import pytest

from tests.integration.airflow_server import BIN, REPO, AirflowServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DAG_ID = "annual_disclosure_report"
YEAR = 2020
CHROMIUM = Path("/usr/bin/chromium")
#: faulty units of the sample and the state each must show after the first run
FAULTY = {"U01": "校验未通过", "U05": "校验未通过", "U09": "校验未通过", "U11": "校验未通过"}
FIXED_UNIT = "U05"
#: the run's returns deadline (a run parameter): still ahead, so the sample's returns are on time
DEADLINE = f"{date.today().year + 1}-01-15"
REFRESH_TIMEOUT = 420  # seconds for the re-run to reach 已采用 on 2 shared cores


def sample(out: Path, *faulty: str) -> dict[str, Path]:
    """Write the registry units' sample returns (``faulty`` units with their fault) with the project's own
    generator; returns {unit code: path}."""
    args = [str(BIN / "disclosure"), "sample", "--year", str(YEAR), "--out", str(out)]
    if faulty:
        args += ["--faulty-units", ",".join(faulty)]
    subprocess.run(args, check=True, capture_output=True)
    return {p.name.split("_")[1]: p for p in out.glob("*.xlsx")}


def row_states(frame) -> dict[str, str]:
    rows = frame.locator("#units tbody tr")
    return {
        rows.nth(i).get_attribute("data-unit"): rows.nth(i).get_attribute("data-state")
        for i in range(rows.count())
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> AirflowServer:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)")
    root = tmp_path_factory.mktemp("standalone")
    with AirflowServer.start(root) as running:
        yield running


def test_unauthenticated_requests_are_refused(server: AirflowServer):
    for path in ("/disclosure/status", "/disclosure/api/status", f"/disclosure/files/reports/{YEAR}/x.docx"):
        assert httpx.get(server.url + path, timeout=30).status_code == 401, path
        forged = httpx.get(server.url + path, cookies={"_token": "forged"}, timeout=30)
        assert forged.status_code == 403, path
    rerun = httpx.post(f"{server.url}/disclosure/api/units/U05/rerun?year={YEAR}", json={"dag_run_id": "x"})
    assert rerun.status_code == 401


def open_status_from_navigation(page, server: AirflowServer):
    """Click «年报填报进度» in Airflow's navigation and return the frame the UI shows the page in."""
    page.goto(f"{server.url}/")
    entry = page.locator("a[href$='plugin/disclosure-status']").first  # the nav entry the plugin registers
    entry.wait_for(timeout=60_000)
    assert "年报填报" in (
        entry.inner_text() + (entry.get_attribute("title") or "") + (entry.get_attribute("aria-label") or "")
    )
    entry.click()
    page.wait_for_url("**/plugin/disclosure-status", timeout=60_000)
    frame = page.frame_locator("iframe").first
    frame.locator("#units").wait_for(timeout=120_000)
    return frame


def test_status_page_shows_units_and_reruns_a_fixed_unit(server: AirflowServer, tmp_path: Path):
    from playwright.sync_api import sync_playwright

    inbox = server.data_dir / "inbox" / str(YEAR)
    inbox.mkdir(parents=True)
    returns = sample(inbox, *FAULTY)
    assert len(returns) == 12
    server.wait_for_dag(DAG_ID)
    run = server.api(
        "POST",
        f"/dags/{DAG_ID}/dagRuns",
        json={"logical_date": None, "conf": {"year": YEAR, "approval": False, "deadline": DEADLINE}},
    )
    run_id = run["dag_run_id"]
    server.wait_for_run(DAG_ID, run_id)

    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        page = browser.new_page(
            viewport={"width": 1600, "height": 1300}, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        try:
            # Log in through Airflow's own login form.
            page.goto(f"{server.url}/auth/login/")
            page.fill("input[name=username]", "admin")
            page.fill("input[name=password]", server.password)
            page.click("button[type=submit]")
            page.wait_for_url(
                lambda url: "/auth/login" not in url, timeout=60_000
            )  # logged in: left the form

            # As the admin does: from the UI's navigation, the page in the UI's frame.
            frame = open_status_from_navigation(page, server)
            page.screenshot(path=str(shots / "status-in-airflow-ui.png"), full_page=True)

            # Each unit's row and state: the faulty ones as expected, every other unit's return accepted.
            states = row_states(frame)
            assert len(states) == 12
            assert states == {code: FAULTY.get(code, "已采用") for code in states}
            u01 = frame.locator("#unit-U01")
            assert "无可用数据" in u01.inner_text()  # its first return failed: the totals hold nothing of it
            assert u01.locator("ul.findings li").count() >= 1
            assert "错误" in u01.inner_text()
            assert u01.locator("a", has_text="下载反馈表").count() == 1
            # the grid link points at the unit's failed task, at the unit's own map index
            task_link = frame.locator("#unit-U05 a[target=_top]").first
            assert "failed" in task_link.inner_text()
            href = task_link.get_attribute("href")
            assert f"/dags/{DAG_ID}/runs/" in href and "/tasks/unit." in href
            map_index = int(href.rsplit("/mapped/", 1)[1])
            ti = server.api(
                "GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/unit.wait_for_return/{map_index}"
            )
            assert ti["rendered_map_index"].startswith("U05 ")
            assert "8/12 已采用" in frame.locator("#summary-accepted").inner_text()
            assert "草稿" in frame.locator("#completeness").inner_text()
            assert "按时" in frame.locator("#unit-U02").inner_text()  # received before the run's deadline
            assert "（北京时间）" in frame.locator("#last-run").inner_text()
            assert frame.locator("#totals-t3").count() == 1
            assert frame.locator("#reports a").count() >= 1

            # The standalone page, for the README's screenshot.
            page.goto(f"{server.url}/disclosure/status?year={YEAR}")
            page.screenshot(path=str(shots / "status-page.png"), full_page=True)

            # The unit sends a corrected return; the admin re-runs just that unit from the page, in the frame.
            fixed = sample(tmp_path / "fixed")[FIXED_UNIT]
            time.sleep(1.1)  # the corrected file must be the unit's newest in the inbox
            shutil.copy(fixed, inbox / f"{fixed.stem}-更正.xlsx")
            frame = open_status_from_navigation(page, server)
            frame.locator(f"#unit-{FIXED_UNIT} button.rerun").click()
            confirm = frame.locator(f"#confirm-{FIXED_UNIT}")
            confirm.wait_for(state="visible", timeout=10_000)
            assert FIXED_UNIT in confirm.inner_text()
            confirm.locator("button.yes").click()
            frame.locator("#action-status.ok").wait_for(timeout=60_000)
            assert "已重新运行" in frame.locator("#action-status").inner_text()
            assert dialogs == []  # no pop-up was needed (the frame would have blocked it)
            page.screenshot(path=str(shots / "status-rerun-requested.png"), full_page=True)

            deadline = time.monotonic() + REFRESH_TIMEOUT
            while time.monotonic() < deadline:
                frame = open_status_from_navigation(page, server)
                if row_states(frame)[FIXED_UNIT] == "已采用":
                    break
                time.sleep(10)
            states = row_states(frame)
            assert states[FIXED_UNIT] == "已采用", server.log_tail()
            # only that unit was re-run: the others keep their states
            assert {c: s for c, s in states.items() if c != FIXED_UNIT} == {
                c: FAULTY.get(c, "已采用") for c in states if c != FIXED_UNIT
            }
            assert "9/12 已采用" in frame.locator("#summary-accepted").inner_text()
            # the cleared downstream consolidation ran again: the totals now include the unit
            assert server.wait_for_run(DAG_ID, run_id) in ("success", "failed")
            frame = open_status_from_navigation(page, server)
            assert FIXED_UNIT in frame.locator("#totals-contributing").inner_text()
            page.screenshot(path=str(shots / "status-after-rerun.png"), full_page=True)

            # A grid link inside the frame opens the grid in the UI (the frame may not navigate the top window).
            frame.locator("#unit-U01 a[data-airflow-link]").first.click()
            page.wait_for_url(f"**/dags/{DAG_ID}/runs/**", timeout=30_000)
            page.locator("iframe").first.wait_for(state="detached", timeout=30_000)
        except Exception:
            page.screenshot(path=str(shots / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()

    if os.environ.get("DISCLOSURE_UPDATE_SCREENSHOTS") == "1":
        shutil.copy(shots / "status-page.png", REPO / "docs" / "status-page.png")
        shutil.copy(shots / "status-after-rerun.png", REPO / "docs" / "status-page-in-airflow.png")
