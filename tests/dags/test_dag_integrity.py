"""The yearly DAG parses, and it is declared the way the runbook promises: schedule, Params, owner, retries,
timeouts, tags, unit-labelled mapped tasks, the run-failing leaf."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.dags.conftest import DAG_FILE, DAG_ID, DAGS_DIR

pytestmark = pytest.mark.dags


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR))


@pytest.fixture(scope="module")
def dag(dagbag):
    return dagbag.dags[DAG_ID]


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert DAG_ID in dagbag.dag_ids


def test_only_the_dag_file_is_a_dag(dagbag):
    assert dagbag.dag_ids == [DAG_ID]


def test_doc_md_is_the_module_docstring(dag):
    import ast

    docstring = ast.get_docstring(ast.parse(DAG_FILE.read_text(encoding="utf-8")), clean=False)
    assert dag.doc_md.strip() == docstring.strip()
    assert "clearTaskInstances" in dag.doc_md  # how to re-run a unit


def test_tags_and_yearly_schedule_in_beijing_time(dag):
    assert "disclosure" in dag.tags
    assert dag.timetable.expression == "0 9 5 1 *"  # 5 January, 09:00
    assert str(getattr(dag.timetable.timezone, "name", dag.timetable.timezone)) == "Asia/Shanghai"
    assert dag.catchup is False


def test_params_form(dag):
    params = dag.params
    assert set(params.keys()) == {"year", "units", "format_version", "deadline", "approval"}
    for name in params:
        schema = params.get_param(name).schema
        assert schema.get("title"), name
        assert params.get_param(name).description, name
    assert params["year"] is None  # the previous year, resolved when the run starts
    assert params["units"] is None  # every unit
    # optional fields are not marked required in the form (Airflow's UI: a type without "null" is required)
    for name in ("year", "units", "format_version", "deadline"):
        assert "null" in params.get_param(name).schema["type"], name
        assert "可选" in params.get_param(name).schema["title"], name
    assert dag.dag_display_name == "政府信息公开工作年度报告"
    assert params["approval"] is True  # scheduled runs wait for the admin's approval


def test_every_task_has_owner_retries_and_timeout(dag):
    no_retry = {"check_complete"}  # the verdict: retrying cannot change it
    assert dag.default_args["retries"] >= 1
    for task in dag.tasks:
        assert task.owner == "bureau-office", task.task_id
        assert task.execution_timeout is not None and task.execution_timeout <= timedelta(hours=1), (
            task.task_id
        )
        expected = 0 if task.task_id in no_retry else dag.default_args["retries"]
        assert task.retries == expected, task.task_id
        assert task.on_failure_callback, task.task_id


def test_sensors_wait_in_reschedule_mode_with_a_timeout(dag):
    for task_id in ("unit.wait_for_return", "wait_for_missing_reminder"):
        sensor = dag.get_task(task_id)
        assert sensor.mode == "reschedule"
        assert sensor.timeout <= timedelta(days=60).total_seconds()


def test_unit_tasks_are_mapped_and_named_after_the_unit(dag):
    unit_tasks = [t for t in dag.tasks if t.task_id.startswith("unit.")]
    assert [t.task_id for t in unit_tasks] == [
        "unit.wait_for_return",
        "unit.validate",
        "unit.accept",
    ]
    group = dag.task_group_dict["unit"]
    assert type(group).__name__ == "MappedTaskGroup"
    for task in unit_tasks:
        # the label comes with the mapped batch (runtime.label_unit); pulling distribute's whole list would
        # cost O(units) in every instance
        assert task.map_index_template == "{{ unit_label }}"


def test_consolidation_waits_for_every_unit_and_the_verdict_is_last(dag):
    from airflow.sdk import TriggerRule

    assert dag.get_task("consolidate").trigger_rule == TriggerRule.ALL_DONE
    assert dag.get_task("consolidate").upstream_task_ids >= {"unit.accept"}
    final = dag.get_task("check_complete")
    assert final.trigger_rule == TriggerRule.ALL_DONE
    assert final.downstream_task_ids == set()
    assert "approve_report" in dag.get_task("publish").upstream_task_ids
