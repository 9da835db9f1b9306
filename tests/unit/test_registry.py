"""The unit registry: loaded from data, validated with clear errors."""

from __future__ import annotations

import pytest
import yaml

from disclosure.errors import RegistryError
from disclosure.registry import load_registry
from disclosure.settings import BUNDLED_UNITS_FILE

pytestmark = pytest.mark.unit


def test_sample_registry_has_the_bureau_and_twelve_units(registry):
    assert registry.sample is True
    assert registry.bureau.name == "宁夏回族自治区地质局"
    assert len(registry.units) == 12
    assert registry.unit("U05").display == "U05 水文环境地质调查院"
    assert registry.reporting_codes() == [f"U{i:02d}" for i in range(1, 13)]


def test_sample_file_is_marked_as_sample_data():
    assert "SAMPLE DATA" in BUNDLED_UNITS_FILE.read_text(encoding="utf-8")


def test_unknown_unit_code_is_a_clear_error(registry):
    with pytest.raises(RegistryError, match="单位代码 'U99' 不在单位名册中"):
        registry.unit("U99")


def _write(tmp_path, mutate):
    data = yaml.safe_load(BUNDLED_UNITS_FILE.read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "units.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["units"][1].update(code="U01"), "duplicate unit codes: U01"),
        (lambda d: d["units"][2].pop("email"), r"units\.2\.email: Field required"),
        (lambda d: d["units"][3].update(email="not-an-address"), r"units\.3\.email"),
        (lambda d: d["units"][0].update(code="U 01"), r"units\.0\.code"),
        (lambda d: d.update(units=[]), "units"),
        (lambda d: d["bureau"].update(in_force_consolidation="bureau"), "needs reports_own_return"),
        (lambda d: d["units"][0].update(fax="1"), "Extra inputs are not permitted"),
    ],
)
def test_invalid_registry_is_rejected_with_the_field(tmp_path, mutate, message):
    with pytest.raises(RegistryError, match=message):
        load_registry(_write(tmp_path, mutate))


def test_registry_file_from_environment(tmp_path, monkeypatch):
    path = _write(tmp_path, lambda d: d.update(units=d["units"][:3]))
    monkeypatch.setenv("DISCLOSURE_UNITS_FILE", str(path))
    assert load_registry().codes == ["U01", "U02", "U03"]


def test_unreadable_registry(tmp_path):
    bad = tmp_path / "units.yaml"
    bad.write_text("bureau: [unclosed", encoding="utf-8")
    with pytest.raises(RegistryError, match="not valid YAML"):
        load_registry(bad)
    with pytest.raises(RegistryError, match="cannot read unit registry"):
        load_registry(tmp_path / "missing.yaml")
