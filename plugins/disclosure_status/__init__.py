"""The admin's status page «年报填报进度» inside the Airflow UI: a FastAPI app (``app``) and its nav entry,
registered by ``plugins/disclosure_status_plugin.py``."""
