"""Nothing heavy happens when the scheduler parses the DAG file: no pandas / GX / openpyxl / domain imports,
no file reads, no Variable or connection look-ups. Each check runs the import in a fresh interpreter, after
importing what any DAG file of this Airflow pays for anyway (the Task SDK and the operators used)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.dags.conftest import DAG_FILE, DAGS_DIR, REPO_ROOT

pytestmark = pytest.mark.dags

LOCAL_SETTINGS = REPO_ROOT / "config" / "airflow_local_settings.py"

#: Top-level packages the DAG file must not import (seconds each, or the domain package that pulls them in).
HEAVY = ("pandas", "numpy", "great_expectations", "openpyxl", "python_calamine", "docx", "disclosure")

_PRELUDE = f"""
import importlib.util, json, sys, time
sys.path.insert(0, {str(DAGS_DIR)!r})
import airflow.sdk
from airflow.sdk import DAG, Param, task, task_group
from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.providers.standard.decorators.sensor import sensor_task
def import_dag():
    spec = importlib.util.spec_from_file_location("annual_report_under_test", {str(DAG_FILE)!r})
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
"""


def _run(body: str) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(DAGS_DIR), *sys.path]), "DISCLOSURE_PRELOAD": "0"}
    done = subprocess.run(
        [sys.executable, "-c", _PRELUDE + textwrap.dedent(body)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_no_heavy_imports_at_parse_time():
    result = _run(
        """
        before = set(sys.modules)
        import_dag()
        print(json.dumps(sorted(set(sys.modules) - before)))
        """
    )
    heavy = [m for m in result if m.split(".")[0] in HEAVY]
    assert heavy == []


def test_the_guard_sees_a_heavy_import():
    # The same measurement catches an import the DAG file would do (the check above can fail).
    result = _run(
        """
        before = set(sys.modules)
        import_dag()
        import openpyxl
        print(json.dumps(sorted(set(sys.modules) - before)))
        """
    )
    assert any(m.split(".")[0] == "openpyxl" for m in result)


def test_warm_parents_preload_everything_the_dag_file_imports_from_airflow():
    # The DAG processor parses in forks of itself, and every task process parses the DAG file again: with
    # config/airflow_local_settings.py's PARSE_MODULES preloaded there, the parse imports only the project's own
    # glue (a new Airflow import in the DAG file must be added to PARSE_MODULES).
    result = _run(
        f"""
        import importlib
        spec = importlib.util.spec_from_file_location("local_settings", {str(LOCAL_SETTINGS)!r})
        settings = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(settings)
        for name in settings.PARSE_MODULES:
            importlib.import_module(name)
        before = set(sys.modules)
        import_dag()
        print(json.dumps(sorted(set(sys.modules) - before)))
        """
    )
    assert [m for m in result if m.split(".")[0] not in {"annual_report_under_test", "disclosure_glue"}] == []


def test_no_file_reads_at_parse_time():
    result = _run(
        """
        import builtins, io, pathlib
        opened = []
        real_open = builtins.open
        def spy(file, *args, **kwargs):
            if not isinstance(file, int):  # file descriptors (logging, pipes) are not file reads
                opened.append(str(file))
            return real_open(file, *args, **kwargs)
        builtins.open = io.open = spy
        pathlib.Path.read_text = lambda self, *a, **k: opened.append(str(self)) or ""
        pathlib.Path.read_bytes = lambda self, *a, **k: opened.append(str(self)) or b""
        import_dag()
        print(json.dumps(opened))
        """
    )
    assert result == []


def test_no_variable_or_connection_access_at_parse_time():
    result = _run(
        """
        import airflow.sdk
        from airflow.sdk import BaseHook, Variable
        from airflow.sdk.definitions.connection import Connection
        touched = []
        def forbid(what):
            def fail(*args, **kwargs):
                touched.append(what)
                raise RuntimeError(what + " accessed at parse time")
            return fail
        Variable.get = staticmethod(forbid("Variable.get"))
        Variable.set = staticmethod(forbid("Variable.set"))
        BaseHook.get_connection = classmethod(forbid("BaseHook.get_connection"))
        Connection.get = classmethod(forbid("Connection.get"))
        import_dag()
        print(json.dumps(touched))
        """
    )
    assert result == []


def test_parse_time_import_cost(capsys):
    result = _run(
        """
        start = time.perf_counter()
        import_dag()
        print(json.dumps({"seconds": time.perf_counter() - start}))
        """
    )
    with capsys.disabled():
        print(f"\nDAG file import (after the Task SDK and operators): {result['seconds'] * 1000:.0f} ms")
    assert result["seconds"] >= 0
