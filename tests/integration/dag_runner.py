"""Run the yearly DAG with ``dag.test()`` and print the outcome as one JSON line (used by the tests, in a
child process with its own AIRFLOW_HOME). Usage: python dag_runner.py '<conf json>'"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def _value(state) -> str | None:
    return None if state is None else str(getattr(state, "value", state))


def main() -> None:
    conf = json.loads(sys.argv[1])
    dags = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    sys.path.insert(0, str(dags))
    from airflow.dag_processing.dagbag import DagBag
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    bag = DagBag(dag_folder=str(dags / "annual_report.py"))
    if bag.import_errors:
        raise SystemExit(f"import errors: {bag.import_errors}")
    dag = bag.dags["annual_disclosure_report"]
    run = dag.test(run_conf=conf)
    with create_session() as session:
        tis = session.query(TaskInstance).filter_by(dag_id=dag.dag_id, run_id=run.run_id).all()
        plan = (
            session.query(XComModel)
            .filter_by(dag_id=dag.dag_id, run_id=run.run_id, task_id="prepare", key="return_value")
            .one()
        )
        units = [u["code"] for u in XComModel.deserialize_value(plan)["units"]]
        out = {
            "state": _value(run.state),
            "units": units,
            "tis": [
                {
                    "task_id": ti.task_id,
                    "map_index": ti.map_index,
                    "label": ti.rendered_map_index,
                    "state": _value(ti.state),
                    "try_number": ti.try_number,
                }
                for ti in tis
            ],
        }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
