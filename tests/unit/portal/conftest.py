"""Fixtures of the portal's tests: a configured key, a migrated store in a fresh data folder, the app under
FastAPI's TestClient, links issued the way the admin issues them, and the sample's returns."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from disclosure.workflow.calendar import BUREAU_TZ

YEAR = 2020
#: One key for the session: the sample returns are signed with it once, every test's portal verifies with it.
KEY = secrets.token_urlsafe(32)
#: A deadline still ahead, so the links are live (the sample year itself is long past).
DEADLINE = datetime.now(BUREAU_TZ).replace(microsecond=0) + timedelta(days=30)


@pytest.fixture
def keys(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, ...]:
    monkeypatch.setenv("DISCLOSURE_SECRET_KEY", KEY)
    return (KEY,)


@pytest.fixture
def store(data_dir: Path, keys):
    from disclosure.store import Store

    opened = Store.from_settings()
    opened.upgrade()
    yield opened
    opened.dispose()


@pytest.fixture
def portal(store, registry, monkeypatch: pytest.MonkeyPatch):
    from disclosure.portal.app import Portal
    from disclosure.portal.ratelimit import LinkLimiter
    from disclosure.settings import get_settings

    monkeypatch.delenv("DISCLOSURE_PORTAL_RATE_LIMIT", raising=False)
    monkeypatch.delenv("DISCLOSURE_PORTAL_UPLOAD_LIMIT", raising=False)
    return Portal(get_settings(), registry, store, LinkLimiter.from_env())


@pytest.fixture
def client(portal):
    from fastapi.testclient import TestClient

    from disclosure.portal.app import create_app

    with TestClient(create_app(portal), follow_redirects=True) as test_client:
        yield test_client


@pytest.fixture
def link(store, keys) -> Callable[[str], str]:
    """The path of a unit's current link (``/u/<token>``), issued as ``disclosure links`` issues it."""
    from disclosure.portal.links import UNIT_PATH, current_link

    def make(unit: str, deadline: datetime = DEADLINE) -> str:
        issued = current_link(store, YEAR, unit, deadline=deadline, keys=keys, actor="admin:test")
        assert issued is not None
        return UNIT_PATH + issued.token

    return make


@pytest.fixture(scope="session")
def samples(tmp_path_factory, registry) -> dict[str, dict[str, Path]]:
    """The sample's returns of YEAR: ``clean`` and ``faulty`` (every unit with one fault), by unit code."""
    from disclosure.workbook.sample import write_sample_returns

    out = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DISCLOSURE_SECRET_KEY", KEY)  # the templates' signatures
        for kind, faulty in (("clean", False), ("faulty", True)):
            folder = tmp_path_factory.mktemp(kind)
            out[kind] = {r.unit: r.path for r in write_sample_returns(YEAR, folder, registry, faulty=faulty)}
    return out
