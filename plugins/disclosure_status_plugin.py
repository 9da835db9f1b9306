"""Registers the status page «年报填报进度»: the FastAPI app under ``/disclosure`` and a nav entry that shows it
inside the Airflow UI (``/plugin/disclosure-status``)."""

from __future__ import annotations

from typing import Any, ClassVar

from airflow.plugins_manager import AirflowPlugin
from disclosure_status.app import app

URL_PREFIX = "/disclosure"


class DisclosureStatusPlugin(AirflowPlugin):
    name = "disclosure_status"
    fastapi_apps: ClassVar[list[dict[str, Any]]] = [
        {"app": app, "url_prefix": URL_PREFIX, "name": "年报填报进度"}
    ]
    external_views: ClassVar[list[dict[str, Any]]] = [
        {
            "name": "年报填报进度",
            # relative to the UI's base URL; the page is shown in the UI's frame at /plugin/<url_route>
            "href": f"{URL_PREFIX.lstrip('/')}/status",
            "destination": "nav",
            "url_route": "disclosure-status",
        }
    ]
