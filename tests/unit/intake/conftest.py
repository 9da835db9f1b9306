"""Intake fixtures: a migrated SQLite store in the test's data folder, returns written by the project's own
template writer and sample generator, and a forger that edits every identity cell of a file."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from disclosure.formats import spec_for_year
from disclosure.registry import Registry
from disclosure.store import Store

YEAR = 2021


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    store = Store.from_url(f"sqlite:///{data_dir / 'store.sqlite'}", archive_dir=data_dir / "archive")
    store.upgrade()
    yield store
    store.dispose()


@pytest.fixture
def small_registry(registry: Registry) -> Registry:
    """U01–U05 (five units: U03 and U05 are both in it)."""
    return registry.model_copy(update={"units": registry.units[:5]})


def write_return(
    registry: Registry,
    code: str,
    path: Path,
    values: Mapping | None = None,
    *,
    year: int = YEAR,
    signing_key: str | None = None,
) -> Path:
    """A filled return of unit ``code`` (the sample figures unless ``values``), from a fresh signed template."""
    from disclosure.workbook.sample import sample_figures
    from disclosure.workbook.template import fill_workbook, write_template

    unit = registry.unit(code)
    values = dict(sample_figures(year, registry)[code]) if values is None else values
    with tempfile.TemporaryDirectory() as tmp:
        template = write_template(
            spec_for_year(year), year, unit.code, unit.name, Path(tmp) / "t.xlsx", signing_key=signing_key
        )
        return fill_workbook(template, path, values, contact=unit.contact, phone=unit.phone)


def forge(source: Path, out: Path, *, unit_code: str, unit_name: str, **identity: str | None) -> Path:
    """Edit EVERY identity cell of a workbook to claim another unit: the cover, the very hidden ``_identity``
    sheet and the document properties (the signature is left as it was, unless given; None removes it)."""
    from openpyxl import load_workbook
    from openpyxl.packaging.custom import StringProperty

    from disclosure.workbook.identity import COVER_FIELDS, COVER_SHEET, DOC_PROPERTY_PREFIX, IDENTITY_SHEET

    changes: dict[str, str | None] = {"unit_code": unit_code, "unit_name": unit_name, **identity}
    wb = load_workbook(source)
    cover = wb[COVER_SHEET]
    labels = {label: key for key, label in COVER_FIELDS.items()}
    for row in range(1, cover.max_row + 1):
        key = labels.get(str(cover.cell(row, 1).value or ""))
        if key in changes and changes[key] is not None:
            cover.cell(row, 2).value = changes[key]
    hidden = wb[IDENTITY_SHEET]
    for row in range(1, hidden.max_row + 1):
        key = str(hidden.cell(row, 1).value or "")
        if key in changes:
            if changes[key] is None:
                hidden.cell(row, 1).value = None
                hidden.cell(row, 2).value = None
            else:
                hidden.cell(row, 2).value = changes[key]
    props = [p for p in wb.custom_doc_props.props]
    wb.custom_doc_props.props = []
    for prop in props:
        key = prop.name.removeprefix(DOC_PROPERTY_PREFIX)
        if key in changes:
            if changes[key] is None:
                continue
            prop = StringProperty(name=prop.name, value=str(changes[key]))
        wb.custom_doc_props.append(prop)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
