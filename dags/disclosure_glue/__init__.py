"""Airflow glue of the yearly DAG: connections, the inbox location, sensors' decisions, notifications.

Everything here is imported by the DAG file at parse time, so module level stays light: the domain package
(``disclosure``), connections and files are touched only inside functions, when a task runs.
"""
