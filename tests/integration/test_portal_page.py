"""A unit's page in a real browser, against a real ``disclosure portal``: U05 opens its link, uploads the
faulty sample return, sees the findings with their cells, downloads the feedback workbook, uploads the
corrected return and sees 已通过. Headless Debian Chromium, driven by playwright's client. Then the yearly DAG
(``dag.test()``, same data folder and store, the other units' returns in the inbox) accepts U05 from that very
submission: nothing is copied between the portal and Airflow.

Screenshots go to the test's folder; with ``DISCLOSURE_UPDATE_SCREENSHOTS=1`` they are also copied to
``docs/portal-failed.png`` and ``docs/portal-passed.png`` (the ones the README shows).
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook

from tests.integration.airflow_env import airflow_env, dag_test, migrate, tis_by_unit
from tests.integration.airflow_server import REPO
from tests.integration.portal_server import PortalServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
YEAR = 2020
UNIT = "U05"
DEADLINE = f"{date.today().year + 1}-01-15"
#: where the sample's fault puts U05's error (``disclosure sample --faulty`` prints it)
FAULT_SHEET, FAULT_CELL = "二、主动公开政府信息情况", "B4"


def sample(portal: PortalServer, out: Path, *, faulty: bool) -> Path:
    """U05's sample return, written with the portal's settings (its key signs the templates)."""
    args = ["sample", "--year", str(YEAR), "--out", str(out)]
    printed = portal.disclosure(*([*args, "--faulty"] if faulty else args))
    [line] = [line for line in printed.splitlines() if f"_{UNIT}_" in line]
    if faulty:
        assert f"{FAULT_SHEET}!{FAULT_CELL}" in line, line
    return Path(line.split("\t")[0])


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)")
    with PortalServer.start(
        tmp_path_factory.mktemp("portal"), {"DISCLOSURE_PORTAL_GRACE_DAYS": "7"}
    ) as running:
        yield running


def test_unit_uploads_faulty_then_corrected_return(portal: PortalServer, tmp_path: Path):
    from playwright.sync_api import sync_playwright

    faulty = sample(portal, tmp_path / "faulty", faulty=True)
    corrected = sample(portal, tmp_path / "corrected", faulty=False)
    link = portal.link(UNIT, YEAR, DEADLINE)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        page = browser.new_page(
            viewport={"width": 1100, "height": 900}, locale="zh-CN", accept_downloads=True
        )
        try:
            page.goto(link)
            assert f"{UNIT} 宁夏回族自治区水文环境地质调查院" in page.inner_text("table.facts")
            assert "尚未报送" in page.inner_text("body")

            # The faulty return: rejected, its finding located at its sheet and cell.
            page.set_input_files("#file", str(faulty))
            page.click("button[type=submit]")
            page.wait_for_selector("#state")
            assert page.get_attribute("#state", "data-state") == "rejected"
            assert "校验未通过" in page.inner_text("#state")
            cells = page.locator("#findings tbody tr").evaluate_all("rows => rows.map(r => r.dataset.cell)")
            assert f"{FAULT_SHEET}!{FAULT_CELL}" in cells
            row = page.locator(f"#findings tbody tr[data-cell='{FAULT_SHEET}!{FAULT_CELL}']").first
            assert f"{FAULT_SHEET} {FAULT_CELL}" in row.inner_text()
            page.screenshot(path=str(shots / "portal-failed.png"), full_page=True)

            # Its feedback workbook: the unit's own file with the finding marked on its cell.
            with page.expect_download() as download:
                page.click("#feedback")
            feedback = tmp_path / "feedback.xlsx"
            download.value.save_as(feedback)
            marked = load_workbook(feedback)
            assert marked.sheetnames[0] == "校验结果"
            assert marked[FAULT_SHEET][FAULT_CELL].comment is not None

            # The corrected return: 已通过, listed above the rejected one.
            page.set_input_files("#file", str(corrected))
            page.click("button[type=submit]")
            page.wait_for_selector("#state[data-state='accepted'], #state[data-state='passed']")
            assert "已通过" in page.inner_text("#state")
            assert page.locator("#sent tbody tr").count() == 2
            page.screenshot(path=str(shots / "portal-passed.png"), full_page=True)

            # Usable on a phone: nothing wider than the screen but the findings table's own scroll box.
            page.set_viewport_size({"width": 375, "height": 800})
            page.reload()
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, width
            page.screenshot(path=str(shots / "portal-phone.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(shots / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()

    if os.environ.get("DISCLOSURE_UPDATE_SCREENSHOTS") == "1":
        for name in ("portal-failed.png", "portal-passed.png"):
            shutil.copy(shots / name, REPO / "docs" / name)

    # The yearly DAG accepts U05 from the portal's submission (the other units' returns are in the inbox).
    from disclosure.store import Store

    store = Store.from_url(
        f"sqlite:///{portal.data_dir / 'store.sqlite'}", archive_dir=portal.data_dir / "archive"
    )
    passed = store.latest_submission(YEAR, UNIT)
    assert passed.status.value == "passed" and passed.channel == "portal" and passed.sender == UNIT
    inbox = portal.data_dir / "inbox" / str(YEAR)
    portal.disclosure("sample", "--year", str(YEAR), "--out", str(inbox))
    [u05_inbox] = inbox.glob(f"*_{UNIT}_*.xlsx")
    u05_inbox.unlink()  # U05 sent its return through the portal only
    env = airflow_env(portal.data_dir.parent, DISCLOSURE_SECRET_KEY=portal.env["DISCLOSURE_SECRET_KEY"])
    migrate(env)
    result = dag_test(env, {"year": YEAR, "approval": False, "deadline": DEADLINE})
    assert tis_by_unit(result, "unit.accept")[UNIT] == "success", result
    accepted = store.submission(passed.id)
    assert accepted.status.value == "accepted" and store.latest_submission(YEAR, UNIT).id == passed.id
    from disclosure.registry import load_registry
    from disclosure.status import unit_summaries

    [u05] = [u for u in unit_summaries(YEAR, store, load_registry()) if u.unit == UNIT]
    assert u05.current_submission_id == passed.id and u05.state == "已采用"
    store.dispose()
    page = httpx.get(link, timeout=30)
    assert 'data-state="accepted"' in page.text and "已采用" in page.text
