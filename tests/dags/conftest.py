"""Airflow settings for the DAG tests: a throwaway AIRFLOW_HOME, this repo's dags/, no examples.

Set before Airflow is imported (pytest imports this conftest before the test modules).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DAGS_DIR = REPO_ROOT / "dags"
DAG_FILE = DAGS_DIR / "annual_report.py"
DAG_ID = "annual_disclosure_report"

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="airflow-dags-test-"))
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS_DIR)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
if str(DAGS_DIR) not in sys.path:
    sys.path.insert(0, str(DAGS_DIR))
