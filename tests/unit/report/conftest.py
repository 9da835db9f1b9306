"""Fixtures of the report tests: the seed's 2020 report rendered once, and readers for the files written."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx.oxml.ns import qn

from tests.seed_2020 import seed_figures


def docx_grid(table) -> list[list[str]]:
    """A Word table's text per grid position; positions covered by a merge (gridSpan, vMerge) read empty."""
    rows = []
    for tr in table._tbl.tr_lst:
        row: list[str] = []
        for tc in tr.tc_lst:
            span = tc.grid_span
            continued = (
                tc.tcPr is not None
                and (vm := tc.tcPr.find(qn("w:vMerge"))) is not None
                and (vm.get(qn("w:val")) in (None, "continue"))
            )
            text = "" if continued else "".join(t.text or "" for t in tc.iter(qn("w:t")))
            row.extend([text] + [""] * (span - 1))
        rows.append(row)
    return rows


def xlsx_grids(path: Path, first_row: int) -> dict[str, list[list[str]]]:
    """Each sheet's table (from ``first_row``) as text per position; merged positions read empty."""
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    out = {}
    for sheet in workbook.worksheets:
        out[sheet.title] = [
            ["" if c.value is None else str(c.value) for c in row]
            for row in sheet.iter_rows(min_row=first_row, max_row=sheet.max_row, max_col=sheet.max_column)
        ]
    return out


@pytest.fixture(scope="module")
def seed_report(tmp_path_factory, spec2019, registry):
    """The 2020 report rendered from the seed's figures with the bundled sample narrative."""
    from disclosure.report import render_report

    folder = tmp_path_factory.mktemp("seed-report")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DISCLOSURE_DATA_DIR", str(folder / "data"))  # no admin narrative: the bundled 2020.md.j2
        mp.delenv("DISCLOSURE_TEMPLATES_DIR", raising=False)
        yield render_report(
            year=2020, spec=spec2019, totals=seed_figures(), registry=registry, out_dir=folder / "out"
        )
