"""Fixtures shared by every test folder. Area-specific fixtures live next to their tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
SEED_FILE = SHARED_DIR / "seed" / "2020-annual-report-geology-bureau.txt"

#: The bureau's secret key in tests (templates are signed with it): set for this process and the processes it
#: starts (Airflow, the CLI), unless the environment already has one.
TEST_SECRET_KEY = "test-secret-key-of-the-bureau-0123456789abcdef"
os.environ.setdefault("DISCLOSURE_SECRET_KEY", TEST_SECRET_KEY)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data folder for the test, set as DISCLOSURE_DATA_DIR."""
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("DISCLOSURE_DATA_DIR", str(folder))
    monkeypatch.delenv("DISCLOSURE_STORE_URL", raising=False)
    return folder


@pytest.fixture(scope="session")
def spec2019():
    from disclosure.formats import load_spec

    return load_spec("gov-2019")


@pytest.fixture(scope="session")
def spec2021():
    from disclosure.formats import load_spec

    return load_spec("gov-2021")


@pytest.fixture(scope="session")
def registry():
    from disclosure.registry import load_registry

    return load_registry()
