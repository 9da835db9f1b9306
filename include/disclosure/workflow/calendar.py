"""A run's calendar and choices: which report year, which units, which format, until when.

The plan crosses task boundaries as a small typed record; Airflow's XCom carries ``RunPlan.to_dict()`` (plain
JSON), and each task turns it back with ``RunPlan.of``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from disclosure.errors import DisclosureError

BUREAU_TZ = ZoneInfo("Asia/Shanghai")
#: Returns are due on this day of January of the following year unless the run says otherwise.
DEFAULT_DEADLINE_DAY = 15
DEADLINE_TIME = time(18, 0)
#: Reminder of missing units this long before the deadline.
REMINDER_LEAD = timedelta(days=2)


@dataclass(frozen=True)
class PlanUnit:
    """A unit collected by the run: its code (the key) and its label in the grid (``U05 水文环境地质调查院``)."""

    code: str
    display: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "display": self.display}


@dataclass(frozen=True)
class RunPlan:
    """One run's resolved choices."""

    year: int
    format_version: str
    deadline: datetime
    units: tuple[PlanUnit, ...]
    all_units: tuple[str, ...]  # every reporting unit of the registry (the report needs them all)

    @property
    def codes(self) -> list[str]:
        return [u.code for u in self.units]

    @property
    def reminder_time(self) -> datetime:
        return self.deadline - REMINDER_LEAD

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON for XCom (and the DAG's templates: ``xcom_pull('prepare')['year']``)."""
        return {
            "year": self.year,
            "format_version": self.format_version,
            "deadline": self.deadline.isoformat(),
            "units": [u.to_dict() for u in self.units],
            "all_units": list(self.all_units),
        }

    @classmethod
    def of(cls, plan: RunPlan | Mapping[str, Any]) -> RunPlan:
        """A plan from its ``to_dict()`` form (what a task pulls from XCom), or the plan itself."""
        if isinstance(plan, RunPlan):
            return plan
        return cls(
            year=int(plan["year"]),
            format_version=str(plan["format_version"]),
            deadline=datetime.fromisoformat(plan["deadline"]),
            units=tuple(PlanUnit(u["code"], u["display"]) for u in plan["units"]),
            all_units=tuple(plan.get("all_units") or [u["code"] for u in plan["units"]]),
        )


def default_year(run_after: datetime) -> int:
    """The report year of a run started at ``run_after``: the previous calendar year, in Beijing time."""
    return run_after.astimezone(BUREAU_TZ).year - 1


def default_deadline(year: int) -> datetime:
    return datetime.combine(date(year + 1, 1, DEFAULT_DEADLINE_DAY), DEADLINE_TIME, tzinfo=BUREAU_TZ)


def parse_deadline(raw: str | None, year: int) -> datetime:
    """A date (``2021-01-15``, end of that working day) or an ISO timestamp; naive times are Beijing time."""
    if not raw:
        return default_deadline(year)
    try:
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), DEADLINE_TIME, tzinfo=BUREAU_TZ)
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise DisclosureError(f"报送截止日期格式不正确：{raw!r}（应为 2021-01-15）") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=BUREAU_TZ)


def prepare(
    *,
    year: int | None,
    units: Iterable[str] | None,
    format_version: str | None,
    deadline: str | None,
    run_after: datetime,
) -> RunPlan:
    """Resolve a run's choices: the report year, the units to collect, the format version, the deadline.

    ``units`` empty means every reporting unit of the registry; an unknown code is an error (not ignored).
    """
    from disclosure.formats import spec_for_year
    from disclosure.registry import load_registry

    year = int(year) if year else default_year(run_after)
    registry = load_registry()
    wanted = [u.strip() for u in (units or []) if u and u.strip()]
    codes = registry.reporting_codes()
    unknown = [c for c in wanted if c not in codes]
    if unknown:
        raise DisclosureError(f"单位代码不在名册中：{'、'.join(unknown)}（名册：{'、'.join(codes)}）")
    selected = [c for c in codes if c in wanted] if wanted else codes
    spec = spec_for_year(year, format_version or None)
    return RunPlan(
        year=year,
        format_version=spec.version,
        deadline=parse_deadline(deadline, year),
        units=tuple(PlanUnit(c, display(registry, c)) for c in selected),
        all_units=tuple(codes),
    )


def display(registry, code: str) -> str:
    """``U05 水文环境地质调查院``: how a unit (or the bureau) is named in the grid and in messages."""
    if code == registry.bureau.code:
        return f"{code} {registry.bureau.short_name or registry.bureau.name}"
    return registry.unit(code).display


def displays(codes: Iterable[str]) -> list[str]:
    from disclosure.registry import load_registry

    registry = load_registry()
    return [display(registry, c) if c in registry.reporting_codes() else c for c in codes]
