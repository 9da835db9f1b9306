"""What the status page needs from Airflow, asked through its public REST API as the logged-in user.

The plugin runs inside the API server, but it still goes through ``/api/v2`` with the caller's own token:
Airflow then applies that user's permissions to every read and to the clear, and records the clear in its
audit log under their name, exactly as if they had clicked in the grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from disclosure_status.config import UNIT_ENTRY_TASK


class AirflowApiError(Exception):
    """Airflow's REST API refused or failed a call; ``status_code`` is passed on to the caller."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


@dataclass(frozen=True)
class UnitTask:
    """One unit's mapped task instance in a run: where the grid shows it and how it stands."""

    unit: str
    task_id: str
    map_index: int
    label: str
    state: str | None


@dataclass(frozen=True)
class RunInfo:
    """The latest run of the yearly DAG for a report year."""

    dag_id: str
    run_id: str
    state: str
    run_after: datetime
    start_date: datetime | None
    end_date: datetime | None
    conf: dict[str, Any]
    units: dict[str, UnitTask]


def _parse_time(raw: str | None) -> datetime | None:
    return datetime.fromisoformat(raw) if raw else None


def unit_code_of(rendered_map_index: str | None) -> str | None:
    """The unit code in a mapped task's label «U05 水文环境地质调查院» (the DAG's ``map_index_template``)."""
    if not rendered_map_index:
        return None
    return rendered_map_index.split(maxsplit=1)[0]


class AirflowApi:
    """A small async client of ``/api/v2`` acting with one user's token."""

    def __init__(
        self, base_url: str, token: str, dag_id: str, *, transport: httpx.AsyncBaseTransport | None = None
    ):
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/api/v2",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            transport=transport,
        )
        self.dag_id = dag_id

    async def __aenter__(self) -> AirflowApi:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._client.request(method, path, **kwargs)
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise AirflowApiError(response.status_code, str(detail))
        return response.json()

    async def runs(self, limit: int = 50) -> list[dict[str, Any]]:
        """The DAG's most recent runs, newest first (none when the DAG is not parsed yet)."""
        body = await self._call(
            "GET", f"/dags/{quote(self.dag_id)}/dagRuns", params={"order_by": "-run_after", "limit": limit}
        )
        return list(body["dag_runs"]) if body else []

    async def unit_tasks(self, run_id: str) -> dict[str, UnitTask]:
        """Each unit's entry task instance in the run, keyed by unit code (from the rendered map index, never
        from list position: a run with ``units=[...]`` maps a subset in its own order)."""
        path = f"/dags/{quote(self.dag_id)}/dagRuns/{quote(run_id, safe='')}/taskInstances/{UNIT_ENTRY_TASK}/listMapped"
        body = await self._call("GET", path, params={"limit": 1000})
        out: dict[str, UnitTask] = {}
        for ti in (body or {}).get("task_instances", []):
            code = unit_code_of(ti.get("rendered_map_index"))
            if code:
                out[code] = UnitTask(
                    unit=code,
                    task_id=ti["task_id"],
                    map_index=ti["map_index"],
                    label=ti.get("rendered_map_index") or code,
                    state=ti.get("state"),
                )
        return out

    async def latest_run(self, year_of_run: Any, year: int) -> RunInfo | None:
        """The newest run whose report year is ``year`` (``year_of_run(run) -> int``), with its unit tasks."""
        for run in await self.runs():
            if year_of_run(run) == year:
                return RunInfo(
                    dag_id=self.dag_id,
                    run_id=run["dag_run_id"],
                    state=run["state"],
                    run_after=datetime.fromisoformat(run["run_after"]),
                    start_date=_parse_time(run.get("start_date")),
                    end_date=_parse_time(run.get("end_date")),
                    conf=run.get("conf") or {},
                    units=await self.unit_tasks(run["dag_run_id"]),
                )
        return None

    async def clear_unit(
        self, run_id: str, task: UnitTask, *, note: str | None = None
    ) -> list[dict[str, Any]]:
        """Clear the unit's entry task and everything downstream of it in that run (its own mapped tasks only,
        then the consolidation and the report): the scheduler runs them again. Returns the cleared instances."""
        body = {
            "dag_run_id": run_id,
            "task_ids": [[task.task_id, task.map_index]],
            "include_downstream": True,
            "include_upstream": False,
            "only_failed": False,
            "dry_run": False,
            "reset_dag_runs": True,
            "note": note,
        }
        result = await self._call("POST", f"/dags/{quote(self.dag_id)}/clearTaskInstances", json=body)
        if result is None:
            raise AirflowApiError(404, f"DAG {self.dag_id} or run {run_id} not found")
        return list(result.get("task_instances", []))
