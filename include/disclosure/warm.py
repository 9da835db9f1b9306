"""Warm a long-lived parent process before it forks task processes.

Airflow's LocalExecutor and Celery workers start each task with a bare ``os.fork()`` of a worker process, and
the DAG processor forks one child per DAG file. A child inherits every module its parent imported and every
cache its parent filled, so a parent that has imported and once exercised the validation and domain stack
(Great Expectations, pandas, openpyxl, SQLAlchemy, this package) spares each task those seconds of imports and
first-use work: GX's expectation registry and templates, SQLAlchemy's mapper configuration and statement
compilation, the format specs.

:func:`warm_up` runs the real code path once on two tiny generated returns in a throw-away folder: the template
writer and the sample filler, then the intake as a batch of the DAG's unit tasks uses it (receive: the reader
and the store; check: the signed identity, the GX suite compiler and one GX run over both returns; accept),
and one GX run with last year's figures. It never touches the data
folder or the store of the bureau, and nothing it computes is kept except what the libraries cache for
themselves. It raises nothing: a failure is logged and the process goes on cold (the tasks then pay the cost
themselves, with the same results).
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

#: Set to ``0`` to switch warming off, ``1`` to warm whatever the process (read by the Airflow hook).
PRELOAD_ENV = "DISCLOSURE_PRELOAD"

#: Modules every unit task imports; imported first, so a broken warm-up run still leaves them loaded.
MODULES = (
    "pandas",
    "great_expectations",
    "openpyxl",
    "python_calamine",
    "sqlalchemy",
    "sqlalchemy.orm",
    "disclosure.pipeline",
    "disclosure.intake",
    "disclosure.workbook.reader",
    "disclosure.workbook.template",
    "disclosure.workbook.sample",
    "disclosure.validation",
    "disclosure.validation.feedback",
    "disclosure.store",
    "disclosure.store.migrations",
    "disclosure.consolidation",
    "disclosure.report.render",
)
#: Drivers a deployment may use for the store; imported when installed.
OPTIONAL_MODULES = ("psycopg2",)


@dataclass
class WarmState:
    """What the warm-up of this process did (inherited by forked children: ``state.warmed`` is then True)."""

    warmed: bool = False
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    pid: int | None = None
    versions: list[str] = field(default_factory=list)
    error: str | None = None


#: This process's warm-up; a forked task sees its parent's.
state = WarmState()


def import_stack() -> None:
    for name in MODULES:
        importlib.import_module(name)
    for name in OPTIONAL_MODULES:
        with suppress(ImportError):
            importlib.import_module(name)


@contextmanager
def _scratch_data_dir() -> Iterator[Path]:
    """A throw-away data folder, store and signing key, made the process's own only while the block runs."""
    from disclosure.secret_key import SECRET_KEY_ENV, generate_key

    keys = ("DISCLOSURE_DATA_DIR", "DISCLOSURE_STORE_URL", SECRET_KEY_ENV)
    saved = {key: os.environ.get(key) for key in keys}
    with tempfile.TemporaryDirectory(prefix="disclosure-warm-") as tmp:
        os.environ["DISCLOSURE_DATA_DIR"] = tmp
        os.environ.pop("DISCLOSURE_STORE_URL", None)
        os.environ[SECRET_KEY_ENV] = generate_key()  # the bureau's key is neither needed nor touched
        try:
            yield Path(tmp)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _two_unit_registry():
    from disclosure.registry import Registry, load_registry
    from disclosure.settings import BUNDLED_UNITS_FILE

    bundled = load_registry(BUNDLED_UNITS_FILE)
    return Registry(sample=True, bureau=bundled.bureau, units=bundled.units[:2])


def exercise(version: str, folder: Path) -> None:
    """Two signed returns of ``version`` through the intake's road in ``folder`` as a batch of the DAG's unit
    tasks takes them: template → receive (read once) → check both in one GX run (identity, every rule) → accept;
    then one GX run with last year's figures (the cross-year rules)."""
    from disclosure import intake
    from disclosure.formats import load_spec
    from disclosure.store import Store
    from disclosure.validation import validate_files
    from disclosure.workbook.sample import write_sample_returns

    spec = load_spec(version)
    year = spec.first_year
    registry = _two_unit_registry()
    samples = write_sample_returns(year, folder / "returns", registry)
    store = Store.from_url(f"sqlite:///{folder / 'store.db'}", archive_dir=folder / "archive")
    try:
        store.upgrade()
        ids = [
            intake.receive(sample.path, channel="inbox", store=store, registry=registry).id
            for sample in samples
        ]
        results = intake.check_many(
            ids, store=store, registry=registry, feedback_dir=folder / "feedback", docs_dir=folder / "docs"
        )
        intake.accept_checked(results, store=store)
        validate_files(
            [samples[0].path], format_version=version, previous=store.current_figures(year), docs=False
        )
    finally:
        store.dispose()


def _stop_helper_threads() -> None:
    """Stop the threads the warm-up left behind (tqdm's progress-bar monitor, started by GX), so that the
    process forks with its main thread only."""
    for thread in threading.enumerate():
        if type(thread).__name__ == "TMonitor" and hasattr(thread, "exit"):
            thread.exit()


def warm_up(versions: list[str] | None = None) -> WarmState:
    """Import the stack and run two tiny returns of each format version through it; never raises."""
    started, cpu = time.perf_counter(), time.process_time()
    state.pid = os.getpid()
    try:
        import_stack()
        from disclosure.formats import available_versions

        chosen = versions or available_versions()
        with _scratch_data_dir() as folder:
            for version in chosen:
                exercise(version, folder / version)
                state.versions.append(version)
        state.warmed = True
    except Exception as exc:  # a failed warm-up only costs speed: the tasks import and warm themselves
        state.error = f"{type(exc).__name__}: {exc}"
        log.warning("预热失败（任务仍可运行，只是更慢）：%s", state.error, exc_info=True)
    finally:
        _stop_helper_threads()
        state.seconds = round(time.perf_counter() - started, 3)
        state.cpu_seconds = round(time.process_time() - cpu, 3)
        gc.collect()
    if state.warmed:
        log.info(
            "预热完成：%s，%.1f 秒（CPU %.1f 秒），进程 %s",
            "、".join(state.versions),
            state.seconds,
            state.cpu_seconds,
            state.pid,
        )
    return state
