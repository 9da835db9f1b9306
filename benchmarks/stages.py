"""One pipeline stage over N synthetic returns, measured in a process of its own.

``python -m benchmarks.stages STAGE --year Y --n N --work DIR`` loads what the earlier stages left in ``DIR``
(untimed), runs the stage (timed: wall and CPU seconds), saves what the next stage needs and prints one JSON
line: ``{"stage", "n", "wall_s", "cpu_s", "setup_s", "peak_rss_mib", ...}``. Peak RSS is the process's own
high-water mark, so one stage's memory never pollutes another's.

Stages: ``floor`` (python-calamine reading the same files' values only), ``read`` (the reader alone), then the
intake's own road, exactly as the DAG and the CLI run it: ``receive`` (``intake.receive``: hash, read once,
archive, record the submission and its reading: SQLite), ``validate`` (``intake.check_many``: identity and one
batched GX run), ``validate_each`` (``intake.check`` one submission per GX run, on the first ``--each``),
``store`` (``intake.accept_many``: the passed returns' figures become current in one transaction, bulk writes, as
a chunk of units does), ``store_each`` (``intake.accept`` one submission at a time, as a unit task does; not part
of ``make bench``'s sequence: run it instead of ``store`` on a copy of the work folder), ``consolidate`` (sum, save
the totals, write the bureau's workbook), ``render`` (docx, html, xlsx, csv, json).

``BENCH_STORE_URL`` runs a stage against another store (a throw-away PostgreSQL database): when that store is
empty, the work folder's SQLite store is copied into it first (untimed), so the stage starts from the same
submissions, readings and findings.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks import inputs


class Stage:
    """What one stage gets: its inputs and a place for its outputs."""

    def __init__(self, year: int, n: int, work: Path, each: int) -> None:
        self.year = year
        self.n = n
        self.work = work
        self.each = each
        self.extra: dict = {}

    @property
    def paths(self) -> list[Path]:
        return inputs.return_paths(self.year, self.n)

    def spec(self):
        from disclosure.formats import spec_for_year

        return spec_for_year(self.year)

    def store(self):
        os.environ["DISCLOSURE_SECRET_KEY"] = inputs.SECRET_KEY
        from disclosure.store import Store

        # BENCH_STORE_URL: the same stage against another store (make bench: a throw-away PostgreSQL database)
        local = f"sqlite:///{self.work / 'store.db'}"
        url = os.environ.get("BENCH_STORE_URL") or local
        store = Store.from_url(url, archive_dir=self.work / "archive")
        store.upgrade()
        if url != local and (self.work / "store.db").is_file():
            _copy_into_empty(local, store)
        return store

    def save(self, name: str, value: object) -> None:
        with open(self.work / f"{name}.pickle", "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)

    def load(self, name: str) -> object:
        with open(self.work / f"{name}.pickle", "rb") as fh:
            return pickle.load(fh)


def _copy_into_empty(source_url: str, store) -> None:
    """Copy every table of the store at ``source_url`` into ``store`` when it has no submissions yet (PostgreSQL:
    the id sequences then continue after the copied ids)."""
    from sqlalchemy import func, insert, select, text

    from disclosure.store.engine import make_engine
    from disclosure.store.schema import Base, Submission

    with store.engine.connect() as conn:
        if conn.scalar(select(func.count()).select_from(Submission.__table__)):
            return
    source = make_engine(source_url)
    with source.connect() as src, store.engine.begin() as dst:
        for table in Base.metadata.sorted_tables:
            rows = [dict(row._mapping) for row in src.execute(select(table))]
            for start in range(0, len(rows), 10_000):
                dst.execute(insert(table), rows[start : start + 10_000])
            if dst.dialect.name == "postgresql" and "id" in table.c and rows:
                dst.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), :n)"),
                    {"n": max(r["id"] for r in rows)},
                )
    source.dispose()


def _floor(stage: Stage) -> Callable[[], None]:
    from python_calamine import CalamineWorkbook

    paths = stage.paths

    def run() -> None:
        cells = 0
        for path in paths:
            book = CalamineWorkbook.from_path(str(path))
            for name in book.sheet_names:
                cells += sum(len(row) for row in book.get_sheet_by_name(name).to_python())
        stage.extra["cells"] = cells

    return run


def _read(stage: Stage) -> Callable[[], None]:
    from disclosure.workbook.reader import read_return

    paths = stage.paths

    def run() -> None:
        returns = [read_return(p, strict=False) for p in paths]
        for path, ret in zip(paths, returns, strict=True):
            ret.path = path
        stage.extra["figures"] = sum(len(r.figures) for r in returns)
        stage.extra["problems"] = sum(len(r.problems) for r in returns)

    return run


def _receive(stage: Stage) -> Callable[[], None]:
    from disclosure.intake import receive
    from disclosure.store import Channel

    paths = stage.paths
    store = stage.store()
    reg = inputs.registry(stage.n)

    def run() -> None:
        stage.ids = [receive(p, channel=Channel.CLI, store=store, registry=reg).id for p in paths]

    return run


def _after_receive(stage: Stage) -> None:
    stage.save("ids", stage.ids)


def _validate(stage: Stage, *, each: bool) -> Callable[[], None]:
    import great_expectations  # noqa: F401  (import cost is not the stage's)

    from disclosure.intake import check, check_many

    ids = stage.load("ids")
    store = stage.store()
    reg = inputs.registry(stage.n)
    keys = [inputs.SECRET_KEY]
    _previous_year_accepted(stage, store)
    if each:
        ids = ids[: stage.each]

    def run() -> None:
        if each:
            results = [check(i, store=store, registry=reg, keys=keys) for i in ids]
            stage.extra["returns_validated"] = len(ids)
        else:
            results = check_many(ids, store=store, registry=reg, keys=keys)
        stage.extra["findings"] = sum(len(r.findings) for r in results)
        stage.extra["passed"] = sum(1 for r in results if r.passed)

    return run


def _previous_year_accepted(stage: Stage, store) -> None:
    """Last year's figures as accepted figures in the store, for the cross-year rules (untimed set-up)."""
    previous = inputs.previous_figures(stage.year, stage.n)
    if not previous or store.current_figures(stage.year - 1):
        return
    from disclosure.figures import Figure
    from disclosure.store import ValidationOutcome

    stub = stage.work / "previous-year.txt"
    stub.write_text("previous year")
    subs = {unit: store.archive_file(stub, year=stage.year - 1, unit=unit).id for unit in previous}
    store.record_validations(ValidationOutcome(i) for i in subs.values())
    store.accept_many(
        (subs[unit], [Figure(stage.year - 1, unit, c.table, c.row, c.column, v) for c, v in values.items()])
        for unit, values in previous.items()
    )


