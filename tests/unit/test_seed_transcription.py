"""The hand transcription in ``tests/seed_2020.py`` matches the numbers printed in the seed's tables."""

import re

import pytest

from tests.conftest import SEED_FILE
from tests.seed_2020 import seed_figures

pytestmark = pytest.mark.unit


@pytest.mark.skipif(not SEED_FILE.exists(), reason="../shared/seed is not beside the checkout")
def test_transcription_matches_seed_text(spec2019):
    text = SEED_FILE.read_text(encoding="utf-8")
    tables = text.split("二、主动公开政府信息情况")[1].split("五、存在的主要问题及改进情况")[0]
    printed = [m for m in re.findall(r"(?<![\d（(一二三四五六七八九十])\d+(?:\.\d+)?(?!\s*[、.])", tables)]
    # the seed prints every figure of 二 (row by row), 三 (row by row, 7 columns) and 四 (one row of 15)
    figures = seed_figures()
    expected = []
    for table in spec2019.tables:
        for row in table.number_rows:
            expected.extend(str(figures[(table.id, row.id, col.id)]) for col in table.columns)
    assert printed == expected
