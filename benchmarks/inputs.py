"""Synthetic inputs: a registry of N units and their valid returns, written by the project's own generator.

The returns of units ``B0001…B1000`` are deterministic (seeded by year and unit code), so the first 12 and the
first 100 of the 1,000-unit set are exactly the 12- and 100-unit sets: the files are generated once per format
and cached under ``benchmarks/results/inputs/`` (generation is not what is measured).
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path

from disclosure.registry import Registry, Unit, load_registry

RESULTS = Path(__file__).resolve().parent / "results"
INPUTS = RESULTS / "inputs"
#: The benchmark bureau's secret key: the synthetic templates are signed with it, the intake verifies with it.
SECRET_KEY = "benchmark-secret-key-not-for-production-0123456789"
SAMPLE_UNITS = (
    Path(__file__).resolve().parents[1] / "include" / "disclosure" / "registry" / "sample-units.yaml"
)

#: One year per format version: 2019 → gov-2019, 2021 → gov-2021 (its cross-year rules check against 2020).
YEARS = {"gov-2019": 2019, "gov-2021": 2021}

#: The default narrative plus the 信息处理费 facts gov-2021 requires, for rendering any year.
NARRATIVE_FEES = "fees: {notices: 0, noticed_yuan: 0, collected_yuan: 0}\n"


def unit_code(index: int) -> str:
    return f"B{index:04d}"


@cache
def registry(n: int) -> Registry:
    """The sample bureau with ``n`` synthetic units ``B0001…``."""
    base = load_registry(SAMPLE_UNITS)
    units = tuple(
        Unit(
            code=unit_code(i),
            name=f"宁夏回族自治区地质局基准测试单位{i:04d}",
            short_name=f"测试单位{i:04d}",
            contact="张三",
            phone="0951-2000000",
            email=f"b{i:04d}@example.gov.cn",
        )
        for i in range(1, n + 1)
    )
    return Registry(sample=True, bureau=base.bureau, units=units)


def return_path(year: int, index: int) -> Path:
    from disclosure.workbook.identity import TEMPLATE_REVISION
    from disclosure.workbook.template import template_file_name

    # Per template revision: files of an older revision (unsigned …) are not what the intake accepts now.
    name = template_file_name(year, unit_code(index), f"测试单位{index:04d}")
    return INPUTS / TEMPLATE_REVISION / str(year) / name


def return_paths(year: int, n: int) -> list[Path]:
    return [return_path(year, i) for i in range(1, n + 1)]


def _write_chunk(year: int, n_total: int, indexes: list[int]) -> int:
    """Write the returns of ``indexes`` (1-based) as ``write_sample_returns`` does, without faults."""
    from disclosure.formats import spec_for_year
    from disclosure.workbook.sample import sample_figures
    from disclosure.workbook.template import build_template, fill_in_memory

    reg = registry(n_total)
    spec = spec_for_year(year)
    figures = sample_figures(year, reg)
    for index in indexes:
        unit = reg.units[index - 1]
        wb = build_template(spec, year, unit.code, unit.name, signing_key=SECRET_KEY)
        fill_in_memory(wb, figures[unit.code], contact=unit.contact, phone=unit.phone)
        path = return_path(year, index)
        path.parent.mkdir(parents=True, exist_ok=True)
        wb.save(path)
    return len(indexes)


def ensure_returns(year: int, n: int, *, workers: int | None = None) -> list[Path]:
    """The first ``n`` synthetic returns of ``year``, generating the missing ones (in parallel)."""
    paths = return_paths(year, n)
    missing = [i for i, p in enumerate(paths, start=1) if not p.is_file()]
    if missing:
        workers = workers or min(2, os.cpu_count() or 1)
        chunks = [missing[k : k + 25] for k in range(0, len(missing), 25)]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            list(pool.map(_write_chunk, [year] * len(chunks), [n] * len(chunks), chunks))
    return paths


def previous_figures(year: int, n: int) -> dict | None:
    """Last year's figures of the ``n`` units, as the store would give them to the cross-year rules; None when
    the generator does not carry the year over (it starts from the 2020 seed)."""
    from disclosure.workbook.sample import SEED_YEAR, sample_figures

    if year <= SEED_YEAR:
        return None
    return sample_figures(year - 1, registry(n))


def narrative_file(folder: Path) -> Path:
    """The default narrative with the fee facts, so both formats render without an office-written file."""
    from disclosure.report.environment import templates_dir

    source = (templates_dir() / "narratives" / "default.md.j2").read_text(encoding="utf-8")
    head, sep, rest = source.partition("---\n")
    assert sep and head == "", "default narrative must start with YAML front matter"
    path = folder / "narrative.md.j2"
    path.write_text("---\n" + NARRATIVE_FEES + rest, encoding="utf-8")
    return path
