"""``make bench``: the workflow at 12, 100 and 1,000 units, against its targets.

    python -m benchmarks.run [--sizes 12,100,1000] [--dag-units 12,100] [--cold-units 12] [--quick]
                             [--no-airflow] [--each 10]
    BENCH_UNITS=12,100 make bench          (the same, for development with small N)

For each format (gov-2019 as 2019, gov-2021 as 2021) and size N, the project's own generator writes N valid
returns (cached in ``benchmarks/results/inputs/``), then each stage runs in a process of its own: the
python-calamine floor, read, validate (one batched GX run; and one run per return on the first ``--each``
returns), store (SQLite; at the largest N also on a throw-away PostgreSQL database), consolidate, render. Then
the Airflow side: the DAG file's import time above ``import airflow.sdk`` (fresh, and as the warm DAG processor
parses it), the sample run (``scripts/run-sample.sh``, what ``make run`` runs), and the DAG on N generated
units under the real LocalExecutor (``benchmarks.scheduler_run``: ``airflow standalone`` on loopback, a
throw-away PostgreSQL metadata database, per-task CPU from the process tree), once without warm task parents
for the side-by-side. The 1,000-unit DAG run (in batches above the chunk threshold) is given
``--max-wall-1000`` seconds (when it does not finish in them it is estimated and marked so). Prints a table, writes
``benchmarks/results/latest.json``, the figures section of ``docs/benchmarks.md`` and the headline figures in
``docs/benchmarks.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import headline, inputs
from benchmarks.report import print_report, write_markdown

REPO = Path(__file__).resolve().parents[1]
STAGES = ("floor", "read", "receive", "validate", "validate_each", "store", "consolidate", "render")
PER_UNIT_TASKS = ("unit.wait_for_return", "unit.validate", "unit.accept")


def machine() -> dict:
    """What the figures were measured on."""
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if "MemTotal" in line
        )
    except (OSError, StopIteration, ValueError):
        mem_kib = 0
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def run_stage(stage: str, year: int, n: int, work: Path, each: int, store_url: str | None = None) -> dict:
    """One stage in a fresh process; its JSON line (or the error)."""
    env = dict(os.environ, DISCLOSURE_DATA_DIR=str(work / "data"))
    env.pop("DISCLOSURE_STORE_URL", None)
    env.pop("BENCH_STORE_URL", None)
    if store_url:
        env["BENCH_STORE_URL"] = store_url
    cmd = [sys.executable, "-m", "benchmarks.stages", stage, "--year", str(year), "--n", str(n)]
    cmd += ["--work", str(work), "--each", str(each)]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["failed"]
        return {"stage": stage, "year": year, "n": n, "error": tail[0]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def pipeline_stages(sizes: list[int], each: int, root: Path) -> list[dict]:
    results = []
    for version, year in inputs.YEARS.items():
        for n in sizes:
            work = root / f"{year}-{n}"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            for stage in STAGES:
                if stage == "store" and n == max(sizes):
                    # the PostgreSQL store stage starts from the same validated store the SQLite one does
                    _snapshot(work, _postgres_work(work))
                result = run_stage(stage, year, n, work, each)
                result["format"] = version
                results.append(result)
                _show(version, n, stage, result)
            if n == max(sizes):  # the store stage again, on PostgreSQL (a throw-away database)
                result = _store_on_postgres(year, n, _postgres_work(work), each)
                result["format"] = version
                results.append(result)
                _show(version, n, "store_postgres", result)
    return results


def _postgres_work(work: Path) -> Path:
    return work.with_name(f"{work.name}-postgres")


def _snapshot(work: Path, copy: Path) -> None:
    """The work folder as it is now (the archive hard-linked), for a stage to run again from this point."""
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(work, copy, copy_function=os.link)
    (copy / "store.db").unlink()
    shutil.copyfile(work / "store.db", copy / "store.db")  # the one file the stage changes


def _show(version: str, n: int, stage: str, result: dict) -> None:
    shown = result.get("error") or f"{result['wall_s']:.2f} s wall, {result['cpu_s']:.2f} s CPU"
    print(f"  {version} N={n:<5} {stage:<14} {shown}", flush=True)


def _store_on_postgres(year: int, n: int, work: Path, each: int) -> dict:
    from benchmarks.scheduler_run import throwaway_database

    try:
        with throwaway_database("disclosure_bench_store") as url:
            result = run_stage("store", year, n, work, each, store_url=url)
    except Exception as exc:  # no PostgreSQL server: the figure is missing, the rest still runs
        result = {"year": year, "n": n, "error": f"{type(exc).__name__}: {exc}"}
    result["stage"] = "store_postgres"
    return result


def dag_runs(sizes: list[int], cold_units: int | None, max_wall_1000: float) -> list[dict]:
    """The DAG under the real LocalExecutor: a cold run (no warm task parents) at ``cold_units`` for the
    side-by-side, then warm runs at each size; the 1,000-unit run is given ``max_wall_1000`` seconds (when it does
    not finish in them, the figures give an estimate from the other sizes)."""
    from benchmarks import scheduler_run

    runs: list[dict] = []

    def one(n: int, warm: bool, timeout: float = 3600) -> None:
        label = "warm" if warm else "cold"
        print(f"  DAG run, {n} units, {label} task parents …", flush=True)
        try:
            result = scheduler_run.run_dag(n, warm=warm, timeout=timeout)
        except Exception as exc:
            result = {"units": n, "warm": warm, "state": "error", "error": f"{type(exc).__name__}: {exc}"}
        runs.append(result)
        print(
            f"    {result.get('state')}: {result.get('wall_s')} s wall, {result.get('cpu_s')} s CPU, "
            f"{result.get('unit_tasks_cpu_s')} s CPU per unit's tasks",
            flush=True,
        )

    if cold_units:
        one(cold_units, warm=False)
    for n in sorted(s for s in sizes if s < 1000):
        one(n, warm=True)
    if 1000 in sizes:
        # Above the chunk threshold the DAG runs in batches: the per-unit runs above cannot predict it, so the
        # 1,000-unit run always runs, stopped at ``max_wall_1000`` seconds (then estimated from the others).
        one(1000, warm=True, timeout=max_wall_1000)
    return runs


def airflow_side(root: Path, dag_sizes: list[int], cold_units: int | None, max_wall_1000: float) -> dict:
    from benchmarks import airflow_bench

    out: dict = {}

    def attempt(key: str, what: str, measure) -> None:
        # one failing measurement is reported, and the others still run
        print(f"  {what} …", flush=True)
        try:
            out[key] = measure()
        except Exception as exc:
            out.setdefault("errors", {})[key] = f"{type(exc).__name__}: {exc}"
            print(f"    failed: {out['errors'][key]}", flush=True)

    attempt("dag_import", "DAG file import time", lambda: airflow_bench.dag_import_time(root / "import"))
    attempt(
        "sample_run", "sample run (scripts/run-sample.sh)", lambda: airflow_bench.sample_run(root / "sample")
    )
    run_id = (out.get("sample_run") or {}).get("run_id")
    if run_id:
        attempt(
            "tasks_test",
            "airflow tasks test (per-unit tasks, map index 0)",
            lambda: airflow_bench.task_instance_cpu(root / "sample", run_id, PER_UNIT_TASKS),
        )
    attempt(
        "pipeline_unit",
        "one unit's wait → validate → accept in a plain process",
        lambda: airflow_bench.pipeline_unit_cpu(root / "unit"),
    )
    if dag_sizes:
        attempt(
            "dag_runs",
            "the DAG under LocalExecutor (airflow standalone, PostgreSQL metadata)",
            lambda: dag_runs(dag_sizes, cold_units, max_wall_1000),
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default=os.environ.get("BENCH_UNITS", "12,100,1000"),
        help="comma-separated unit counts (or BENCH_UNITS)",
    )
    parser.add_argument(
        "--dag-units",
        default=os.environ.get("BENCH_DAG_UNITS"),
        help="unit counts of the DAG runs under the real scheduler (default: --sizes; or BENCH_DAG_UNITS)",
    )
    parser.add_argument(
        "--cold-units",
        type=int,
        default=int(os.environ.get("BENCH_COLD_UNITS", "12")),
        help="units of the side-by-side run without warm task parents (0: none)",
    )
    parser.add_argument(
        "--max-wall-1000",
        type=float,
        default=float(os.environ.get("BENCH_MAX_WALL_1000", "900")),
        help="seconds the 1,000-unit DAG run is given before it is stopped and estimated instead",
    )
    parser.add_argument("--quick", action="store_true", help="12 and 100 units only")
    parser.add_argument(
        "--each", type=int, default=10, help="returns validated one GX run each, for comparison"
    )
    parser.add_argument(
        "--no-airflow", action="store_true", help="skip the DAG import, sample run and task CPU"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder (stores, reports, logs)")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    args = parser.parse_args(argv)
    sizes = [12, 100] if args.quick else sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    dag_sizes = sorted(
        {int(s) for s in (args.dag_units or ",".join(map(str, sizes))).split(",") if s.strip()}
    )

    started = datetime.now(UTC)
    t0 = time.perf_counter()
    info = {"started": started.isoformat(timespec="seconds"), "machine": machine(), "sizes": sizes}
    print(
        f"machine: {info['machine']['nproc']} CPUs, {info['machine']['cpu']}, {info['machine']['memory_gib']} GiB"
    )
    root = Path(tempfile.mkdtemp(prefix="disclosure-bench-"))
    try:
        print(f"inputs: {max(sizes)} synthetic returns per format (cached in {inputs.INPUTS}) …", flush=True)
        gen = time.perf_counter()
        for year in inputs.YEARS.values():
            inputs.ensure_returns(year, max(sizes))
        info["generate_s"] = round(time.perf_counter() - gen, 1)
        print("pipeline stages (one process each):", flush=True)
        info["stages"] = pipeline_stages(sizes, args.each, root)
        inputs.RESULTS.mkdir(parents=True, exist_ok=True)
        (inputs.RESULTS / "stages.json").write_text(
            json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        if not args.no_airflow:
            print("Airflow:", flush=True)
            info["airflow"] = airflow_side(root, dag_sizes, args.cold_units or None, args.max_wall_1000)
    finally:
        if args.keep:
            print(f"work folder kept: {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    info["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    info["total_s"] = round(time.perf_counter() - t0, 1)

    inputs.RESULTS.mkdir(parents=True, exist_ok=True)
    latest = inputs.RESULTS / "latest.json"
    print_report(info)
    latest.write_text(json.dumps(info, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    print(f"\nresults: {latest}")
    figures_file = REPO / "docs" / "benchmarks.json" if not args.no_docs else inputs.RESULTS / "figures.json"
    headline.print_figures(headline.write(info, figures_file))
    print(f"headline figures: {figures_file}")
    if not args.no_docs and not args.quick and not args.no_airflow:
        write_markdown(info, REPO / "docs" / "benchmarks.md")
        print(f"figures: {REPO / 'docs' / 'benchmarks.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
