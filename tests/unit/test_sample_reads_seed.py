"""The 2020 sample returns, read back and summed over the units, give the seed report's tables cell by cell."""

from __future__ import annotations

import importlib.util
from collections import defaultdict

import pytest

from tests.seed_2020 import SEED_YEAR, seed_figures

pytestmark = [
    pytest.mark.unit,
    pytest.mark.skipif(
        importlib.util.find_spec("disclosure.workbook.sample") is None,
        reason="the sample writer is not there yet",
    ),
]


def test_summed_2020_sample_equals_the_seed(tmp_path, registry):
    from disclosure.workbook.reader import read_return
    from disclosure.workbook.sample import write_sample

    paths = write_sample(SEED_YEAR, tmp_path, registry)
    assert len(paths) == len(registry.units)
    totals: dict[tuple[str, str, str], object] = defaultdict(int)
    units = set()
    for path in paths:
        result = read_return(path)  # strict: a clean sample reads without a single problem
        units.add(result.unit)
        for figure in result.figures:
            assert figure.value is not None, (path.name, figure.key)
            totals[figure.key] += figure.value
    assert units == {u.code for u in registry.units}
    expected = seed_figures()
    assert set(totals) == set(expected)
    differences = {key: (totals[key], value) for key, value in expected.items() if totals[key] != value}
    assert differences == {}
