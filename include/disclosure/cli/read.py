"""``disclosure read``: read returned workbooks and print their figures with the official labels."""

from __future__ import annotations

import csv
import json
import sys
from decimal import Decimal
from pathlib import Path

import click

from disclosure.errors import DisclosureError

FIELDS = (
    "file",
    "year",
    "unit",
    "table",
    "table_title",
    "row",
    "row_label",
    "column",
    "column_label",
    "value",
    "sheet",
    "cell",
    "raw",
)


@click.command(name="read")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
    help="输出格式 (output format)",
)
@click.option(
    "--format-version", help="指定格式版本，如 gov-2021 (override the format named in the workbook)"
)
def command(files: tuple[Path, ...], output: str, format_version: str | None) -> None:
    """读取填报表，输出每个数字及其表名、行名、列名（含上级表头）、单元格。

    Read returns and print one record per figure. Problems go to stderr in Chinese. Exit 0: read cleanly;
    1: problems were found (unusable figures are printed with an empty value); 2: a file cannot be used at all.
    """
    from disclosure.errors import ReturnReadError
    from disclosure.formats import load_spec
    from disclosure.workbook.reader import read_return

    try:
        spec = load_spec(format_version) if format_version else None
    except DisclosureError as exc:
        raise click.UsageError(str(exc)) from exc

    records: list[dict] = []
    exit_code = 0
    for path in files:
        try:
            result = read_return(path, spec=spec, strict=False)
        except ReturnReadError as exc:
            click.echo(str(exc), err=True)
            exit_code = 2
            continue
        if result.problems:
            click.echo(str(ReturnReadError(path, result.problems, unit=result.unit)), err=True)
            exit_code = max(exit_code, 1)
        records.extend(_records(path, result))

    if output == "json":
        click.echo(json.dumps(records, ensure_ascii=False, indent=2, default=_json_value))
    else:
        writer = csv.DictWriter(sys.stdout, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
    raise SystemExit(exit_code)


def _records(path: Path, result) -> list[dict]:
    from disclosure.formats import load_spec

    spec = load_spec(result.meta.format_version)
    out = []
    for figure in result.figures:
        table = spec.table(figure.table)
        column = table.column(figure.column)
        out.append(
            {
                "file": str(path),
                "year": figure.year,
                "unit": figure.unit,
                "table": figure.table,
                "table_title": _table_title(table),
                "row": figure.row,
                "row_label": table.row(figure.row).label,
                "column": figure.column,
                "column_label": " / ".join([*column.header, column.display_label]),
                "value": "" if figure.value is None else figure.value,
                "sheet": figure.sheet or "",
                "cell": figure.cell or "",
                "raw": figure.raw or "",
            }
        )
    return out


def _table_title(table) -> str:
    """The heading a person looks for: the section heading, plus the clause for 二's sub-tables."""
    return table.sheet if table.title in table.sheet else f"{table.sheet} {table.title}"


def _json_value(value: object) -> object:
    # amounts stay exact: a Decimal is printed as its text, never through a float
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value))
