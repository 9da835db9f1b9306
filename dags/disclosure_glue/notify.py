"""Notifications to the bureau's admin and the units: through Airflow's SMTP notifier when the SMTP connection
(``smtp_default``) exists, always logged. Messages are Chinese and built by ``disclosure.pipeline``.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import Any

from airflow.sdk import BaseNotifier

log = logging.getLogger(__name__)

SMTP_CONN_ID = "smtp_default"


def smtp_connection() -> Any | None:
    """The SMTP connection, or None when none is configured (then messages are only logged)."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return BaseHook.get_connection(SMTP_CONN_ID)
    except AirflowNotFoundException:
        return None


def _sender(conn: Any) -> str:
    from disclosure.registry import load_registry

    extra = conn.extra_dejson or {}
    return extra.get("from_email") or load_registry().bureau.email


def _as_html(body: str) -> str:
    return f'<pre style="font-family: sans-serif; white-space: pre-wrap">{html.escape(body)}</pre>'


def send_email(
    to: str | list[str], subject: str, body: str, *, files: list[str] | None = None, context: Any = None
) -> bool:
    """Log the message, then send it with Airflow's ``SmtpNotifier`` when SMTP is configured.

    Returns whether it was emailed.
    """
    log.info("通知 %s\n主题：%s\n%s", to, subject, body)
    conn = smtp_connection()
    if conn is None:
        log.info("未配置邮件连接 %s：通知仅记录在日志中。", SMTP_CONN_ID)
        return False
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    SmtpNotifier(
        to=to,
        from_email=_sender(conn),
        subject=subject,
        html_content=_as_html(body),
        files=files,
        smtp_conn_id=SMTP_CONN_ID,
    ).notify(context or {})
    return True


def admin_email() -> str:
    from disclosure.registry import load_registry

    bureau = load_registry().bureau
    return bureau.admin_email or bureau.email


def send_to_admin(subject: str, body: str, context: Any = None) -> bool:
    return send_email(admin_email(), subject, body, context=context)


def template_sender():
    """A function that emails one unit its template with the cover note, or None without SMTP."""
    if smtp_connection() is None:
        return None

    def send(unit: Any, path: Path, subject: str, body: str) -> None:
        send_email(unit.email, subject, body, files=[str(path)])

    return send


class AdminFailureNotifier(BaseNotifier):
    """On a task's failure: tell the admin which step of which unit failed and why (in Chinese)."""

    def notify(self, context: Any) -> None:
        from disclosure.pipeline import failure_message

        ti = context["ti"]
        label = getattr(ti, "rendered_map_index", None) or ""
        exception = context.get("exception")
        subject, body = failure_message(
            task=ti.task_id,
            unit=label,
            # a data error's whole text (findings, feedback workbook), not only its first line
            error=getattr(exception, "details", None) or str(exception or ""),
            run_id=context.get("run_id") or "",
        )
        try:
            send_to_admin(subject, body, context)
        except Exception:  # a broken mail server must not hide the task's own failure
            log.exception("无法发送失败通知")
