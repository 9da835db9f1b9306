"""The status page's FastAPI app, mounted by the plugin under ``/disclosure``.

Routes (all behind Airflow's login, see ``auth``):

- ``GET  status``                          the page «年报填报进度» (HTML, Chinese)
- ``GET  api/status?year=Y``               the same data as JSON
- ``POST api/units/{unit}/rerun?year=Y``   re-run one unit: clears its task instance in the year's latest run
- ``GET  files/feedback/{year}/{name}``    a unit's feedback workbook
- ``GET  files/reports/{year}/{name}``     a rendered report file

The business data is the year's one status summary (``disclosure.status``, also behind ``disclosure status``,
the admin's emails and the run's final check); Airflow is asked only where the units' task instances are (grid
links, the clear call) and why a run waits, through its REST API as the logged-in user. Times are shown in the
bureau's zone (``DISCLOSURE_TIMEZONE``, default Asia/Shanghai), labelled.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import jinja2
from airflow.api_fastapi.app import API_ROOT_PATH, get_auth_manager
from fastapi import FastAPI, HTTPException, Query, Request, status
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from markupsafe import escape
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from disclosure_status.airflow_api import AirflowApi, AirflowApiError, RunInfo
from disclosure_status.auth import Operator, Reader, Token
from disclosure_status.config import api_url_override, dag_id

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parent / "templates"
YearQuery = Query(None, ge=2008, le=2100, description="报告年度；留空为最近一次运行的年度")

app = FastAPI(title="年报填报进度", docs_url=None, redoc_url=None, openapi_url=None)


class RerunRequest(BaseModel):
    """Body of a re-run: the run the page showed, so a re-run never lands on a newer run by surprise."""

    dag_run_id: str


# ---- the domain side -------------------------------------------------------------------------------------


@cache
def _store(url: str, archive: str) -> Any:
    from disclosure.store import Store

    store = Store.from_url(url, archive_dir=Path(archive))
    store.upgrade()  # a fresh data folder: an empty store is a year where nobody has reported yet
    return store


def _domain() -> tuple[Any, Any, Any]:
    from disclosure.registry import load_registry
    from disclosure.settings import get_settings

    settings = get_settings()
    return settings, load_registry(settings.units_file), _store(settings.store_url, str(settings.archive))


def _build_summary(year: int, deadline: Any) -> Any:
    from disclosure.status import deadline_from, year_summary

    settings, registry, store = _domain()
    return year_summary(
        year, store=store, registry=registry, settings=settings, deadline=deadline_from(deadline, year)
    )


def year_of_run(run: dict[str, Any]) -> int:
    """A run's report year: its ``year`` choice, else the year before it was due to run (the DAG's rule)."""
    from disclosure.workflow.calendar import default_year

    conf = run.get("conf") or {}
    if conf.get("year"):
        return int(conf["year"])
    return default_year(datetime.fromisoformat(run["run_after"]))


def _this_year() -> int:
    from disclosure.workflow.calendar import default_year

    return default_year(datetime.now(UTC))


# ---- the Airflow side -------------------------------------------------------------------------------------


def _root() -> str:
    return API_ROOT_PATH.rstrip("/")


def _api(request: Request, token: str) -> AirflowApi:
    base = api_url_override() or f"{request.url.scheme}://{request.url.netloc}{_root()}"
    return AirflowApi(base, token, dag_id())


def grid_url(run_id: str, task_id: str | None = None, map_index: int | None = None) -> str:
    url = f"{_root()}/dags/{quote(dag_id())}/runs/{quote(run_id, safe=':+')}"
    if task_id is not None:
        url += f"/tasks/{quote(task_id)}"
        if map_index is not None and map_index >= 0:
            url += f"/mapped/{map_index}"
    return url


async def _airflow_side(
    request: Request, token: str, year: int | None
) -> tuple[int, RunInfo | None, str | None]:
    """(report year, the year's latest run or None, why Airflow could not be asked)."""
    try:
        async with _api(request, token) as api:
            if year is None:
                runs = await api.runs(limit=1)
                year = year_of_run(runs[0]) if runs else _this_year()
            return year, await api.latest_run(year_of_run, year), None
    except (AirflowApiError, httpx.HTTPError) as exc:  # the page still shows the store's side
        log.warning("status page: cannot read runs of %s: %s", dag_id(), exc)
        return year or _this_year(), None, str(exc) or type(exc).__name__


def _airflow_dict(run: RunInfo | None) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
    if run is None:
        return None, {}
    tasks = {
        code: {
            "task_id": t.task_id,
            "map_index": t.map_index,
            "label": t.label,
            "state": t.state,
            "focus_task_id": t.focus_task_id,
            "focus_state": t.focus_state,
            "grid_url": grid_url(run.run_id, t.focus_task_id, t.map_index),
        }
        for code, t in run.units.items()
    }
    summary = {
        "dag_id": run.dag_id,
        "run_id": run.run_id,
        "state": run.state,
        "run_after": run.run_after.isoformat(),
        "start_date": run.start_date.isoformat() if run.start_date else None,
        "end_date": run.end_date.isoformat() if run.end_date else None,
        "grid_url": grid_url(run.run_id),
        "waiting": run.waiting,
    }
    return summary, tasks


async def _page_data(request: Request, token: str, year: int | None) -> tuple[Any, dict[str, Any]]:
    year, run, error = await _airflow_side(request, token, year)
    summary = await asyncio.to_thread(_build_summary, year, run.conf.get("deadline") if run else None)
    run_dict, tasks = _airflow_dict(run)
    return summary, {"run": run_dict, "tasks": tasks, "airflow_error": error, "dag_id": dag_id()}


# ---- routes -----------------------------------------------------------------------------------------------


@cache
def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["figure"] = lambda v: "" if v is None else str(v)
    return env


def _can_rerun(user: Any) -> bool:
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails

    return get_auth_manager().is_authorized_dag(
        method="PUT", access_entity=DagAccessEntity.TASK_INSTANCE, details=DagDetails(id=dag_id()), user=user
    )


@app.get("/status", response_class=HTMLResponse, summary="年报填报进度页面")
async def status_page(
    request: Request, user: Reader, token: Token, year: int | None = YearQuery
) -> HTMLResponse:
    summary, airflow = await _page_data(request, token, year)
    html = (
        _templates()
        .get_template("status.html.j2")
        .render(summary=summary, can_rerun=_can_rerun(user), **airflow)
    )
    return HTMLResponse(html)


@app.get("/api/status", summary="年报填报进度（JSON）")
async def status_json(
    request: Request, user: Reader, token: Token, year: int | None = YearQuery
) -> dict[str, Any]:
    summary, airflow = await _page_data(request, token, year)
    data = summary.to_dict()
    for unit in data["units"]:
        unit["task"] = airflow["tasks"].get(unit["unit"])
    data["airflow"] = airflow["run"]
    data["airflow_error"] = airflow["airflow_error"]
    return data


@app.post("/api/units/{unit}/rerun", summary="重新运行一个单位")
async def rerun_unit(
    request: Request,
    unit: str,
    body: RerunRequest,
    user: Operator,
    token: Token,
    year: int = Query(ge=2008, le=2100),
) -> dict[str, Any]:
    async with _api(request, token) as api:
        try:
            run = await api.latest_run(year_of_run, year)
            if run is None or run.run_id != body.dag_run_id:
                raise HTTPException(
                    status.HTTP_409_CONFLICT,
                    f"{year} 年度的最近一次运行已不是 {body.dag_run_id}，请刷新页面后重试",
                )
            task = run.units.get(unit)
            if task is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"运行 {run.run_id} 中没有单位 {unit} 的任务")
            cleared = await api.clear_unit(
                run.run_id, task, note=f"年报填报进度页面：为 {unit} 重新运行 {task.label}"
            )
        except AirflowApiError as exc:
            raise HTTPException(exc.status_code, f"Airflow 拒绝了请求：{exc.detail}") from exc
    log.info("status page: %s re-ran %s in %s", user.get_name(), task.label, run.run_id)
    return {
        "unit": unit,
        "dag_run_id": run.run_id,
        "task_id": task.task_id,
        "map_index": task.map_index,
        "cleared": [
            {"task_id": ti.get("task_id"), "map_index": ti.get("map_index"), "state": ti.get("state")}
            for ti in cleared
        ],
    }


