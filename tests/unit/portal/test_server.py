"""The access log never shows a link token: uvicorn's access logger is configured with the redacting filter."""

from __future__ import annotations

import io
import logging
import logging.config

import pytest

from disclosure.portal.csrf import link_digest
from disclosure.portal.server import log_config, redact

pytestmark = pytest.mark.unit

TOKEN = "eyJ1IjoiVTA1IiwieSI6MjAyMCwiZyI6MSwiZCI6MTgwMDAwNzIwMH0.tMPVmQ8JPqIqiAqk7kgIMbi8jAc"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"/u/{TOKEN}", f"/u/[link:{link_digest(TOKEN)[:8]}]"),
        (f"/u/{TOKEN}/upload", f"/u/[link:{link_digest(TOKEN)[:8]}]/upload"),
        (f"/u/{TOKEN}?s=3", f"/u/[link:{link_digest(TOKEN)[:8]}]?s=3"),
        ("/healthz", "/healthz"),
    ],
)
def test_redact(path, expected):
    assert redact(path) == expected


def test_uvicorn_access_log_is_redacted():
    config = log_config()
    stream = io.StringIO()
    config["handlers"]["access"] = {**config["handlers"]["access"], "stream": stream}
    config["handlers"]["access"].pop("()", None)
    config["handlers"]["access"]["class"] = "logging.StreamHandler"
    logging.config.dictConfig(config)
    try:
        # exactly how uvicorn's h11/httptools protocols log a request
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "10.0.0.9:5555", "POST", f"/u/{TOKEN}/upload", "1.1", 303
        )
    finally:
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})
    line = stream.getvalue()
    assert "POST /u/[link:" in line and "/upload" in line
    assert TOKEN not in line and TOKEN.split(".")[0] not in line
