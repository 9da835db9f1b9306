"""
### 政府信息公开工作年度报告 · annual disclosure report

Collects the units' returns for the **previous year**, validates and consolidates them, renders the bureau's
政府信息公开工作年度报告 and publishes it after the admin's approval. Runs every year on 5 January, 09:00
Asia/Shanghai; the report is due by 31 January (条例 第四十九条).

**Inputs** (trigger form): report year (default: the previous year), units (default: every unit in the
registry), format version (default: chosen by year), returns deadline (default: 15 January, 18:00), approval.
Returns are received from the inbox (`DISCLOSURE_INBOX_URL`, default `<data>/inbox/<year>/`), the CLI or the
unit portal as submissions, recognised by their signed template identity, not by file name, and ordered by when
the system received them, not by file dates.

**Outputs**: templates in `outbox/<year>/`, feedback workbooks in `feedback/<year>/`, the report in
`reports/<year>/` (a marked draft while units are missing), the approved files in `publish/<year>/`.

**Units in batches**: up to `DISCLOSURE_CHUNK_THRESHOLD` units (default 100) the `unit` tasks are mapped once
per unit («U05 水文环境地质调查院»); a larger run maps them over batches of `DISCLOSURE_CHUNK_SIZE` units
(default 100, «U0101–U0200（100 个单位）»): one inbox poll per poke, one Great Expectations run and one store
session per batch. States, findings, feedback workbooks and the status page stay per unit; a batch's
`validate` fails only when none of its files can be accepted, its `accept` accepts every file that passed and
then fails naming each unit whose file did not.

**Re-run one unit** after it resubmitted: on the status page press 重新运行 in the unit's row, or clear its task in the
grid (or `POST /api/v2/dags/annual_disclosure_report/clearTaskInstances` with `[task_id, map_index]` and
`include_downstream`; a unit's map index is its batch's position in `distribute`'s list). A unit whose newest
file was already judged keeps its verdict and is not checked again, so clearing a batch re-checks only the
units that resubmitted; the report is rebuilt, other units are not re-run.
Or trigger with `units=[...]`: only those units are collected, the report still uses every unit's latest
accepted return. The admin's runbook is in the README.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk import DAG, Param, PokeReturnValue, TriggerRule, chain, task, task_group
from disclosure_glue import notify, runtime

# «U05 水文环境地质调查院» (or «U0101–U0200（100 个单位）» for a chunk) in the grid: each unit task names itself
# after the batch it was given (runtime.label_unit), so no task instance pulls distribute's whole list.
UNIT_LABEL = "{{ " + runtime.UNIT_LABEL_KEY + " }}"

with DAG(
    dag_id="annual_disclosure_report",
    dag_display_name="政府信息公开工作年度报告",
    description="政府信息公开工作年度报告：收集、校验、汇总、生成与发布",
    doc_md=__doc__,
    schedule=runtime.YEARLY_SCHEDULE,
    start_date=pendulum.datetime(2025, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    tags=["disclosure", "annual-report", "政府信息公开"],
    default_args={
        "owner": "bureau-office",
        "retries": 2,
        "retry_delay": timedelta(minutes=2),
        "execution_timeout": timedelta(minutes=30),
        "on_failure_callback": notify.AdminFailureNotifier(),
    },
    params={
        "year": Param(
            None,
            type=["null", "integer"],
            minimum=2008,
            maximum=2100,
            title="报告年度（可选）Report year (optional)",
            description="留空为运行日期的上一年度（如 2021 年 1 月运行即 2020 年度）。"
            "Empty: the year before the run date.",
        ),
        # Optional: "null" in the type keeps the form from marking it required (empty means every unit).
        "units": Param(
            None,
            type=["null", "array"],
            items={"type": "string"},
            title="单位（可选）Units (optional)",
            description="只收集这些单位，每行一个单位代码（如 U05）；留空为名册中全部单位。"
            "Unit codes, one per line; empty: every unit in the registry.",
        ),
        "format_version": Param(
            None,
            type=["null", "string"],
            pattern=r"^gov-\d{4}$",
            title="格式版本（可选）Format version (optional)",
            description="留空按年度选择（2019–2020 为 gov-2019，其后为 gov-2021）。Empty: chosen by year.",
        ),
        "deadline": Param(
            None,
            type=["null", "string"],
            format="date",
            title="报送截止日期（可选）Returns deadline (optional)",
            description="留空为次年 1 月 15 日 18:00（北京时间）。Empty: 15 January of the following year, 18:00.",
        ),
        "approval": Param(
            True,
            type="boolean",
            title="发布前审核 Approve before publishing",
            description="开启：报告生成后在 Airflow 的“待办操作”中审核通过才发布；关闭：直接发布（草稿从不发布）。"
            "On: the report waits for approval in Required actions; off: published at once (drafts never are).",
        ),
    },
) as dag:

    @task
    def prepare(params=None, dag_run=None) -> dict:
        """Resolve the year, the units, the format version and the deadline of this run."""
        choices = runtime.run_choices(params)
        return runtime.pipeline().prepare(**choices, run_after=dag_run.run_after).to_dict()

    @task
    def distribute(plan: dict) -> list[dict]:
        """Write each unit's signed template to the outbox, email it with a cover note when SMTP is
        configured; returns the units to collect in batches (one unit each up to the threshold)."""
        return runtime.pipeline().distribute(
            plan, send=notify.template_sender(), store_url=runtime.store_url()
        )

    @task.sensor(mode="reschedule", poke_interval=timedelta(hours=1), timeout=timedelta(days=45))
    def wait_for_missing_reminder(plan: dict, dag_run=None) -> bool:
        """Hold the reminder until two days before the deadline (a manual run reminds at once)."""
        return runtime.reminder_due(plan, dag_run)

    @task
    def remind_missing_units(plan: dict) -> list[str]:
        """Tell the admin which units have not returned anything yet."""
        return runtime.notify_missing(plan)

    @task.sensor(
        mode="reschedule",
        poke_interval=timedelta(hours=1),
        timeout=timedelta(days=45),
        map_index_template=UNIT_LABEL,
    )
    def wait_for_return(plan: dict, batch: dict, dag_run=None) -> PokeReturnValue:
        """Poll the inbox until every unit of the batch has sent a return (a manual run checks once); at the
        deadline go on with those that have, skip when none has. Passes on the newest submission ids."""
        runtime.label_unit(batch)
        return runtime.poke_for_returns(plan, batch, dag_run)

    @task(map_index_template=UNIT_LABEL)
    def validate(plan: dict, batch: dict, submissions: dict) -> dict:
        """Check the batch's newest submissions (signed identity, then the format's rules, one GX run), each
        unit's feedback workbook on errors; fail without retrying when none can be accepted."""
        runtime.label_unit(batch)
        return runtime.check_returns(plan, batch, submissions)

    @task(map_index_template=UNIT_LABEL)
    def accept(plan: dict, batch: dict, checked: dict) -> list[str]:
        """Make the passed submissions' figures their units' current returns; then fail without retrying
        naming each unit of the batch whose file did not pass."""
        runtime.label_unit(batch)
        return runtime.accept_returns(plan, checked)

    @task_group(group_id="unit")
    def collect(plan: dict, batch: dict) -> None:
        """A batch of units (one unit up to the threshold): wait (receive) → validate → accept."""
        accept(plan, batch, validate(plan, batch, wait_for_return(plan, batch)))

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def consolidate(plan: dict) -> dict:
        """Sum every unit's latest accepted return (a marked draft when units are missing)."""
        return runtime.pipeline().consolidate(plan, store_url=runtime.store_url())

    @task
    def render(plan: dict, totals: dict) -> dict:
        """Render the report (.docx, .html, .xlsx, totals CSV, PDF with LibreOffice) into reports/<year>/; a
        missing or wrong narrative fails without retrying and names the file to write."""
        return runtime.render(plan, totals)

    @task.branch
    def choose_publication(totals: dict, params=None) -> list[str]:
        """Drafts are not published; the rest is published after approval when asked for."""
        return runtime.publication_route(totals, params)

    approve_report = ApprovalOperator(
        task_id="approve_report",
        subject="请审核{{ ti.xcom_pull(task_ids='prepare')['year'] }}年度政府信息公开工作年度报告",
        body=(
            "汇总报告已生成。请查看以下文件，选择 Approve 发布到 publish 目录，或 Reject 不发布：\n\n"
            "{% for path in ti.xcom_pull(task_ids='render').values() %}- `{{ path }}`\n{% endfor %}"
        ),
        response_timeout=timedelta(days=14),
    )

    @task(trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    def publish(plan: dict, rendered: dict, totals: dict) -> list[str]:
        """Publish the final report files to publish/<year>/ (a new revision when a published report changed)."""
        return runtime.pipeline().publish(
            plan["year"], rendered, run_id=totals["run"], store_url=runtime.store_url()
        )

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def notify_admin(plan: dict) -> str:
        """Send the admin the year's status: accepted, failed and missing units, where the report is."""
        return runtime.notify_status(plan)

    @task(trigger_rule=TriggerRule.ALL_DONE, retries=0)
    def check_complete(plan: dict) -> None:
        """Fail the run when a unit failed or is missing, so the run's state tells the truth."""
        runtime.check_complete(plan)

    plan = prepare()
    distributed = distribute(plan)
    units = collect.partial(plan=plan).expand(batch=distributed)
    totals = consolidate(plan)
    rendered = render(plan, totals)
    route = choose_publication(totals)
    published = publish(plan, rendered, totals)
    chain(distributed, units, totals, rendered, route, approve_report, published)
    route >> published
    chain(plan, wait_for_missing_reminder(plan), remind_missing_units(plan))
    chain([route, published], notify_admin(plan), check_complete(plan))
