"""Serving the portal with uvicorn: one process (the rate limiter's counters and the warm validation stack
live in it), an access log that never shows a link token, and the validation stack imported before the first
request so a unit's first check is as fast as the next.
"""

from __future__ import annotations

import importlib
import logging
import re

from disclosure.portal.csrf import link_digest
from disclosure.portal.links import UNIT_PATH

_TOKEN_IN_PATH = re.compile(re.escape(UNIT_PATH) + r"([^/?#\s]+)")


def redact(text: str) -> str:
    """``/u/<token>/upload`` → ``/u/[link:1a2b3c4d]/upload``: the link stays traceable in the log (same digest
    as the portal's own log lines) without being usable."""
    return _TOKEN_IN_PATH.sub(lambda m: f"{UNIT_PATH}[link:{link_digest(m.group(1))[:8]}]", text)


class RedactLinkTokens(logging.Filter):
    """Rewrites uvicorn's access log records (``client, method, path, http version, status``) before they are
    formatted; set on the ``uvicorn.access`` logger, so every handler sees only redacted paths."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        record.msg = redact(record.msg) if isinstance(record.msg, str) else record.msg
        return True


def log_config() -> dict:
    """uvicorn's default logging configuration with the redacting filter on its access logger."""
    from uvicorn.config import LOGGING_CONFIG

    config = {**LOGGING_CONFIG, "filters": {"redact_link_tokens": {"()": RedactLinkTokens}}}
    config["loggers"] = {name: dict(logger) for name, logger in LOGGING_CONFIG["loggers"].items()}
    config["loggers"]["uvicorn.access"]["filters"] = ["redact_link_tokens"]
    config["loggers"]["disclosure"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


#: What an upload's check runs through, imported before the first request.
WARM_MODULES = (
    "disclosure.intake",
    "disclosure.workbook.reader",
    "disclosure.workbook.template",
    "disclosure.validation.validate",
    "disclosure.validation.feedback",
    "great_expectations",
)


def warm_up() -> None:
    """Import the intake, reader and validation stack (pandas, openpyxl, Great Expectations) now, so the first
    upload does not pay for it."""
    for name in WARM_MODULES:
        importlib.import_module(name)


def serve(host: str, port: int) -> None:
    import uvicorn

    from disclosure.portal.app import create_app

    warm_up()
    uvicorn.run(
        create_app(),
        host=host,
        port=port,
        workers=1,
        log_config=log_config(),
        proxy_headers=True,
        server_header=False,
    )
