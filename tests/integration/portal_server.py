"""A real ``disclosure portal`` (uvicorn) for integration tests, on a free loopback port, with its own data
folder and secret key; stopped with its whole process group when the block ends.

    with PortalServer.start(tmp_path) as portal:
        url = portal.link("U05")          # issued by `disclosure links`, as the admin does
        httpx.get(url)
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.integration.airflow_server import BIN, REPO, free_port, stop_process_group

STARTUP_TIMEOUT = 120  # seconds: the validation stack is imported before the server listens


@dataclass
class PortalServer:
    data_dir: Path
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    @contextlib.contextmanager
    def start(cls, root: Path, extra_env: Mapping[str, str] | None = None) -> Iterator[PortalServer]:
        data_dir = root / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        env = {
            **os.environ,
            "DISCLOSURE_DATA_DIR": str(data_dir),
            "DISCLOSURE_SECRET_KEY": secrets.token_urlsafe(32),
            "DISCLOSURE_PORTAL_URL": f"http://127.0.0.1:{port}",
            **(extra_env or {}),
        }
        if "DISCLOSURE_STORE_URL" not in (extra_env or {}):
            env.pop("DISCLOSURE_STORE_URL", None)  # the data folder's own SQLite store
        log_path = root / "portal.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [str(BIN / "disclosure"), "portal", "--host", "127.0.0.1", "--port", str(port)],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = cls(data_dir=data_dir, port=port, process=process, log_path=log_path, env=env)
        try:
            server._wait_ready()
            yield server
        finally:
            stop_process_group(process, grace=10)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"disclosure portal exited ({self.process.returncode}):\n{self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            time.sleep(1)
        raise TimeoutError(f"disclosure portal not ready after {STARTUP_TIMEOUT}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def disclosure(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "disclosure"), *args],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def link(self, unit: str, year: int, deadline: str) -> str:
        """The unit's link as ``disclosure links --json`` prints it."""
        rows = json.loads(
            self.disclosure("links", "--year", str(year), "--deadline", deadline, "--unit", unit, "--json")
        )
        return rows[0]["url"]
