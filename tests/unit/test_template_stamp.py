"""Distributing at scale: each unit's template is the year's package built once, with the unit's identity
stamped in. A stamped file must be the very file built for that unit directly, member by member."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from disclosure.formats import load_spec
from disclosure.registry import load_registry
from disclosure.workbook.reader import read_return
from disclosure.workbook.sample import sample_figures
from disclosure.workbook.signature import verify_signature
from disclosure.workbook.template import build_template, fill_workbook, write_template, write_templates
from tests.conftest import TEST_SECRET_KEY

pytestmark = pytest.mark.unit

_TIMES = re.compile(rb"<dcterms:(created|modified)[^<]*</dcterms:\1>")


@dataclass
class Unit:
    code: str
    name: str


UNITS = [
    Unit("U05", "宁夏回族自治区水文环境地质调查院"),
    # XML's special characters, and a name long enough to wrap the 填报说明 line onto more rows
    Unit("X&1", "A<B>&\"'测试" + "很长的单位名称" * 6),
    Unit("U99", "=SUM(A1)"),  # registry text is never a formula
]


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: _TIMES.sub(b"", package.read(name)) for name in package.namelist()}


@pytest.mark.parametrize(("version", "year"), [("gov-2019", 2020), ("gov-2021", 2021)])
def test_stamped_templates_equal_the_ones_built_for_each_unit(version, year, tmp_path):
    spec = load_spec(version)
    stamped = write_templates(spec, year, UNITS, tmp_path / "outbox")
    for unit, path in zip(UNITS, stamped, strict=True):
        direct = tmp_path / "direct.xlsx"
        build_template(spec, year, unit.code, unit.name).save(direct)
        assert _members(path) == _members(direct), unit.code


def test_a_stamped_template_filled_in_reads_as_its_units_signed_return(tmp_path):
    spec = load_spec("gov-2021")
    [path] = write_templates(spec, 2021, [UNITS[1]], tmp_path / "outbox")
    assert not list(path.parent.glob(".*"))  # no half-written file left beside it
    values = sample_figures(2021, load_registry())["U05"]
    filled = fill_workbook(path, tmp_path / "filled.xlsx", values, contact="刘洋", phone="0951-2000005")
    ret = read_return(filled)
    assert (ret.meta.unit_code, ret.meta.unit_name, ret.meta.year) == (UNITS[1].code, UNITS[1].name, 2021)
    signed = verify_signature(ret.meta.signature, [TEST_SECRET_KEY])
    assert signed is not None and signed.unit_code == UNITS[1].code
    assert not ret.problems


def test_a_name_openpyxl_would_reject_is_not_stamped_but_refused(tmp_path):
    spec = load_spec("gov-2021")
    with pytest.raises(Exception, match="XML compatible"):
        write_template(spec, 2021, "U01", "单位\x07名称", tmp_path / "t.xlsx")
