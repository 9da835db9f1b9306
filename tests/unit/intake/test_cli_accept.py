"""``disclosure accept`` / ``validate`` over the intake: exit 0 accepted, 1 refused or findings, 2 unusable file,
wrong usage or infrastructure, never a traceback; ``--manual`` records who accepted what and why."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from disclosure.cli import main
from disclosure.registry import Registry
from disclosure.store import Store
from tests.unit.intake.conftest import YEAR, forge, write_return

pytestmark = [pytest.mark.unit, pytest.mark.slow]


def _accept(*args: str):
    return CliRunner().invoke(main, ["accept", "--no-docs", *args])


@pytest.fixture
def files(registry: Registry, tmp_path: Path) -> dict[str, Path]:
    u03 = write_return(registry, "U03", tmp_path / "2021_U03.xlsx")
    garbage = tmp_path / "2021_U04.xlsx"
    garbage.write_bytes(b"not a workbook")
    return {
        "u03": u03,
        "forged": forge(
            u03, tmp_path / "2021_U05.xlsx", unit_code="U05", unit_name=registry.unit("U05").name
        ),
        "garbage": garbage,
    }


def test_exit_codes(data_dir, files):
    accepted = _accept(str(files["u03"]))
    assert accepted.exit_code == 0, accepted.output
    assert "✓ 2021_U03.xlsx：U03 2021 已采用" in accepted.output
    refused = _accept(str(files["forged"]))
    assert refused.exit_code == 1
    assert "U05 2021 已拒收" in refused.output and "此文件不是发给本单位的报表模板" in refused.output
    unusable = _accept(str(files["garbage"]))
    assert unusable.exit_code == 2 and "校验未通过" in unusable.output
    missing = _accept(str(data_dir / "nowhere.xlsx"))
    assert missing.exit_code == 2 and "文件不存在" in missing.output


def test_the_admin_accepts_a_foreign_file_by_hand(data_dir, files):
    wrong = _accept("--manual", "--unit", "U05", str(files["forged"]))
    assert wrong.exit_code == 2 and "--reason" in wrong.output
    result = _accept(
        "--manual", "--unit", "U05", "--reason", "U05 电话确认", "--by", "王芳", str(files["forged"])
    )
    assert result.exit_code == 0, result.output
    store = Store.from_settings()
    [event] = store.events(unit="U05")
    assert (event.actor, event.detail["reason"]) == ("王芳", "U05 电话确认")
    assert set(store.current_figures(YEAR)) == {"U05"}
    store.dispose()


def test_validate_applies_the_same_identity_check(data_dir, files):
    result = CliRunner().invoke(main, ["validate", "--no-docs", str(files["forged"]), str(files["u03"])])
    assert result.exit_code == 1
    assert (
        "拒收（不是本单位的有效报表）" in result.output and "此文件不是发给本单位的报表模板" in result.output
    )


def test_an_unreachable_store_is_exit_2_without_a_traceback(data_dir, files):
    bad = "postgresql+psycopg2://nobody@127.0.0.1:1/none"
    done = subprocess.run(
        [str(Path(sys.executable).with_name("disclosure")), "accept", "--store-url", bad, str(files["u03"])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "错误" in done.stderr


def test_every_submission_of_a_unit_is_listed_with_the_current_one_marked(data_dir, files):
    _accept(str(files["u03"]))
    _accept(str(files["forged"]))
    listing = CliRunner().invoke(main, ["submissions", "--year", "2021", "--unit", "U05"])
    assert listing.exit_code == 0, listing.output
    assert "2021_U05.xlsx" in listing.output and "已拒收" in listing.output and "签名无效" in listing.output
    assert "尚无已采用的报送" in listing.output
    u03 = CliRunner().invoke(main, ["submissions", "--year", "2021", "--unit", "U03", "--json"])
    data = json.loads(u03.output)
    assert [(s["channel"], s["state"], s["current"]) for s in data["submissions"]] == [
        ("cli", "已采用", True)
    ]
