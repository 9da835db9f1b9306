"""The bureau totals as CSV and JSON with official labels, for the portal's open-data page and for audit.

One record per figure: section, table (title and id), row (official label path and id), column (label path and
id), unit, value. Amounts are written as decimal strings in JSON (never floats); the CSV is UTF-8 with a BOM so
that Excel opens the Chinese labels correctly.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from disclosure.formats import Cell, FormatSpec
from disclosure.report.environment import format_number
from disclosure.report.layout import column_label_path, row_label_path, value_of

FIELDS = (
    "section",
    "table_id",
    "table_title",
    "row_id",
    "row_label",
    "column_id",
    "column_label",
    "unit",
    "value",
)
#: the CSV header as the admin reads it
CSV_HEADER = ("部分", "表格编号", "表格", "行编号", "行", "列编号", "列", "单位", "数值")
PATH_SEPARATOR = " / "


def totals_records(spec: FormatSpec, totals: Mapping[Cell, int | Decimal]) -> list[dict[str, Any]]:
    """Every cell of the spec with its total and official labels, in print order."""
    records = []
    for table in spec.tables:
        for row in table.number_rows:
            for column in table.columns:
                value = value_of(totals, Cell(table.id, row.id, column.id), table)
                records.append(
                    {
                        "section": table.section,
                        "table_id": table.id,
                        "table_title": table.title,
                        "row_id": row.id,
                        "row_label": PATH_SEPARATOR.join(row_label_path(table, row.id)),
                        "column_id": column.id,
                        "column_label": PATH_SEPARATOR.join(column_label_path(column)),
                        "unit": column.unit or "",  # counts carry no unit
                        "value": value,
                    }
                )
    return records


def write_csv(path: Path, records: Sequence[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_HEADER)
        for r in records:
            writer.writerow([format_number(r[f]) if f == "value" else r[f] for f in FIELDS])
    return path


def write_json(path: Path, records: Sequence[dict[str, Any]], meta: Mapping[str, Any]) -> Path:
    def encode(value: int | Decimal) -> int | str:
        return format_number(value) if isinstance(value, Decimal) else value

    document = {**meta, "figures": [{**r, "value": encode(r["value"])} for r in records]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