def _store(stage: Stage, *, each: bool) -> Callable[[], None]:
    from disclosure.intake import accept, accept_many
    from disclosure.store import SubmissionStatus

    ids = stage.load("ids")
    store = stage.store()

    def run() -> None:
        passed = [s.id for s in store.submissions_by_id(ids) if s.status is SubmissionStatus.PASSED]
        if each:
            for submission_id in passed:
                accept(submission_id, store=store)
        else:
            accept_many(passed, store=store)
        stage.extra["accepted"] = len(passed)

    return run


def _consolidate(stage: Stage) -> Callable[[], None]:
    import disclosure.workbook.template  # noqa: F401  (openpyxl's import cost is not the stage's)
    from disclosure.consolidation import consolidate, write_consolidated_return

    store = stage.store()
    spec = stage.spec()
    reg = inputs.registry(stage.n)
    out = stage.work / "reports"
    out.mkdir(exist_ok=True)

    def run() -> None:
        totals = consolidate(stage.year, store, reg, spec)
        totals.save(store)
        write_consolidated_return(totals, spec, reg, out / f"{stage.year}_{reg.bureau.code}_汇总.xlsx")
        stage.extra["draft"] = totals.is_draft
        stage.totals = totals

    return run


def _after_consolidate(stage: Stage) -> None:
    stage.save("totals", dict(stage.totals.values))


def _render(stage: Stage) -> Callable[[], None]:
    from disclosure.report.render import render_report

    totals = stage.load("totals")
    spec = stage.spec()
    reg = inputs.registry(stage.n)
    narrative = inputs.narrative_file(stage.work)
    out = stage.work / "reports"

    def run() -> None:
        files = render_report(
            year=stage.year, spec=spec, totals=totals, registry=reg, out_dir=out, narrative_path=narrative
        )
        stage.extra["docx_kib"] = round(files.docx.stat().st_size / 1024)

    return run


STAGES: dict[str, tuple[Callable[[Stage], Callable[[], None]], Callable[[Stage], None] | None]] = {
    "floor": (_floor, None),
    "read": (_read, None),
    "receive": (_receive, _after_receive),
    "validate": (lambda s: _validate(s, each=False), None),
    "validate_each": (lambda s: _validate(s, each=True), None),
    "store": (lambda s: _store(s, each=False), None),
    "store_each": (lambda s: _store(s, each=True), None),
    "consolidate": (_consolidate, _after_consolidate),
    "render": (_render, None),
}


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(name: str, year: int, n: int, work: Path, each: int) -> dict:
    """Set up, run and time one stage in this process."""
    prepare, after = STAGES[name]
    stage = Stage(year, n, work, each)
    started = time.perf_counter()
    run = prepare(stage)
    setup = time.perf_counter() - started
    rss_before = _peak_rss_mib()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    run()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    result = {
        "stage": name,
        "year": year,
        "n": n,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "setup_s": round(setup, 3),
        "rss_before_mib": round(rss_before, 1),
        "peak_rss_mib": round(_peak_rss_mib(), 1),
        **stage.extra,
    }
    if after is not None:
        after(stage)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=sorted(STAGES))
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--each", type=int, default=10, help="returns validated one run each")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DISCLOSURE_DATA_DIR", str(args.work / "data"))
    print(json.dumps(measure(args.stage, args.year, args.n, args.work, args.each), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
