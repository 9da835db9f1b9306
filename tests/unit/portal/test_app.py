"""The portal over HTTP (FastAPI's TestClient, and the bare ASGI app where the test must see how much of a
body is read): a unit's page, uploads and their verdicts, every refusal, the safety headers."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from disclosure.portal import audit
from disclosure.store import SubmissionStatus
from tests.unit.portal.conftest import DEADLINE, YEAR
from tests.unit.test_reader import FILE_CASES

pytestmark = pytest.mark.unit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(client, link: str) -> str:
    page = client.get(link)
    assert page.status_code == 200, page.text
    return CSRF.search(page.text).group(1)


def upload(client, link: str, path: Path, *, token: str | None = "fetch", name: str | None = None):
    data = {} if token is None else {"csrf_token": form_token(client, link) if token == "fetch" else token}
    files = {"file": (name or path.name, path.read_bytes(), XLSX)}
    return client.post(f"{link}/upload", data=data, files=files)


def text(html: str) -> str:
    """The page's text, tags dropped (for matching messages that may span elements)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def nothing_touched(store, data_dir: Path) -> bool:
    archive = data_dir / "archive"
    return not store.submissions() and not (archive.exists() and any(archive.rglob("*.xlsx")))


def test_unit_page_shows_year_deadline_template_and_form(client, link):
    page = client.get(link("U05"))
    assert page.status_code == 200
    body = text(page.text)
    assert "U05 宁夏回族自治区水文环境地质调查院" in body and f"{YEAR}年" in body
    assert DEADLINE.strftime("%Y-%m-%d %H:%M") + "（北京时间）" in body
    assert "尚未报送" in body and 'enctype="multipart/form-data"' in page.text
    assert "<script" not in page.text

    template = client.get(link("U05") + "/template")
    assert template.status_code == 200 and template.headers["content-type"] == XLSX
    assert "attachment" in template.headers["content-disposition"]
    written = load_workbook(io.BytesIO(template.content))
    assert written.properties.keywords.endswith(f"{YEAR} U05")  # the template writer's identity of the unit


def test_security_headers_on_every_answer(client, link):
    for response in (
        client.get(link("U05")),
        client.get("/u/forged"),
        client.get("/"),
        client.get("/nowhere"),
    ):
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "script-src" not in csp  # no script allowed at all
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"


def test_faulty_return_shows_findings_with_cells_and_feedback(client, link, samples, store):
    response = upload(client, link("U05"), samples["faulty"]["U05"])
    assert response.status_code == 200 and response.history[0].status_code == 303
    body = text(response.text)
    assert "校验未通过" in body
    assert re.search(r"二、主动公开政府信息情况 B4", body), body
    feedback_url = re.search(r'href="(/u/[^"]+/feedback/\d+)"', response.text).group(1)
    feedback = client.get(feedback_url)
    assert feedback.status_code == 200 and feedback.headers["content-type"] == XLSX
    path = Path(store.archive_dir).parent / "fb.xlsx"
    path.write_bytes(feedback.content)
    assert "校验结果" in load_workbook(path, read_only=True).sheetnames
    [event] = audit.events(store, YEAR, "U05", audit.Action.UPLOAD)
    assert event.actor == audit.LINK_ACTOR and event.submission_id is not None
    assert "校验未通过" in event.detail["note"] and event.detail["generation"] == 1


def test_valid_return_passes_for_the_dag_to_accept(client, link, samples, store):
    response = upload(client, link("U05"), samples["clean"]["U05"])
    assert response.status_code == 200
    assert 'data-state="passed"' in response.text and "已通过" in text(response.text)
    newest = store.latest_submission(YEAR, "U05")
    assert newest.status is SubmissionStatus.PASSED and newest.channel == "portal" and newest.sender == "U05"
    assert not store.current_figure_records(YEAR, "U05")  # accepting is the DAG's step


def test_another_units_file_through_u05_link_is_refused(client, link, samples, store):
    response = upload(client, link("U05"), samples["clean"]["U03"])
    body = text(response.text)
    assert "已拒收" in body and "此文件属于单位“U03”，而报送单位为“U05”" in body
    assert store.latest_submission(YEAR, "U05").status is SubmissionStatus.REFUSED
    assert not store.submissions(YEAR, "U03")  # filed under the sender: U03's returns are untouched
    assert not store.current_figure_records(YEAR, "U05") and not store.current_figure_records(YEAR, "U03")


def test_a_return_of_another_year_through_the_years_link_is_refused(client, link, store, tmp_path, keys):
    from disclosure.registry import load_registry
    from disclosure.workbook.sample import write_sample_returns

    [other] = [r.path for r in write_sample_returns(YEAR + 1, tmp_path, load_registry()) if r.unit == "U05"]
    body = text(upload(client, link("U05"), other).text)
    assert "已拒收" in body and f"此文件是 {YEAR + 1} 年度的报表，这里报送的是 {YEAR} 年度" in body
    assert not store.submissions(YEAR + 1)


def test_feedback_of_another_unit_is_not_served(client, link, samples):
    response = upload(client, link("U03"), samples["faulty"]["U03"])
    stolen = re.search(r'href="/u/[^"]+/feedback/(\d+)"', response.text).group(1)
    assert client.get(f"{link('U05')}/feedback/{stolen}").status_code == 404


