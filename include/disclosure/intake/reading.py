"""What the reader got out of one received workbook, kept with its submission (read once, when received).

A reading is either a return (identity, figures, the reader's cell-level problems) or the problems that kept the
file from being read. It is stored as JSON (``Store.save_reading``), exactly: figures keep their ``int`` or
``Decimal`` value, so checking and accepting later never open the workbook again. The figures are stored as
columns (one array per field: an ``int`` value as a JSON number, a ``Decimal`` as its text), not one record each.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from disclosure.errors import Problem, ReturnReadError
from disclosure.figures import Figure, ReturnMeta, UnitReturn

#: Bump when the stored shape changes (a reading of another version is read again from the archived file).
READING_VERSION = 2
#: The stored columns of the figures (year and unit are the meta's).
_FIGURE_FIELDS = ("table", "row", "column", "value", "sheet", "cell", "raw")


@dataclass
class Reading:
    """A workbook as read: ``unit_return`` when readable, else the ``problems`` (``fatal``: nothing usable)."""

    unit_return: UnitReturn | None = None
    problems: list[Problem] = field(default_factory=list)
    fatal: bool = False
    claimed_unit: str | None = None  # who the file says it is from, when it says so

    @property
    def meta(self) -> ReturnMeta | None:
        return self.unit_return.meta if self.unit_return is not None else None

    def to_json(self) -> dict[str, Any]:
        ret = self.unit_return
        return {
            "version": READING_VERSION,
            "fatal": self.fatal,
            "claimed_unit": self.claimed_unit,
            "problems": [_problem(p) for p in self.problems],
            "meta": asdict(ret.meta) if ret is not None else None,
            "figures": _figure_columns(ret.figures) if ret is not None else None,
            "return_problems": [_problem(p) for p in ret.problems] if ret is not None else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], path: Path | None = None) -> Reading:
        ret = None
        if data.get("meta") is not None:
            meta = ReturnMeta(**data["meta"])
            figures = _figures(meta, data["figures"])
            problems = [Problem(*p) for p in data["return_problems"]]
            ret = UnitReturn(meta=meta, figures=figures, path=path, problems=problems)
        return cls(
            unit_return=ret,
            problems=[Problem(*p) for p in data.get("problems", [])],
            fatal=bool(data.get("fatal")),
            claimed_unit=data.get("claimed_unit"),
        )


def is_current(data: dict[str, Any] | None) -> bool:
    return data is not None and data.get("version") == READING_VERSION


def read_file(path: Path) -> Reading:
    """Read a received workbook once; every way it can fail becomes problems, never an exception."""
    from disclosure.workbook.reader import read_return

    try:
        ret = read_return(path, strict=False)
    except ReturnReadError as exc:
        return Reading(problems=list(exc.problems), fatal=exc.fatal, claimed_unit=exc.unit)
    except OSError as exc:
        problem = Problem(code="not_a_file", message=f"无法打开文件：{exc.strerror or exc}")
        return Reading(problems=[problem], fatal=True)
    return Reading(unit_return=ret, claimed_unit=ret.unit)


def _problem(p: Problem) -> list[Any]:
    return [p.code, p.message, p.sheet, p.cell, p.raw]


def _figure_columns(figures: list[Figure]) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {
        name: [getattr(f, name) for f in figures] for name in _FIGURE_FIELDS if name != "value"
    }
    columns["value"] = [_stored(f.value) for f in figures]
    return columns


def _stored(value: int | Decimal | None) -> int | str | None:
    return str(value) if isinstance(value, Decimal) else value


def _figures(meta: ReturnMeta, stored: dict[str, list[Any]] | list[list[Any]]) -> list[Figure]:
    if isinstance(stored, list):  # version 1: one record per figure (readings kept before columns)
        return [
            Figure(meta.year, meta.unit_code, t, r, c, _number_v1(v, kind), sheet, cell, raw)
            for t, r, c, v, kind, sheet, cell, raw in stored
        ]
    count = len(stored["value"])
    return list(
        map(
            Figure,
            [meta.year] * count,
            [meta.unit_code] * count,
            stored["table"],
            stored["row"],
            stored["column"],
            [Decimal(v) if isinstance(v, str) else v for v in stored["value"]],
            stored["sheet"],
            stored["cell"],
            stored["raw"],
        )
    )


def _number_v1(value: str | None, kind: str | None) -> int | Decimal | None:
    if value is None:
        return None
    return Decimal(value) if kind == "decimal" else int(value)
