"""The bureau's secret key: configured by environment or generated into the data folder, rotated newest first."""

from __future__ import annotations

import stat

import pytest

from disclosure.errors import SettingsError
from disclosure.secret_key import SECRET_KEY_ENV, ensure_secret_key, rotate_secret_key, secret_keys

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch):
    monkeypatch.delenv(SECRET_KEY_ENV, raising=False)


def test_no_key_configured_is_a_clear_error(tmp_path):
    with pytest.raises(SettingsError, match="未配置密钥"):
        secret_keys(tmp_path)


def test_ensure_generates_a_private_key_file_once(tmp_path):
    written = ensure_secret_key(tmp_path)
    assert written is not None
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    (key,) = secret_keys(tmp_path)
    assert len(key) >= 32
    assert ensure_secret_key(tmp_path) is None
    assert secret_keys(tmp_path) == (key,)


def test_environment_wins_and_lists_keys_newest_first(tmp_path, monkeypatch):
    ensure_secret_key(tmp_path)
    new, old = "n" * 40, "o" * 40
    monkeypatch.setenv(SECRET_KEY_ENV, f"{new},{old}")
    assert secret_keys(tmp_path) == (new, old)
    assert ensure_secret_key(tmp_path) is None


def test_short_keys_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(SECRET_KEY_ENV, "secret")
    with pytest.raises(SettingsError, match="长度不足"):
        secret_keys(tmp_path)


def test_rotation_puts_the_new_key_first_and_keeps_the_old(tmp_path):
    ensure_secret_key(tmp_path)
    (old,) = secret_keys(tmp_path)
    rotate_secret_key(tmp_path)
    keys = secret_keys(tmp_path)
    assert len(keys) == 2
    assert keys[1] == old
    assert keys[0] != old
