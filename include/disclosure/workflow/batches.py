"""Batches of units: what one mapped instance of the yearly DAG's unit tasks collects.

A run collecting up to the threshold of units (``Settings.chunking``, default 100) has one batch per unit, so the
grid shows one instance per unit labelled «U05 水文环境地质调查院», exactly as a run of a few units always did.
A larger run has batches of ``chunk size`` units in plan order, labelled «U0101–U0200（100 个单位）»: one sensor
poke, one Great Expectations run and one store session serve the whole batch, while every unit keeps its own
submission state, findings and feedback workbook. The one-unit batch is not a special case: the same steps
run over batches of one.

Each batch carries its own label and its units' codes, so no task instance pulls the whole list to find out
what it collects or how it is named, and the status page finds a unit's batch from distribute's list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BatchUnit:
    """One unit of a batch: its code (the key), its name in the grid and messages, its template's path."""

    code: str
    display: str
    template: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "display": self.display, "template": self.template}


@dataclass(frozen=True)
class Batch:
    """The units one mapped instance of the unit tasks collects, with the label it shows in the grid."""

    label: str
    units: tuple[BatchUnit, ...]

    @property
    def codes(self) -> list[str]:
        return [u.code for u in self.units]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON for XCom (what distribute returns, one item per mapped instance)."""
        return {"label": self.label, "units": [u.to_dict() for u in self.units]}

    @classmethod
    def of(cls, batch: Batch | Mapping[str, Any]) -> Batch:
        """A batch from its ``to_dict()`` form, or the batch itself."""
        if isinstance(batch, Batch):
            return batch
        units = tuple(BatchUnit(u["code"], u["display"], u.get("template")) for u in batch["units"])
        return cls(label=str(batch["label"]), units=units)


def batch_label(units: Sequence[BatchUnit]) -> str:
    """«U05 水文环境地质调查院» for one unit; «U0101–U0200（100 个单位）» for several (first and last in plan order)."""
    if len(units) == 1:
        return units[0].display
    return f"{units[0].code}–{units[-1].code}（{len(units)} 个单位）"


def make_batches(units: Sequence[BatchUnit], *, threshold: int, size: int) -> list[Batch]:
    """The run's batches: one per unit up to ``threshold`` units, else consecutive batches of ``size`` units."""
    step = 1 if len(units) <= threshold else size
    groups = [tuple(units[i : i + step]) for i in range(0, len(units), step)]
    return [Batch(label=batch_label(group), units=group) for group in groups]
