"""``disclosure portal`` for real (uvicorn on a loopback port): it answers, and its access log never shows a
link token, only the link's digest."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
import pytest

from tests.integration.portal_server import PortalServer

pytestmark = [pytest.mark.integration]

YEAR = 2020
DEADLINE = f"{date.today().year + 1}-01-15"


def test_served_portal_answers_and_redacts_tokens_in_its_access_log(tmp_path: Path):
    with PortalServer.start(tmp_path) as portal:
        url = portal.link("U05", YEAR, DEADLINE)
        token = url.rsplit("/", 1)[1]
        page = httpx.get(url, timeout=30)
        assert page.status_code == 200 and "U05" in page.text
        assert httpx.get(url + "x", timeout=30).status_code == 403
        assert "server" not in page.headers  # no version banner
        log = portal.log()
    assert "GET /u/[link:" in log and '" 200' in log and '" 403' in log
    assert token not in log and token.split(".")[0] not in log
