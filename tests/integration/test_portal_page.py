"""A unit's page in a real browser, against a real ``disclosure portal``: U05 opens its link, uploads the
faulty sample return, sees the findings with their cells, downloads the feedback workbook, uploads the
corrected return and sees 已通过. Headless Debian Chromium, driven by playwright's client.

Screenshots go to the test's folder; with ``DISCLOSURE_UPDATE_SCREENSHOTS=1`` they are also copied to
``docs/portal-failed.png`` and ``docs/portal-passed.png`` (the ones the README shows).
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

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
    with PortalServer.start(tmp_path_factory.mktemp("portal")) as running:
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
