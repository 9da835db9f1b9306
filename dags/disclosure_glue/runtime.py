"""What the yearly DAG's task bodies call: Airflow-side decisions around the domain steps in
``disclosure.pipeline`` (store URL and secret key from connections, inbox as an object-storage path, sensor
outcomes, the run plan in and out of XCom, branch routes, the final verdict). Module level imports nothing heavy
and reads nothing.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from airflow.sdk import CronTriggerTimetable, PokeReturnValue
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

log = logging.getLogger(__name__)

#: 5 January, 09:00 Beijing time: templates go out, returns are due mid-January, the report by 31 January.
YEARLY_SCHEDULE = CronTriggerTimetable("0 9 5 1 *", timezone="Asia/Shanghai")

STORE_CONN_ID = "disclosure_store"
SECRET_KEY_CONN_ID = "disclosure_secret_key"
SECRET_KEY_ENV = "DISCLOSURE_SECRET_KEY"
INBOX_URL_ENV = "DISCLOSURE_INBOX_URL"


#: The context variable a unit task's ``map_index_template`` shows in the grid.
UNIT_LABEL_KEY = "unit_label"


def label_unit(batch: dict) -> None:
    """Name this mapped task instance in the grid after the units it was given: «U05 水文环境地质调查院» for one
    unit, «U0101–U0200（100 个单位）» for a chunk. The label comes with the batch, so no instance pulls the
    whole list to find its own."""
    from airflow.sdk import get_current_context

    get_current_context()[UNIT_LABEL_KEY] = batch["label"]


def pipeline() -> ModuleType:
    """The domain facade, imported when a task runs (never at parse time). The bureau's secret key (which
    signs and verifies the templates) is taken from its connection first, when one is defined."""
    import disclosure.pipeline

    load_secret_key()
    return disclosure.pipeline


def load_secret_key() -> None:
    """Fill ``DISCLOSURE_SECRET_KEY`` from the connection ``disclosure_secret_key`` (its password: one key, or
    several newest first separated by commas) when it exists and the variable is not set already."""
    if os.environ.get(SECRET_KEY_ENV):
        return
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = BaseHook.get_connection(SECRET_KEY_CONN_ID)
    except AirflowNotFoundException:
        return
    if conn.password:
        os.environ[SECRET_KEY_ENV] = conn.password


def plan_of(plan: dict) -> Any:
    """The typed run plan from its XCom form."""
    return pipeline().RunPlan.of(plan)


def run_choices(params: dict[str, Any]) -> dict[str, Any]:
    """The run's Params as the arguments of ``pipeline.prepare``."""
    return {key: params.get(key) for key in ("year", "units", "format_version", "deadline")}


def store_url() -> str | None:
    """SQLAlchemy URL of the report store: the ``disclosure_store`` connection when defined, else None
    (the domain then uses ``DISCLOSURE_STORE_URL`` or the SQLite file in the data folder)."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = BaseHook.get_connection(STORE_CONN_ID)
    except AirflowNotFoundException:
        return None
    return connection_to_sqlalchemy_url(conn)


def connection_to_sqlalchemy_url(conn: Any) -> str:
    """``extra.url`` when given; else built from the connection's fields (postgres or sqlite)."""
    extra = conn.extra_dejson or {}
    if extra.get("url"):
        return str(extra["url"])
    if conn.conn_type == "sqlite":
        return f"sqlite:///{conn.host}"
    if conn.conn_type in {"postgres", "postgresql"}:
        from sqlalchemy.engine import URL

        return URL.create(
            "postgresql+psycopg2",
            username=conn.login or None,
            password=conn.password or None,
            host=conn.host or None,
            port=conn.port or None,
            database=conn.schema or None,
        ).render_as_string(hide_password=False)
    raise AirflowFailException(
        f"连接 {STORE_CONN_ID} 的类型 {conn.conn_type!r} 不受支持（postgres、sqlite 或 extra.url）"
    )


def inbox(year: int) -> Any | None:
    """The year's inbox: ``$DISCLOSURE_INBOX_URL/<year>`` as an object-storage path (``s3://conn_id@bucket/…``,
    ``sftp://conn_id@/…``, ``file:///mnt/share/…``) when set, else None (the data folder's ``inbox/<year>``)."""
    url = os.environ.get(INBOX_URL_ENV)
    if not url:
        return None
    from airflow.sdk import ObjectStoragePath

    return ObjectStoragePath(url.rstrip("/")) / str(year)


def is_manual(dag_run: Any) -> bool:
    return str(getattr(dag_run.run_type, "value", dag_run.run_type)) == "manual"