def _data_file(folder: Path, name: str) -> FileResponse:
    """A file directly inside ``folder`` (no path tricks), downloaded under its own name."""
    path = (folder / name).resolve()
    if Path(name).name != name or path.parent != folder.resolve() or not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"文件不存在：{name}")
    return FileResponse(path, filename=path.name)


@app.get("/files/feedback/{year}/{name}", summary="下载反馈表")
def feedback_download(user: Reader, year: int, name: str) -> FileResponse:
    from disclosure.settings import get_settings

    return _data_file(get_settings().feedback(year), name)


@app.get("/files/reports/{year}/{name}", summary="下载报告文件")
def report_download(user: Reader, year: int, name: str) -> FileResponse:
    from disclosure.settings import get_settings

    return _data_file(get_settings().reports(year), name)


@app.exception_handler(StarletteHTTPException)
async def _explain(request: Request, exc: StarletteHTTPException) -> HTMLResponse | JSONResponse:
    """A browser that is not logged in gets a short Chinese page with the login link; API clients get JSON."""
    if exc.status_code in (401, 403) and "text/html" in request.headers.get("accept", ""):
        login = get_auth_manager().get_url_login(next_url=str(request.url))
        message = "请先登录 Airflow" if exc.status_code == 401 else "您没有查看年报填报进度的权限"
        body = (
            '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>年报填报进度</title>'
            f'<p>{message}。<a href="{escape(login)}" target="_top">登录</a></p></html>'
        )
        return HTMLResponse(body, status_code=exc.status_code)
    return JSONResponse(
        {"detail": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None)
    )