@pytest.mark.parametrize("kind", ["forged", "garbage", "expired", "revoked", "superseded", "unknown unit"])
def test_bad_tokens_get_403_and_touch_nothing(kind, client, link, store, keys, samples, data_dir):
    from disclosure.portal import links
    from disclosure.portal.tokens import LinkClaims, sign

    good = link("U05")
    bad = {
        "forged": lambda: good[:-3] + ("abc" if not good.endswith("abc") else "xyz"),
        "garbage": lambda: "/u/not-a-token",
        "expired": lambda: (
            "/u/" + sign(LinkClaims("U05", YEAR, 1, DEADLINE - timedelta(days=400)), keys)
        ),  # deadline + grace passed
        "revoked": lambda: (links.revoke(store, YEAR, "U05", actor="admin:t"), good)[1],
        "superseded": lambda: (
            links.reissue(store, YEAR, "U05", deadline=DEADLINE, keys=keys, actor="admin:t"),
            good,
        )[1],
        "unknown unit": lambda: "/u/" + sign(LinkClaims("U77", YEAR, 1, DEADLINE), keys),
    }[kind]()
    events_before = len(audit.events(store, YEAR))
    csrf = form_token(client, good) if kind in ("forged", "garbage", "expired", "unknown unit") else "x"
    answers = [
        client.get(bad),
        client.get(bad + "/template"),
        client.get(bad + "/feedback/1"),
        upload(client, bad, samples["clean"]["U05"], token=csrf),
    ]
    assert [a.status_code for a in answers] == [403] * 4
    assert "链接无效或已失效" in answers[0].text
    assert nothing_touched(store, data_dir)
    assert len(audit.events(store, YEAR)) == events_before


def test_upload_without_or_with_a_wrong_form_token_is_refused(client, link, samples, store, data_dir):
    for token in (None, "forged", _other_links_form_token(client, link)):
        response = upload(client, link("U05"), samples["clean"]["U05"], token=token)
        assert response.status_code == 403 and "页面已过期" in response.text
    assert nothing_touched(store, data_dir)
    assert len(audit.events(store, YEAR, "U05", audit.Action.UPLOAD_REFUSED)) == 3


def _other_links_form_token(client, link) -> str:
    return form_token(client, link("U06"))


def test_no_file_chosen_is_a_clear_message(client, link):
    token = form_token(client, link("U05"))
    response = client.post(f"{link('U05')}/upload", data={"csrf_token": token}, files={"x": ("", b"", XLSX)})
    assert response.status_code == 400 and "请先选择要上传的填报表文件" in response.text


def test_rate_limit_per_link(portal, link, monkeypatch):
    from fastapi.testclient import TestClient

    from disclosure.portal.app import create_app
    from disclosure.portal.ratelimit import LinkLimiter

    monkeypatch.setenv("DISCLOSURE_PORTAL_RATE_LIMIT", "3/minute")
    portal.limiter = LinkLimiter.from_env()
    client = TestClient(create_app(portal))
    codes = [client.get(link("U05")).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert "操作过于频繁" in client.get(link("U05")).text
    assert client.get(link("U06")).status_code == 200  # another unit's link has its own budget


@pytest.mark.parametrize(
    ("make", "limits", "code", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in FILE_CASES if case[0] != "missing"],
)
def test_every_hostile_workbook_class_gets_its_message_on_the_page(
    make, limits, code, message, client, link, tmp_path, monkeypatch
):
    if limits is not None:
        monkeypatch.setenv("DISCLOSURE_MAX_FILE_BYTES", str(limits.max_file_bytes))
        monkeypatch.setenv("DISCLOSURE_MAX_UNCOMPRESSED_BYTES", str(limits.max_uncompressed_bytes))
    path = make(tmp_path)
    response = upload(client, link("U05"), path)
    assert response.status_code in (200, 413)
    assert re.search(message, text(response.text)), text(response.text)[:2000]
    assert 'name="file"' in response.text  # the page is whole: the form is there to try again


# ---- the body limit, seen from the ASGI app itself -----------------------------------------------------------

BOUNDARY = "portalboundary"
CHUNK = 64 * 1024


def _drive(app, path: str, chunks, headers: list[tuple[bytes, bytes]]) -> tuple[int, int, str]:
    """POST ``chunks`` to ``app`` as a real server would stream them; returns (status, chunks the app took,
    page text)."""
    taken = 0
    sent: list[dict] = []
    source = iter(chunks)

    async def receive():
        nonlocal taken
        chunk = next(source, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        taken += 1
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, taken, body.decode("utf-8")


def _huge_upload(csrf: str, total: int):
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.xlsx"\r\n'
        f"Content-Type: {XLSX}\r\n\r\n"
    ).encode()
    for _ in range(total // CHUNK):
        yield b"PK\x03\x04" + b"\0" * (CHUNK - 4)


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_oversized_body_is_refused_without_being_read_whole(
    declared, portal, client, link, store, monkeypatch
):
    from disclosure.portal.app import create_app

    limit = 256 * 1024
    monkeypatch.setenv("DISCLOSURE_MAX_FILE_BYTES", str(limit))
    total = 40 * limit  # 10 MB
    headers = [(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())]
    if declared:
        headers.append((b"content-length", str(total + 400).encode()))
    csrf = form_token(client, link("U05"))
    status, taken, page = _drive(
        create_app(portal), link("U05") + "/upload", _huge_upload(csrf, total), headers
    )
    assert status == 413
    assert "超过允许的 0.2 MB" in text(page) and 'name="file"' in page
    read = taken * CHUNK
    assert read <= limit + 64 * 1024 + 2 * CHUNK, f"read {read} bytes of {total}"
    if declared:
        assert taken == 0  # refused on the declared length alone
    assert not store.submissions()