def batch_codes(batch: dict) -> list[str]:
    """The unit codes of one mapped instance's batch (distribute's item), in plan order."""
    return [unit["code"] for unit in batch["units"]]


def poke_for_returns(plan: dict, batch: dict, dag_run: Any) -> PokeReturnValue:
    """One inbox poll, then the batch's units' newest submissions in one query. Done with ``{unit: submission
    id}`` once every unit of the batch has sent something; at the deadline (a manual run: at once) done with
    the units that have; skipped when none has, so a missing unit shows as skipped and a wrong return as
    failed."""
    run = plan_of(plan)
    wanted = batch_codes(batch)
    newest = pipeline().newest_submissions(run, wanted, inbox=inbox(run.year), store_url=store_url())
    sent = {code: newest[code].id for code in wanted if code in newest}
    if len(sent) == len(wanted):
        return PokeReturnValue(is_done=True, xcom_value=sent)
    if not (is_manual(dag_run) or datetime.now(UTC) >= run.deadline):
        return PokeReturnValue(is_done=False)
    if not sent:
        raise AirflowSkipException(
            f"未收到 {batch['label']} 的 {run.year} 年度报表（报送截止：{plan['deadline']}）"
        )
    log.warning("未收到 %s 的 %d 年度报表", "、".join(c for c in wanted if c not in sent), run.year)
    return PokeReturnValue(is_done=True, xcom_value=sent)


def check_returns(plan: dict, batch: dict, submissions: dict[str, int]) -> dict:
    """Check the batch's newest submissions in one GX run; when none of them can be accepted, the task fails
    without retries (the units must correct their files)."""
    run = plan_of(plan)
    return data_errors_fail(
        "check_returns", run, batch_codes(batch), submissions, inbox=inbox(run.year), store_url=store_url()
    )


def accept_returns(plan: dict, checked: dict) -> list[str]:
    """Accept the batch's passed submissions; then fail without retries naming each unit that did not pass."""
    return data_errors_fail("accept_returns", plan_of(plan), checked, store_url=store_url())


def render(plan: dict, totals: dict) -> dict:
    """Render the report; a missing or wrong narrative fails without retries, naming the file to write."""
    return data_errors_fail("render", plan_of(plan), totals, store_url=store_url())


def data_errors_fail(step: str, *args: Any, **kwargs: Any) -> Any:
    """Run a step of the pipeline; a data error (a unit must fix its file, the office its narrative) fails the
    task without retries, anything else (disk, database, network) is left to the task's retries.

    The data error is logged as it reads: one line per finding, the feedback workbook's path last; the
    failure itself then carries only its first line (no chained exception repeating the findings)."""
    from disclosure.errors import ReportError, ReturnInvalid

    domain = pipeline()
    try:
        return getattr(domain, step)(*args, **kwargs)
    except (ReturnInvalid, ReportError) as exc:
        text = exc.summary if isinstance(exc, ReturnInvalid) else str(exc)
        for line in text.splitlines():
            log.error("%s", line)
        failure = AirflowFailException(f"数据错误（不重试）：{text.splitlines()[0]}")
        failure.details = text  # the whole text, for the admin's failure email
        raise failure from None


def reminder_due(plan: dict, dag_run: Any) -> bool:
    """True from two days before the deadline on; at once for a manual run."""
    return is_manual(dag_run) or datetime.now(UTC) >= plan_of(plan).reminder_time


def notify_missing(plan: dict) -> list[str]:
    from disclosure_glue.notify import send_to_admin

    run = plan_of(plan)
    missing = pipeline().missing_units(run, inbox=inbox(run.year), store_url=store_url())
    send_to_admin(*pipeline().reminder_message(run, missing))
    return missing


def notify_status(plan: dict) -> str:
    from disclosure_glue.notify import send_to_admin

    subject, body = pipeline().status_message(plan_of(plan), store_url=store_url())
    send_to_admin(subject, body)
    return subject


def publication_route(totals: dict, params: dict[str, Any]) -> list[str]:
    """A draft (units missing) is not published; otherwise publish, after approval when asked for."""
    if totals.get("draft"):
        return ["notify_admin"]
    if params.get("approval"):
        return ["approve_report", "publish", "notify_admin"]
    return ["publish", "notify_admin"]


def check_complete(plan: dict) -> None:
    """Fail the run unless the year is finished (the year's status summary: every unit's latest file 已采用,
    the totals up to date), so the run's state tells the truth, in the words of the status page."""
    verdict = pipeline().completeness(plan_of(plan), store_url=store_url())
    if verdict:
        raise AirflowFailException(verdict)
