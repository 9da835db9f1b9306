"""What the status page needs from Airflow, asked through its public REST API as the logged-in user.

The plugin runs inside the API server, but it still goes through ``/api/v2`` with the caller's own token:
Airflow then applies that user's permissions to every read and to the clear, and records the clear in its
audit log under their name, exactly as if they had clicked in the grid.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from disclosure_status.config import DISTRIBUTE_TASK, UNIT_ENTRY_TASK


class AirflowApiError(Exception):
    """Airflow's REST API refused or failed a call; ``status_code`` is passed on to the caller."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


#: task states that need the admin's eye, most urgent first: the page points at that task of the unit
ATTENTION = ("failed", "upstream_failed", "up_for_retry", "running", "up_for_reschedule", "deferred", "queued",
             "scheduled")  # fmt: skip


@dataclass(frozen=True)
class UnitTask:
    """One unit's mapped tasks in a run: the entry task (what a re-run clears) and the task to look at (the
    failed or running one, else the last one that ran), with its state."""

    unit: str
    task_id: str
    map_index: int
    label: str
    state: str | None
    focus_task_id: str
    focus_state: str | None


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
    waiting: str | None = None  # why a queued run has not started, in Chinese


def _parse_time(raw: str | None) -> datetime | None:
    return datetime.fromisoformat(raw) if raw else None


def _focus(instances: list[dict[str, Any]], entry: dict[str, Any]) -> dict[str, Any]:
    """The unit's task the admin should look at: the most urgent one needing attention, else the last one
    that finished (``accept`` when all went well), else the entry task (e.g. skipped: nothing received)."""
    for state in ATTENTION:
        for ti in instances:
            if ti.get("state") == state:
                return ti
    finished = [ti for ti in instances if ti.get("end_date") and ti.get("state") == "success"]
    return max(finished, key=lambda ti: ti["end_date"], default=entry)


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

    async def task_instances(self, run_id: str) -> list[dict[str, Any]]:
        """Every task instance of the run (page by page: the API caps a page at ``maximum_page_limit``)."""
        path = f"/dags/{quote(self.dag_id)}/dagRuns/{quote(run_id, safe='')}/taskInstances"
        out: list[dict[str, Any]] = []
        while True:
            body = await self._call("GET", path, params={"limit": 100, "offset": len(out)})
            batch = list((body or {}).get("task_instances", []))
            out += batch
            if not batch or len(out) >= (body or {}).get("total_entries", 0):
                return out

    async def batches(self, run_id: str) -> list[dict[str, Any]]:
        """The run's batches of units as ``distribute`` returned them (one per mapped instance of the unit tasks,
        each with its units' codes); none before distribute has run."""
        path = (
            f"/dags/{quote(self.dag_id)}/dagRuns/{quote(run_id, safe='')}/taskInstances/"
            f"{quote(DISTRIBUTE_TASK)}/xcomEntries/return_value"
        )
        body = await self._call("GET", path)
        value = (body or {}).get("value")
        if isinstance(value, str):  # the API hands back the stored JSON as text or as a value, by backend
            value = json.loads(value)
        return list(value or [])

    async def unit_tasks(self, run_id: str) -> dict[str, UnitTask]:
        """Each unit's tasks in the run, keyed by unit code: the mapped instances of the batch that collects the
        unit (its position in distribute's list is its map index; one unit per batch up to the threshold, a chunk
        above it), never a code parsed back out of a grid label."""
        from disclosure.workflow.batches import Batch

        group = UNIT_ENTRY_TASK.split(".", 1)[0] + "."
        instances = [
            ti
            for ti in await self.task_instances(run_id)
            if ti["task_id"].startswith(group) and ti.get("map_index", -1) >= 0
        ]
        entries = {ti["map_index"]: ti for ti in instances if ti["task_id"] == UNIT_ENTRY_TASK}
        out: dict[str, UnitTask] = {}
        for index, raw in enumerate(await self.batches(run_id)):
            entry = entries.get(index)
            if entry is None:
                continue
            batch = Batch.of(raw)
            mine = [ti for ti in instances if ti["map_index"] == index]
            focus = _focus(mine, entry)
            for code in batch.codes:
                out[code] = UnitTask(
                    unit=code,
                    task_id=entry["task_id"],
                    map_index=index,
                    label=entry.get("rendered_map_index") or batch.label,
                    state=entry.get("state"),
                    focus_task_id=focus["task_id"],
                    focus_state=focus.get("state"),
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
                    waiting=await self.why_queued(run["dag_run_id"]) if run["state"] == "queued" else None,
                )
        return None

    async def why_queued(self, run_id: str) -> str:
        """Why a queued run has not started: the DAG is switched off, or other runs use up its
        ``max_active_runs``, or the scheduler simply has not picked it up yet."""
        dag = await self._call("GET", f"/dags/{quote(self.dag_id)}") or {}
        if dag.get("is_paused"):
            return "该 DAG 已暂停：在 Airflow 的 DAG 页面打开开关（或运行 airflow dags unpause）后才会开始"
        limit = dag.get("max_active_runs") or 1
        body = await self._call(
            "GET", f"/dags/{quote(self.dag_id)}/dagRuns", params={"state": "running", "limit": 20}
        )
        running = [r["dag_run_id"] for r in (body or {}).get("dag_runs", []) if r["dag_run_id"] != run_id]
        if len(running) >= limit:
            return (
                f"排队中：该 DAG 同时只运行 {limit} 次，正在等待运行 {'、'.join(running)} 结束"
                "（不需要它时，可在 Airflow 中将其标记为失败）"
            )
        return "排队中：等待调度器开始运行"

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
