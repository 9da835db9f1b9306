"""Airflow local settings of the disclosure deployment: warm task parents.

Airflow imports this module once in every ``airflow`` process, when ``airflow.settings`` initialises (before the
command runs), from ``$AIRFLOW_HOME/config`` or anywhere on ``PYTHONPATH``: docker-compose.yaml mounts this folder
as ``/opt/airflow/config``; ``scripts/airflow-env.sh`` puts it on ``PYTHONPATH`` for ``make run`` and
``make standalone``.

The processes that fork task processes — the scheduler (its LocalExecutor workers are forks of it), the Celery
worker (its pool processes are forks of it) and the DAG processor (one fork per DAG file and callback) — import
what parsing the DAG file imports (:data:`PARSE_MODULES`) and the validation and domain stack, and run the
latter once on tiny generated returns (``disclosure.warm``), so that every task forked from them starts with
Great Expectations, pandas, openpyxl and the domain package imported and warmed instead of paying for it again.
Other processes are left alone: the api-server and triggerer run no task, and ``airflow dags test`` (``make
run``) runs every task inside its own process, where a warm-up would only move the same cost earlier.

``DISCLOSURE_PRELOAD=0`` switches warming off; ``DISCLOSURE_PRELOAD=1`` warms any ``airflow`` process. A failed
warm-up is logged and Airflow starts anyway.
"""

from __future__ import annotations

import os
import sys

# Airflow copies every public name of this module into ``airflow.settings`` (policies, overrides): none here.
__all__: list[str] = []

#: ``airflow <command…>`` whose process forks the task processes.
TASK_PARENTS = (("scheduler",), ("dag-processor",), ("celery", "worker"))

#: What parsing the yearly DAG file imports beyond ``airflow.sdk`` (every DAG file: the timetable base and the
#: TaskFlow decorators; this one: the cron timetable, the sensor decorator and the HITL approval operator).
#: The DAG processor parses in forks, and every task process parses the DAG file again before it runs.
PARSE_MODULES = (
    "airflow.sdk",
    "airflow.timetables.base",
    "airflow.sdk.definitions.timetables.trigger",
    "airflow.sdk.definitions.decorators",
    "airflow.providers.standard.decorators.python",
    "airflow.providers.standard.decorators.branch_python",
    "airflow.providers.standard.decorators.sensor",
    "airflow.providers.standard.operators.hitl",
)


def _command(argv: list[str]) -> tuple[str, ...]:
    return tuple(arg for arg in argv[1:] if not arg.startswith("-"))


def should_warm(argv: list[str] | None = None, environ: dict[str, str] | os._Environ | None = None) -> bool:
    """Whether this ``airflow`` process forks task processes (or warming is forced / switched off)."""
    argv = sys.argv if argv is None else argv
    flag = (os.environ if environ is None else environ).get("DISCLOSURE_PRELOAD", "").strip().lower()
    if flag in {"0", "false", "no", "off"}:
        return False
    if flag in {"1", "true", "yes", "on"}:
        return True
    command = _command(argv)
    return any(command[: len(parent)] == parent for parent in TASK_PARENTS)


def preload_parse_modules() -> None:
    import importlib

    for name in PARSE_MODULES:
        importlib.import_module(name)


def _warm() -> None:
    try:
        preload_parse_modules()
        from disclosure.warm import warm_up

        result = warm_up()
    except Exception as exc:  # never stop Airflow: the tasks then warm themselves
        sys.stderr.write(f"disclosure: warm-up skipped ({type(exc).__name__}: {exc})\n")
        return
    if result.warmed:
        sys.stderr.write(
            f"disclosure: task parent {result.pid} warmed ({', '.join(result.versions)}) in "
            f"{result.seconds:.1f} s, {result.cpu_seconds:.1f} s CPU\n"
        )
    else:
        sys.stderr.write(f"disclosure: warm-up failed, tasks start cold: {result.error}\n")


if should_warm():
    _warm()
